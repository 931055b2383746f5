package load

import (
	"context"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox/fault"
)

// TestFaultRun is the short version of issue 9's fault run, on the same code path as
// `inviso bench fault`: two kill -9 cycles at random points of the load, each restarted and
// checked, then the full disk. Beyond the verdict, it reads the facts the verdict rests on
// again from the report.
func TestFaultRun(t *testing.T) {
	rep, err := FaultRun(context.Background(), FaultConfig{
		Start: testStarter, DataDir: t.TempDir(), Kills: 2, Clients: testClients, Rows: testRows,
		KillMin: 800 * time.Millisecond, KillMax: 3 * time.Second,
		Log: slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if rep != nil {
		var b strings.Builder
		rep.WriteTable(&b)
		t.Log("\n" + b.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passed || rep.Err() != nil {
		t.Fatalf("verdict: %v", rep.Err())
	}
	if len(rep.Cycles) != 2 || rep.FullDisk == nil {
		t.Fatalf("%d kill cycles and full disk %v; want 2 and the full disk", len(rep.Cycles), rep.FullDisk)
	}
	for _, c := range rep.Cycles {
		if c.Log == nil || !c.Log.Verified || len(c.Log.Missing) > 0 || c.State == nil || c.ProbeJob == "" {
			t.Fatalf("cycle %d: log %v, state %v, probe %q", c.Cycle, c.Log, c.State, c.ProbeJob)
		}
		if c.State.JobsUsed != c.Log.Spent || c.State.JobBudget != rep.Cycles[0].State.JobBudget {
			t.Errorf("cycle %d: jobs used %d, the log holds %d spent jobs; budget %d", c.Cycle, c.State.JobsUsed, c.Log.Spent, c.State.JobBudget)
		}
		if c.Status5xx != 0 || c.Unexpected != 0 {
			t.Errorf("cycle %d: %d 5xx, %d unexpected: %v", c.Cycle, c.Status5xx, c.Unexpected, c.Samples)
		}
	}
	if last := rep.Cycles[1]; last.ReleasedSoFar <= last.Released || last.Log.Released < last.ReleasedSoFar-1 {
		t.Errorf("released so far %d (this cycle %d), the log holds %d released", last.ReleasedSoFar, last.Released, last.Log.Released)
	}
	d := rep.FullDisk
	if d.Requests == 0 || d.Released != 0 || d.Codes[string(fault.AuditUnavailable)] != d.Requests {
		t.Errorf("with a full disk: %d requests, %d released, outcomes %v; want every one audit_unavailable", d.Requests, d.Released, d.Codes)
	}
	if d.LogAfter == nil || !d.LogAfter.OK() || d.LogAfter.Jobs != d.LogBefore.Jobs || d.JobsUsedAfter != d.JobsUsedBefore {
		t.Errorf("after the full disk: log %v (before %v), jobs used %d (before %d)", d.LogAfter, d.LogBefore, d.JobsUsedAfter, d.JobsUsedBefore)
	}
}

func TestJudgeFullDisk(t *testing.T) {
	au := string(fault.AuditUnavailable)
	for name, tc := range map[string]struct {
		rep  Report
		want int // problems
	}{
		"every answer audit_unavailable": {Report{Requests: 9, Codes: map[string]int64{au: 9}}, 0},
		"no request":                     {Report{Codes: map[string]int64{}}, 1},
		"a result released":              {Report{Requests: 9, ReleasedJobs: 1, Codes: map[string]int64{au: 8, OK: 1}}, 2},
		"a refusal without the log":      {Report{Requests: 9, Codes: map[string]int64{au: 8, string(fault.PolicyDenied): 1}}, 1},
		"cut off":                        {Report{Requests: 9, Codes: map[string]int64{au: 8, Transport: 1}}, 1},
	} {
		t.Run(name, func(t *testing.T) {
			if got := judgeFullDisk(&tc.rep); len(got) != tc.want {
				t.Errorf("judgeFullDisk = %q, want %d problems", got, tc.want)
			}
		})
	}
}

func TestUnexpectedBesidesTransport(t *testing.T) {
	r := &Report{Unexpected: 5, Samples: []string{"allowed: HTTP 0 transport: EOF", "refused: HTTP 500 internal: boom"},
		Kinds: map[Kind]*KindStats{
			Allowed: {Codes: map[string]int64{OK: 10, Transport: 3}},
			Refused: {Codes: map[string]int64{string(fault.PolicyDenied): 4, Transport: 1, "internal": 1}},
		}}
	if n := unexpectedBesidesTransport(r); n != 1 {
		t.Errorf("unexpectedBesidesTransport = %d, want 1 (the 500)", n)
	}
	if s := answerSamples(r.Samples); len(s) != 1 || !strings.Contains(s[0], "HTTP 500") {
		t.Errorf("answerSamples = %q", s)
	}
}

func TestFaultConfig(t *testing.T) {
	start := func(string, uint64) *exec.Cmd { return nil }
	for name, cfg := range map[string]FaultConfig{
		"no starter":         {DataDir: "d"},
		"no data directory":  {Start: start},
		"negative kills":     {Start: start, DataDir: "d", Kills: -1},
		"window ends early":  {Start: start, DataDir: "d", KillMin: 3 * time.Second, KillMax: time.Second},
		"negative full disk": {Start: start, DataDir: "d", FullDiskFor: -time.Second},
	} {
		if _, err := FaultRun(context.Background(), cfg); err == nil {
			t.Errorf("%s: FaultRun ran", name)
		}
	}
	cfg := FaultConfig{Start: start, DataDir: "d", KillMin: 8 * time.Second}
	if err := cfg.defaults(); err != nil || cfg.Kills != DefaultFaultKills || cfg.KillMax != 8*time.Second || cfg.Seed == 0 {
		t.Errorf("defaults: %+v %v", cfg, err)
	}
}

func TestFaultReportErr(t *testing.T) {
	ok := &FaultReport{Kills: 2, Cycles: []*KillCycle{{Cycle: 1}, {Cycle: 2}}, FullDisk: &FullDisk{}}
	if err := ok.Err(); err != nil {
		t.Errorf("a complete run without problems: %v", err)
	}
	for name, r := range map[string]*FaultReport{
		"a cycle missing":      {Kills: 2, Cycles: []*KillCycle{{Cycle: 1}}, FullDisk: &FullDisk{}},
		"no full disk":         {Kills: 1, Cycles: []*KillCycle{{Cycle: 1}}},
		"a cycle's problem":    {Kills: 1, Cycles: []*KillCycle{{Cycle: 1, Problems: []string{"x"}}}, FullDisk: &FullDisk{}},
		"the full disk's":      {Kills: 1, Cycles: []*KillCycle{{Cycle: 1}}, FullDisk: &FullDisk{Problems: []string{"x"}}},
		"the final stop fails": {Kills: 1, Cycles: []*KillCycle{{Cycle: 1}}, FullDisk: &FullDisk{}, Problems: []string{"x"}},
	} {
		if r.Err() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestServedURL(t *testing.T) {
	for line, want := range map[string]string{
		"inviso v1 serving http://127.0.0.1:4123 with data directory /d\n":       "http://127.0.0.1:4123",
		"load test server serving http://[::1]:80 with data directory d":         "http://[::1]:80",
		"admin token written to d/admin.token (mode 0600; shown nowhere else)\n": "",
		"serving nothing\n": "",
		"":                  "",
	} {
		if got, ok := servedURL(line); got != want || ok != (want != "") {
			t.Errorf("servedURL(%q) = %q, %v; want %q", line, got, ok, want)
		}
	}
}

// TestStartServerExits: a server that exits before serving is an error, not a hang.
func TestStartServerExits(t *testing.T) {
	start := func(string, uint64) *exec.Cmd { return exec.Command("sh", "-c", "echo starting; exit 3") }
	if s, err := StartServer(context.Background(), start, t.TempDir(), 0); err == nil || !strings.Contains(err.Error(), "exited before serving") {
		t.Fatalf("StartServer = %v, %v", s, err)
	}
}
