package load

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox/fault"
)

// The short version of issue 9's load and fault runs (make test): small data, few clients,
// correctness only. Timings are logged, never asserted.
const (
	testRows    = 3000
	testClients = 12
)

// setupWorld starts a server on a fresh directory and builds the load world on it.
func setupWorld(t *testing.T) (*server, *World) {
	t.Helper()
	s := startServer(t, t.TempDir(), 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := Setup(ctx, s.admin(), SetupOptions{Rows: testRows, Suffix: "t"})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	return s, w
}

func config(s *server, w *World, clients int, d time.Duration) Config {
	return Config{Server: s.base, Token: w.Developer, Grant: w.Grant, Dataset: w.Dataset, Clients: clients, Duration: d, ServerPID: s.pid()}
}

// TestLoadRun: 12 clients send the whole mix for 8 s. Every answer is the kind's expected one
// (no 5xx at all), the log verifies and holds every released job, and the grant's job count is
// what the log says.
func TestLoadRun(t *testing.T) {
	ctx := context.Background()
	s, w := setupWorld(t)
	dev := s.client(w.Developer)
	before, err := Snapshot(ctx, dev, w.Grant, w.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(s, w, testClients, 8*time.Second)
	cfg.Auditor, cfg.RSSInterval = w.Auditor, 500*time.Millisecond
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
	s.stop()
}

// TestKillRestart kills the server with SIGKILL at a random point of the load, twice, and
// restarts it on its data directory each time: the log verifies and holds every job a client
// saw released, the grant, its budget and the dataset versions are intact, and queries work.
func TestKillRestart(t *testing.T) {
	ctx := context.Background()
	s, w := setupWorld(t)
	before, err := Snapshot(ctx, s.client(w.Developer), w.Grant, w.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	var released []string
	for cycle := range 2 {
		at := time.Duration(800+rand.IntN(2200)) * time.Millisecond
		rep := runUntilKilled(t, s, w, at)
		logReport(t, rep)
		if rep.Status5xx != 0 || unexpectedBesidesTransport(rep) != 0 {
			t.Errorf("cycle %d: %d 5xx, unexpected answers %v", cycle, rep.Status5xx, rep.Samples)
		}
		released = append(released, rep.Released...)
		s = startServer(t, s.dir, 0)
		checkRestarted(t, s, w, before, released)
		t.Logf("cycle %d: killed after %s with %d jobs released so far", cycle, at, len(released))
	}
	s.stop()
}

// runUntilKilled runs the load and kills the server with SIGKILL after at.
func runUntilKilled(t *testing.T, s *server, w *World, at time.Duration) *Report {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		time.Sleep(at)
		s.kill()
		time.Sleep(200 * time.Millisecond) // let clients see the dead server
		cancel()
	}()
	rep, err := Run(ctx, config(s, w, testClients, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// checkRestarted checks a restarted server against the state before the load.
func checkRestarted(t *testing.T, s *server, w *World, before State, released []string) {
	t.Helper()
	ctx := context.Background()
	lc, err := CheckLog(ctx, s.client(w.Auditor), w.Grant, released)
	if err != nil {
		t.Fatal(err)
	}
	if !lc.OK() {
		t.Fatalf("after kill -9: %v", lc)
	}
	dev := s.client(w.Developer)
	after, err := Snapshot(ctx, dev, w.Grant, w.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	if err := Compare(before, after, lc); err != nil {
		t.Fatalf("after kill -9: %v", err)
	}
	if _, err := Probe(ctx, dev, w.Grant, w.Dataset); err != nil {
		t.Fatalf("after kill -9: %v", err)
	}
}

// TestFullDisk restarts the server so that it can no longer grow a file (RLIMIT_FSIZE: the
// job log's writes really fail). Every query, allowed or not, then gets audit_unavailable
// (503) and no result is released; after a restart with room the log verifies, holds no new
// job, the grant spent nothing, and queries work.
func TestFullDisk(t *testing.T) {
	ctx := context.Background()
	s, w := setupWorld(t)
	job, err := Probe(ctx, s.client(w.Developer), w.Grant, w.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	lcBefore, err := CheckLog(ctx, s.client(w.Auditor), w.Grant, []string{job})
	if err != nil || !lcBefore.OK() {
		t.Fatalf("log before: %v %v", lcBefore, err)
	}
	before, err := Snapshot(ctx, s.client(w.Developer), w.Grant, w.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	s.stop()

	full := startServer(t, s.dir, 1) // no file may grow past one byte
	cfg := config(full, w, 4, 3*time.Second)
	cfg.Mix = map[Kind]int{Allowed: 4, Large: 2, Refused: 2}
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	logReport(t, rep)
	if rep.ReleasedJobs != 0 || rep.Requests == 0 || rep.Codes[string(fault.AuditUnavailable)] != rep.Requests {
		t.Errorf("with a full disk: %d requests, %d released, outcomes %v; want every one audit_unavailable", rep.Requests, rep.ReleasedJobs, rep.Codes)
	}
	full.kill()

	s = startServer(t, s.dir, 0)
	lc, err := CheckLog(ctx, s.client(w.Auditor), w.Grant, nil)
	if err != nil || !lc.OK() {
		t.Fatalf("log after the full disk: %v %v", lc, err)
	}
	if lc.Jobs != lcBefore.Jobs || lc.Released != lcBefore.Released {
		t.Errorf("the log gained jobs while the disk was full: %d jobs (%d released), was %d (%d)", lc.Jobs, lc.Released, lcBefore.Jobs, lcBefore.Released)
	}
	after, err := Snapshot(ctx, s.client(w.Developer), w.Grant, w.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	if err := Compare(before, after, lc); err != nil || after.JobsUsed != before.JobsUsed {
		t.Errorf("after the full disk: %v; jobs used %d, was %d", err, after.JobsUsed, before.JobsUsed)
	}
	if _, err := Probe(ctx, s.client(w.Developer), w.Grant, w.Dataset); err != nil {
		t.Fatal(err)
	}
	s.stop()
}

func unexpectedBesidesTransport(r *Report) int64 {
	n := r.Unexpected
	for k, ks := range r.Kinds {
		if Expected(k) != Transport {
			n -= ks.Codes[Transport]
		}
	}
	return n
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
