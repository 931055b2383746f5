package plugin

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestIdentityRoundTrip(t *testing.T) {
	t.Parallel()
	e := setup(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	const n = 150_000
	in := people(mem, n, 70_000) // batches larger than MaxBatchRows get split
	d := digests["identity"]
	res, err := e.runner.Run(context.Background(), RunSpec{Digest: d, Approved: []string{"sha256:" + strings.Repeat("0", 64), d}, Input: in, Allocator: mem})
	in.Release()
	if err != nil {
		t.Fatalf("run: %v (%s)", err, detail(res))
	}
	defer res.Release()
	st := res.Stats
	if st.RowsIn != n || st.RowsOut != n || st.DistinctRowsOut != n {
		t.Fatalf("rows in %d, out %d, distinct %d; want %d", st.RowsIn, st.RowsOut, st.DistinctRowsOut, n)
	}
	if st.BatchesIn < 3 {
		t.Errorf("input was sent in %d batches; batches above %d rows must be split", st.BatchesIn, 64*1024)
	}
	if !st.Isolated && e.runner.Isolation().Available {
		t.Error("ran without isolation on a host that has it")
	}
	if st.ExitCode != 0 || st.Stragglers != 0 {
		t.Errorf("exit code %d, stragglers %d", st.ExitCode, st.Stragglers)
	}
	want := []string{InputRowColumn, "person", "birth_year", "income", "district"}
	for i, f := range res.Schema.Fields() {
		if f.Name != want[i] {
			t.Fatalf("output schema %v, want %v", res.Schema, want)
		}
	}
	// Every output row is its input row, found through __input_row.
	next := int64(0)
	for _, b := range res.Batches {
		pos := b.Column(0).(*array.Int64)
		person := b.Column(1).(*array.Int64)
		district := b.Column(4).(*array.String)
		for i := 0; i < int(b.NumRows()); i++ {
			p := pos.Value(i)
			if p != next || person.Value(i) != 1000+p {
				t.Fatalf("row %d: position %d person %d", next, p, person.Value(i))
			}
			if (p%7 == 3) != district.IsNull(i) {
				t.Fatalf("row %d: null district mismatch", p)
			}
			next++
		}
	}
	if len(res.HandleKey) != HandleKeySize {
		t.Errorf("handle key of %d bytes", len(res.HandleKey))
	}
	t.Logf("start overhead %s, streaming %s, total %s", st.StartOverhead, st.Streaming, st.Total)
}

func TestEmptyInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	res, err := run(t, e, "identity", people(memory.DefaultAllocator, 0, 10), Limits{})
	if err != nil {
		t.Fatalf("run: %v (%s)", err, detail(res))
	}
	defer res.Release()
	if res.Stats.RowsOut != 0 || res.Schema == nil || res.Schema.NumFields() != 5 {
		t.Fatalf("empty input: %d rows out, schema %v", res.Stats.RowsOut, res.Schema)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	e := setup(t)
	d := digests["identity"]
	other := "sha256:" + strings.Repeat("ab", 32)
	for name, tc := range map[string]struct {
		spec RunSpec
		want error
	}{
		"not approved":     {RunSpec{Digest: d, Approved: []string{other}}, ErrNotApproved},
		"nothing approved": {RunSpec{Digest: d}, ErrNotApproved},
		"unknown binary":   {RunSpec{Digest: other, Approved: []string{other}}, ErrUnknownBinary},
		"bad digest":       {RunSpec{Digest: "sha256:XYZ", Approved: []string{"sha256:XYZ"}}, ErrBadDigest},
		"reserved input":   {RunSpec{Digest: d, Approved: []string{d}, Input: strings1("__row", "x")}, ErrBadInput},
		"bad handle key":   {RunSpec{Digest: d, Approved: []string{d}, HandleKey: []byte("short")}, ErrBadInput},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.spec.Input == nil {
				tc.spec.Input = people(memory.DefaultAllocator, 3, 3)
			}
			defer tc.spec.Input.Release()
			_, err := e.runner.Run(context.Background(), tc.spec)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// A binary swapped in the store after its upload no longer matches its digest and is not run.
func TestSwappedBinary(t *testing.T) {
	t.Parallel()
	e := setup(t)
	dir := t.TempDir()
	st, err := OpenStore(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(st, filepath.Join(dir, "work"), WithUIDs(2_100_001_000, 1), WithIsolation(e.runner.Isolation()))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(binPath("identity"))
	d, err := st.Put(f, 256<<20)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	evil, err := os.ReadFile(binPath("hostile/network"))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := st.Path(d)
	if err := os.Chmod(p, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, evil, 0o500); err != nil {
		t.Fatal(err)
	}
	in := people(memory.DefaultAllocator, 3, 3)
	defer in.Release()
	res, err := r.Run(context.Background(), RunSpec{Digest: d, Approved: []string{d}, Input: in, InsecureDev: true})
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("got %v, want ErrDigestMismatch", err)
	}
	if res != nil && res.Stats.PID != 0 {
		t.Fatalf("the swapped binary was started (pid %d)", res.Stats.PID)
	}
	stillServes(t, e)
}

// Without isolation, jobs are refused unless the insecure development mode is on, which
// logs every run at error level.
func TestIsolationUnavailable(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var log bytes.Buffer
	r, err := NewRunner(e.store, filepath.Join(t.TempDir(), "work"), WithUIDs(2_100_002_000, 1),
		WithIsolation(Isolation{Reason: "simulated"}), WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	if err != nil {
		t.Fatal(err)
	}
	d := digests["identity"]
	in := people(memory.DefaultAllocator, 10, 10)
	defer in.Release()
	if _, err := r.Run(context.Background(), RunSpec{Digest: d, Approved: []string{d}, Input: in}); !errors.Is(err, ErrIsolationUnavailable) {
		t.Fatalf("got %v, want ErrIsolationUnavailable", err)
	}
	in2 := people(memory.DefaultAllocator, 10, 10)
	defer in2.Release()
	res, err := r.Run(context.Background(), RunSpec{Digest: d, Approved: []string{d}, Input: in2, InsecureDev: true})
	if err != nil {
		t.Fatalf("insecure run: %v (%s)", err, detail(res))
	}
	defer res.Release()
	if res.Stats.Isolated || res.Stats.RowsOut != 10 {
		t.Fatalf("insecure run: isolated %v, rows %d", res.Stats.Isolated, res.Stats.RowsOut)
	}
	if !strings.Contains(log.String(), "level=ERROR") || !strings.Contains(log.String(), "WITHOUT isolation") {
		t.Fatalf("insecure run not logged loudly:\n%s", log.String())
	}
}

// The same handle key gives the same handles: a replay sees the same input.
func TestHandleKeyReplay(t *testing.T) {
	t.Parallel()
	e := setup(t)
	res, err := run(t, e, "hostile/files", strings1("path", "!id", "!id"), Limits{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	res.Release()
	key := res.HandleKey
	h1, _, _ := newHandles(key)
	h2, _, _ := newHandles(key)
	if h1 != h2 {
		t.Fatal("same key, different handles")
	}
	h3, _, _ := newHandles(nil)
	if h1 == h3 {
		t.Fatal("fresh keys repeat")
	}
}

func TestHandles(t *testing.T) {
	t.Parallel()
	h, _, err := newHandles(nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, i := range []uint64{0, 1, 2, 3, 1 << 20, 1<<32 - 1, 1 << 32, 1<<63 + 5, 1<<64 - 1} {
		v := h.handle(i)
		if seen[v] {
			t.Fatalf("handle collision at %d", i)
		}
		seen[v] = true
		if p := h.position(v); p != i {
			t.Fatalf("position(handle(%d)) = %d", i, p)
		}
	}
	// Neighbouring handles of issued rows are not issued.
	for i := uint64(0); i < 1000; i++ {
		if p := h.position(h.handle(i) + 1); p < 1_000_000 {
			t.Fatalf("handle(%d)+1 is the handle of row %d", i, p)
		}
	}
}

// The example plugin of examples/plugins/riskscore, run as the demo runs it.
func TestRiskscoreExample(t *testing.T) {
	t.Parallel()
	e := setup(t)
	res, err := run(t, e, "../../examples/plugins/riskscore", people(memory.DefaultAllocator, 2000, 500), Limits{})
	if err != nil {
		t.Fatalf("run: %v (%s)", err, detail(res))
	}
	defer res.Release()
	if res.Stats.RowsOut != 2000 || res.Schema.NumFields() != 2 || res.Schema.Field(1).Name != "score" {
		t.Fatalf("rows %d, schema %v", res.Stats.RowsOut, res.Schema)
	}
	for _, b := range res.Batches {
		pos, score := b.Column(0).(*array.Int64), b.Column(1).(*array.Float64)
		for i := 0; i < pos.Len(); i++ {
			p := pos.Value(i)
			birth, income := float64(1940+p%60), float64(p%1000)*100
			if s := score.Value(i); s < 0 || s > 1 || s != riskScore(birth, income) {
				t.Fatalf("row %d: score %v, want %v", p, s, riskScore(birth, income))
			}
		}
	}
}

// riskScore repeats the formula documented in examples/plugins/riskscore.
func riskScore(birthYear, income float64) float64 {
	incomeRisk := 1 - math.Min(math.Max(income, 0), 100_000)/100_000
	ageRisk := math.Min(math.Abs(2025-birthYear-45)/45, 1)
	return math.Round((0.6*incomeRisk+0.4*ageRisk)*1e4) / 1e4
}
