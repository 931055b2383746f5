package sandbox

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

var (
	riskscoreOnce sync.Once
	riskscoreBin  string
	riskscoreErr  error
)

// riskscore builds examples/plugins/riskscore once per test process: a real, static binary.
func riskscore(t *testing.T) string {
	t.Helper()
	riskscoreOnce.Do(func() {
		dir, err := os.MkdirTemp("", "inviso-riskscore-")
		if err != nil {
			riskscoreErr = err
			return
		}
		riskscoreBin = filepath.Join(dir, "riskscore")
		cmd := exec.Command("go", "build", "-o", riskscoreBin, "../examples/plugins/riskscore")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			riskscoreErr = err
			riskscoreBin = string(out)
		}
	})
	if riskscoreErr != nil {
		t.Fatalf("build riskscore: %v\n%s", riskscoreErr, riskscoreBin)
	}
	return riskscoreBin
}

// pluginGrant uploads the plugin and approves a scenario that lists its digest.
func (w *world) pluginGrant(t *testing.T, name, bin string) (catalog.Grant, string) {
	t.Helper()
	ctx := context.Background()
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := w.sb.PutPlugin(ctx, *w.dev, f)
	f.Close()
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	s, err := w.sb.RequestScenario(ctx, *w.dev, catalog.ScenarioRequest{
		Name: name, Purpose: "score risk per district with our own model", Use: catalog.Commercial,
		Datasets: map[string][]string{"citizens": {"person_id", "district", "income", "birth_date"}},
		JobKinds: []string{"sql", "plugin"}, Plugins: []string{digest}, ValidUntil: w.clk.Now().Add(30 * 24 * time.Hour),
	})
	if err != nil {
		t.Fatalf("request: %v %+v", err, fault.Public(err).Reasons)
	}
	if _, err := w.sb.ConsentScenario(ctx, *w.ca, s.ID); err != nil {
		t.Fatal(err)
	}
	g, err := w.sb.ApproveScenario(ctx, *w.impl, s.ID)
	if err != nil {
		t.Fatalf("approve: %v %+v", err, fault.Public(err).Reasons)
	}
	return g, digest
}

// TestPluginJobReleasesOnlyGatedAggregates runs the example plugin over the grant's citizens:
// the release query's groups are k-thresholded like any query, and the mean score per
// district matches the plugin's formula recomputed on the workspace.
func TestPluginJobReleasesOnlyGatedAggregates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g, digest := w.pluginGrant(t, "plugin_scores", riskscore(t))
	req := catalog.JobRequest{Kind: "plugin", Plugin: digest, InputSQL: "SELECT district, birth_date, income FROM citizens",
		ReleaseSQL: "SELECT district, avg(score) AS mean_score, count(*) AS n FROM output GROUP BY district"}
	res, err := w.sb.SubmitJob(ctx, *w.dev, g.ID, req)
	if err != nil {
		logs, _ := filepath.Glob(filepath.Join(w.sb.opt.DataDir, "plugin-logs", "*"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("%s", b)
		}
		t.Fatalf("%v %+v", err, fault.Public(err).Reasons)
	}
	defer res.Release()
	if res.Rows == 0 {
		t.Fatal("nothing released")
	}
	db := w.openWorkspace(t, g)
	for _, b := range res.Batches {
		d, mean, n := b.Column(0).(*array.String), b.Column(1).(*array.Float64), b.Column(2).(*array.Int64)
		for i := 0; i < int(b.NumRows()); i++ {
			var want float64
			var people int64
			// The plugin's formula (examples/plugins/riskscore), in SQL.
			err := db.QueryRow(`SELECT avg(round((0.6 * (1 - least(greatest(income, 0), 100000) / 100000) +
				0.4 * least(abs(2025 - birth_date - 45) / 45, 1)) * 1e4) / 1e4), count(*) FROM citizens
				WHERE district = ? AND birth_date IS NOT NULL AND income IS NOT NULL`, d.Value(i)).Scan(&want, &people)
			if err != nil {
				t.Fatal(err)
			}
			if n.Value(i) != people || people < int64(g.K) || abs(mean.Value(i)-want) > 1e-9 {
				t.Errorf("district %s: mean %.6f n %d, want %.6f n %d", d.Value(i), mean.Value(i), n.Value(i), want, people)
			}
		}
	}
	j, err := w.sb.Job(ctx, *w.dev, res.Job)
	if err != nil || j.Kind != "plugin" || j.State != catalog.JobReleased || j.Params["plugin"] != digest {
		t.Fatalf("job record %+v %v", j, err)
	}
	// The auditor's replay runs the same binary over the same rows, with the same handles.
	auditor := catalog.Principal{ID: "aud", Agency: PlatformAgency, Roles: []catalog.Role{catalog.RoleAuditor}}
	if out, err := w.sb.Replay(ctx, auditor, res.Job); err != nil || !out.Match {
		t.Fatalf("replay of a plugin job: %+v %v", out, err)
	}
	// A raw release is refused by the same policy as any query.
	req.ReleaseSQL = "SELECT district, score FROM output"
	if _, err := w.sb.SubmitJob(ctx, *w.dev, g.ID, req); fault.Public(err).Code != fault.PolicyDenied {
		t.Fatalf("a raw release of plugin output: %v", err)
	}
	// The developer's record of the job says nothing of the plugin's rows in or out.
	if j, _ := w.sb.Job(ctx, *w.dev, res.Job); j.Params["plugin_rows_in"] != "" || j.Timings != nil {
		t.Errorf("the developer sees plugin statistics: %v %v", j.Params, j.Timings)
	}
	// A refusal after the plugin ran still counts a job: refusals are not a free oracle.
	before, _ := w.sb.Grant(ctx, *w.dev, g.ID)
	bad := req
	bad.ReleaseSQL = "SELECT district, max(score) FROM output GROUP BY district"
	if _, err := w.sb.SubmitJob(ctx, *w.dev, g.ID, bad); fault.Public(err).Code != fault.PolicyDenied {
		t.Fatalf("max() over plugin output: %v", err)
	}
	if after, _ := w.sb.Grant(ctx, *w.dev, g.ID); after.JobsUsed != before.JobsUsed+1 {
		t.Errorf("a refused plugin job counted %d jobs, want 1", after.JobsUsed-before.JobsUsed)
	}
	// A suspended grant runs no plugin.
	if _, err := w.sb.ChangeGrant(ctx, *w.impl, g.ID, catalog.GrantSuspended, "review"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.sb.SubmitJob(ctx, *w.dev, g.ID, req); fault.Public(err).Code != fault.PolicyDenied {
		t.Fatalf("a plugin job on a suspended grant: %v", err)
	}
	if _, err := w.sb.ChangeGrant(ctx, *w.impl, g.ID, catalog.GrantActive, "done"); err != nil {
		t.Fatal(err)
	}
	// A binary the grant does not list is not run.
	req.Plugin = "sha256:" + string(make([]byte, 0)) + "0000000000000000000000000000000000000000000000000000000000000000"
	before, _ = w.sb.Grant(ctx, *w.dev, g.ID)
	if _, err := w.sb.SubmitJob(ctx, *w.dev, g.ID, req); fault.Public(err).Code != fault.PolicyDenied {
		t.Fatalf("an unapproved plugin: %v", err)
	}
	if after, _ := w.sb.Grant(ctx, *w.dev, g.ID); after.JobsUsed != before.JobsUsed {
		t.Errorf("refusing an unapproved plugin (nothing ran) spent a job")
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
