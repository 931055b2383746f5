package load

import (
	"context"
	"testing"
	"time"
)

// The short version of issue 9's load and fault runs (make test): small data, few clients,
// correctness only. Timings are logged, never asserted.
const (
	testRows    = 3000
	testClients = 12
)

// setupWorld starts a server on a fresh directory and builds the load world on it.
func setupWorld(t *testing.T) (*Server, *World) {
	t.Helper()
	s := startServer(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := s.Admin()
	if err != nil {
		t.Fatal(err)
	}
	w, err := Setup(ctx, admin, SetupOptions{Rows: testRows, Suffix: "t"})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	return s, w
}

// TestLoadRun: 12 clients send the whole mix for 8 s. Every answer is the kind's expected one
// (no 5xx at all), the log verifies and holds every released job, and the grant's job count is
// what the log says.
func TestLoadRun(t *testing.T) {
	ctx := context.Background()
	s, w := setupWorld(t)
	dev := s.Client(w.Developer)
	before, err := Snapshot(ctx, dev, w.Grant, w.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Server: s.URL, Token: w.Developer, Grant: w.Grant, Dataset: w.Dataset, Clients: testClients,
		Duration: 8 * time.Second, ServerPID: s.PID(), Auditor: w.Auditor, RSSInterval: 500 * time.Millisecond}
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	logReport(t, rep)
	if rep.Status5xx != 0 || rep.Unexpected != 0 {
		t.Errorf("%d 5xx, %d unexpected answers: %v", rep.Status5xx, rep.Unexpected, rep.Samples)
	}
	for _, k := range Kinds {
		if rep.Kinds[k] == nil || rep.Kinds[k].Requests == 0 {
			t.Errorf("no %s request was sent", k)
		}
	}
	if rep.ReleasedJobs == 0 || len(rep.RSS) == 0 {
		t.Errorf("%d released jobs, %d RSS samples", rep.ReleasedJobs, len(rep.RSS))
	}
	// Memory stays bounded: the child's DuckDB instances (the catalog, the parser and the
	// workspace engine) each have a 512 MB limit; with 512 MiB for Go and everything else,
	// the server must never hold more than 2 GiB resident.
	const bound = 3*512<<20 + 512<<20
	if rep.MaxRSSBytes > bound {
		t.Errorf("server RSS reached %d MiB, beyond the bound of %d MiB", rep.MaxRSSBytes>>20, bound>>20)
	}
	if rep.Log == nil || !rep.Log.OK() {
		t.Fatalf("job log: %v", rep.Log)
	}
	after, err := Snapshot(ctx, dev, w.Grant, w.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	if err := Compare(before, after, rep.Log); err != nil {
		t.Error(err)
	}
	if err := s.Stop(stopTimeout); err != nil {
		t.Error(err)
	}
}

func logReport(t *testing.T, r *Report) {
	t.Helper()
	var b testWriter
	r.WriteTable(&b)
	t.Log("\n" + string(b))
}

type testWriter []byte

func (w *testWriter) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }

func TestParseMix(t *testing.T) {
	got, err := ParseMix(" allowed=50, refused = 20,large=0")
	if err != nil || len(got) != 3 || got[Allowed] != 50 || got[Refused] != 20 || got[Large] != 0 {
		t.Fatalf("ParseMix = %v, %v", got, err)
	}
	for _, bad := range []string{"", "allowed", "allowed=x", "allowed=-1", "nosuch=1", "allowed=1,allowed=2", "large=0", "allowed=1,"} {
		if m, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) = %v, want an error", bad, m)
		}
	}
}
