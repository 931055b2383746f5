package sandbox

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

// dpGrant approves a citizens-only scenario with differential privacy.
func (w *world) dpGrant(t *testing.T, name string, dp catalog.DP) catalog.Grant {
	t.Helper()
	ctx := context.Background()
	s, err := w.sb.RequestScenario(ctx, *w.dev, catalog.ScenarioRequest{
		Name: name, Purpose: "measure income by district", Use: catalog.PublicInterest,
		Datasets: map[string][]string{"citizens": {"person_id", "district", "income", "birth_date"}},
		JobKinds: []string{"sql"}, ValidUntil: w.clk.Now().Add(30 * 24 * time.Hour), DP: &dp,
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
	return g
}

const dpQuery = "SELECT district, count(*) AS n, avg(income) AS mean FROM citizens GROUP BY district"

// TestDPQueryReleasesNoisyAggregates: a DP grant's answer is close to the truth but not the
// truth, says how noisy each column is, spends exactly its epsilon, and records the spend.
func TestDPQueryReleasesNoisyAggregates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := w.dpGrant(t, "dp_basic", catalog.DP{Epsilon: 3, EpsilonPerQuery: 0.5})
	if g.DP == nil || g.DP.Delta != catalog.DefaultDelta || g.DP.MaxGroupsContributed != 0 {
		t.Fatalf("grant DP settings %+v: defaults not filled in", g.DP)
	}
	res, err := w.sb.Query(ctx, *w.dev, g.ID, dpQuery, false)
	if err != nil {
		t.Fatalf("%v %+v", err, fault.Public(err).Reasons)
	}
	defer res.Release()
	if res.DP == nil || res.DP.Budget.Spent != 0.5 || res.DP.Budget.Remaining != 2.5 {
		t.Fatalf("DP info %+v", res.DP)
	}
	n, mean := res.DP.Noise["n"], res.DP.Noise["mean"]
	if n.CI95 <= 0 || n.Mechanism != "discrete_laplace" || mean.Parts["sum"] == nil || mean.Parts["count"] == nil {
		t.Fatalf("noise description: n %+v, mean %+v", n, mean)
	}
	if md, ok := res.Schema.Field(1).Metadata.GetValue("inviso.noise"); !ok || md == "" {
		t.Error("the Arrow field of a noisy column does not say it is noisy")
	}
	db := w.openWorkspace(t, g)
	exactSeen, rows := 0, 0
	for _, b := range res.Batches {
		d, c := b.Column(0).(*array.String), b.Column(1).(*array.Int64)
		for i := 0; i < int(b.NumRows()); i++ {
			rows++
			var truth int64
			if err := db.QueryRow("SELECT count(*) FROM citizens WHERE district = ?", d.Value(i)).Scan(&truth); err != nil {
				t.Fatal(err)
			}
			if diff := c.Value(i) - truth; diff == 0 {
				exactSeen++
			} else if float64(max(diff, -diff)) > 10*n.CI95 {
				t.Errorf("district %s: released %d, true %d: further than 10× the stated interval %g", d.Value(i), c.Value(i), truth, n.CI95)
			}
		}
	}
	if rows == 0 || exactSeen == rows {
		t.Fatalf("%d of %d counts released exactly: no noise was added", exactSeen, rows)
	}
	job, err := w.sb.Job(ctx, *w.dev, res.Job)
	if err != nil || job.DP == nil || job.DP.EpsilonMicro != 500_000 || len(job.DP.Measures) != 3 || job.DP.Threshold != res.DP.Threshold {
		t.Fatalf("job record DP %+v %v", job.DP, err)
	}
	if got, _ := w.sb.Grant(ctx, *w.dev, g.ID); got.EpsilonSpent != 0.5 {
		t.Fatalf("grant shows epsilon spent %v, want 0.5", got.EpsilonSpent)
	}
	// The developer's view of the record holds no exact group counts (they would undo the
	// noisy threshold) and no timings; the auditor's has them.
	if job.Groups != 0 || job.Suppressed != 0 || job.Timings != nil {
		t.Errorf("the developer sees groups %d, suppressed %d, timings %v", job.Groups, job.Suppressed, job.Timings)
	}
	auditor := catalog.Principal{ID: "aud", Agency: PlatformAgency, Roles: []catalog.Role{catalog.RoleAuditor}}
	if full, err := w.sb.Job(ctx, auditor, res.Job); err != nil || full.Groups == 0 || full.Timings == nil {
		t.Errorf("the auditor's record lacks the groups or timings: %+v %v", full, err)
	}
	// Every income of the synthetic world is within the rule's bounds [0, 1e6]: the workspace
	// says so, and the clamp (a no-op) is left out.
	var inBounds bool
	for _, c := range g.Workspace.Tables[0].Columns {
		inBounds = inBounds || (c.Name == "income" && c.InBounds)
	}
	if !inBounds || strings.Contains(job.Rewritten, "greatest(income") {
		t.Errorf("income in bounds %v; rewritten %s", inBounds, job.Rewritten)
	}
	// Refused and checked queries spend nothing.
	if _, err := w.sb.Query(ctx, *w.dev, g.ID, "SELECT district, max(income) FROM citizens GROUP BY district", false); err == nil {
		t.Fatal("max() was released under DP")
	}
	if _, err := w.sb.Query(ctx, *w.dev, g.ID, "SELECT district, count(DISTINCT birth_date) FROM citizens GROUP BY district", false); fault.Public(err).Code == "" {
		t.Fatal("count(DISTINCT dimension) was released under DP")
	}
	if _, err := w.sb.Query(ctx, *w.dev, g.ID, dpQuery, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.sb.Grant(ctx, *w.dev, g.ID); got.EpsilonSpent != 0.5 {
		t.Fatalf("refused or checked queries spent budget: %v", got.EpsilonSpent)
	}
}

// TestDPBudgetUnderConcurrency: many concurrent queries against a budget of four: exactly
// four are released, the others are refused with budget_exhausted, and after a restart the
// spent budget is read back from the log.
func TestDPBudgetUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	w := newWorld(t, func(o *Options) { o.DataDir = dir })
	g := w.dpGrant(t, "dp_budget", catalog.DP{Epsilon: 1, EpsilonPerQuery: 0.25})
	var wg sync.WaitGroup
	var mu sync.Mutex
	released, exhausted := 0, 0
	for range 12 {
		wg.Go(func() {
			res, err := w.sb.Query(ctx, *w.dev, g.ID, dpQuery, false)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				released++
				res.Release()
			case fault.Public(err).Code == fault.BudgetExhausted:
				exhausted++
			default:
				t.Errorf("unexpected error %v", err)
			}
		})
	}
	wg.Wait()
	if released != 4 || exhausted != 8 {
		t.Fatalf("released %d, refused for budget %d: want 4 and 8", released, exhausted)
	}
	_, err := w.sb.Query(ctx, *w.dev, g.ID, dpQuery, true)
	if f := fault.Public(err); f.Code != fault.BudgetExhausted || len(f.Reasons) == 0 {
		t.Fatalf("check_only on an exhausted budget: %+v", f)
	}
	if err := w.sb.Close(); err != nil {
		t.Fatal(err)
	}
	sb, err := Open(ctx, Options{DataDir: dir, DuckDB: duck.Config{Threads: 2, MemoryLimit: "1GB"}, Clock: w.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if got, _ := sb.Grant(ctx, *w.dev, g.ID); got.EpsilonSpent != 1 {
		t.Fatalf("after restart the grant shows epsilon spent %v, want 1", got.EpsilonSpent)
	}
	if _, err := sb.Query(ctx, *w.dev, g.ID, dpQuery, false); fault.Public(err).Code != fault.BudgetExhausted {
		t.Fatalf("after restart a query was not refused for budget: %v", err)
	}
}

// TestDPReplayReproducesNoise: the auditor's replay draws the same noise from the job id and
// gets the released digest bit for bit; two jobs of the same query draw different noise.
func TestDPReplayReproducesNoise(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := w.dpGrant(t, "dp_replay", catalog.DP{Epsilon: 5, EpsilonPerQuery: 1, MaxGroupsContributed: 2})
	var digests []string
	for range 2 {
		res, err := w.sb.Query(ctx, *w.dev, g.ID, dpQuery, false)
		if err != nil {
			t.Fatal(err)
		}
		res.Release()
		j, err := w.sb.Job(ctx, *w.dev, res.Job)
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, j.ResultDigest)
		auditor := catalog.Principal{ID: "aud", Agency: PlatformAgency, Roles: []catalog.Role{catalog.RoleAuditor}}
		out, err := w.sb.Replay(ctx, auditor, res.Job)
		if err != nil {
			t.Fatal(err)
		}
		if !out.Match {
			t.Fatalf("replay of a DP job did not match: %+v", out)
		}
	}
	if digests[0] == digests[1] {
		t.Fatal("two jobs of the same query released the same noisy result")
	}
}

func TestDPSettingsValidated(t *testing.T) {
	t.Parallel()
	for name, dp := range map[string]catalog.DP{
		"no epsilon":         {EpsilonPerQuery: 0.1},
		"per query too big":  {Epsilon: 1, EpsilonPerQuery: 2},
		"per query too tiny": {Epsilon: 1, EpsilonPerQuery: 1e-6},
		"delta too big":      {Epsilon: 1, EpsilonPerQuery: 0.5, Delta: 0.5},
		"groups negative":    {Epsilon: 1, EpsilonPerQuery: 0.5, MaxGroupsContributed: -1},
	} {
		r := catalog.ScenarioRequest{Name: "x", Purpose: "p", Use: catalog.PublicInterest, Datasets: map[string][]string{"citizens": {"district"}},
			ValidUntil: time.Now().Add(time.Hour), DP: &dp}
		var f *fault.Error
		if err := r.Validate(time.Now()); !errors.As(err, &f) || f.Code != fault.InvalidInput {
			t.Errorf("%s: %v", name, err)
		}
	}
}
