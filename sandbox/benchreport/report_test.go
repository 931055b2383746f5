package benchreport

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inviso/inviso/sandbox/load"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func parseFile(t *testing.T, name string) *Run {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func TestParse(t *testing.T) {
	run := parseFile(t, "bench.txt")
	if run.CPU != "Oxide Virtual Turin-like Processor" || run.GOOS != "linux" || run.GOARCH != "amd64" {
		t.Fatalf("headers: %+v", run)
	}
	if len(run.Results) != 10 {
		t.Fatalf("%d results, want 10 (log lines are not results)", len(run.Results))
	}
	q := run.Results[2]
	if q.Pkg != "github.com/inviso/inviso/sandbox" || q.Name != "BenchmarkQueryVsRaw/count_by_district" || q.Procs != 2 || q.Iterations != 5 {
		t.Fatalf("result: %+v", q)
	}
	if q.Metrics["gated-ms"] != 3.877 || q.Metrics["serialize-ms"] != 0.046 || len(q.Metrics) != 10 {
		t.Fatalf("metrics: %v", q.Metrics)
	}
	if !strings.Contains(q.Command, "QueryVsRaw") || !strings.Contains(run.Results[4].Command, "ConcurrentSmallQueries") {
		t.Fatalf("commands: %q, %q", q.Command, run.Results[4].Command)
	}
}

func TestParseRefusesMalformedResults(t *testing.T) {
	for name, text := range map[string]string{
		"value without unit": "BenchmarkX-2 3 1.5 ms 2.0\n",
		"not a number":       "BenchmarkX-2 3 fast ms\n",
		"NaN":                "BenchmarkX-2 3 NaN ms\n",
		"infinite":           "BenchmarkX-2 3 +Inf ms\n",
		"no iterations":      "BenchmarkX-2 0 1 ms\n",
		"invalid UTF-8":      "goos: linux\n\xff\xfe\n",
		"line too long":      "# " + strings.Repeat("x", maxLine+1) + "\n",
	} {
		if _, err := Parse(strings.NewReader(text)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	// Lines that are not results are skipped, whatever they hold.
	run, err := Parse(strings.NewReader("BenchmarkX is slow\nBenchmark\n--- BENCH: BenchmarkX-2\nok  \tpkg\t1s\n"))
	if err != nil || len(run.Results) != 0 {
		t.Fatalf("non-result lines: %+v %v", run, err)
	}
}

func TestBuild(t *testing.T) {
	rep := Build(parseFile(t, "bench.txt"), Inputs{Date: "2026-11-27"})
	sec := map[string]Table{}
	for _, s := range rep.Sections {
		sec[s.Key] = s
	}
	// Three runs of one benchmark: one row, the median of each metric.
	c := sec["concurrency"]
	if len(c.Rows) != 1 || c.Rows[0].Runs != 3 || c.Rows[0].Metrics["gated-q/s"] != 497.4 || *c.Rows[0].Value != 497.4 || *c.Rows[0].Baseline != 1882 {
		t.Fatalf("concurrency: %+v", c.Rows)
	}
	// The gate section reads two packages; ns/op is shown in ms.
	g := sec["gate"]
	if len(g.Rows) != 2 || g.Rows[0].Figure != "whole gate" || math.Abs(*g.Rows[0].Value-1.530291) > 1e-9 || g.Rows[1].Figure != "policy: sample" {
		t.Fatalf("gate: %+v", g.Rows)
	}
	// A computed ratio, and ns/op = 0 (a benchmark reporting its own figures) is no figure.
	he := sec["he"]
	if len(he.Rows) != 1 || he.Rows[0].Ratio == nil || *he.Rows[0].Ratio != 20.52/28.23 {
		t.Fatalf("he: %+v", he.Rows)
	}
	if len(sec["dp"].Rows) != 0 || len(sec["import"].Rows) != 2 {
		t.Fatalf("dp rows %d (not run), import rows %d", len(sec["dp"].Rows), len(sec["import"].Rows))
	}
	// A row missing some of the section's metrics shows a dash for them.
	join := sec["sql"].Rows[1]
	if join.Figure != "join_by_program" || join.cells[3] != "—" || join.cells[2] != "**1.06**" {
		t.Fatalf("join row: %+v", join)
	}
}

// TestGolden: the Markdown and JSON for the test run, compared with golden files (go test
// -update rewrites them after a deliberate change).
func TestGolden(t *testing.T) {
	var suite load.SuiteReport
	b, err := os.ReadFile(filepath.Join("testdata", "suite.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &suite); err != nil {
		t.Fatal(err)
	}
	var lr load.Report
	var fr load.FaultReport
	for name, v := range map[string]any{"load.json": &lr, "fault.json": &fr} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	rep := Build(parseFile(t, "bench.txt"), Inputs{Date: "2026-11-27", Command: "make bench", Suite: &suite,
		Load: &lr, LoadCmd: "inviso bench load --spawn", Fault: &fr, FaultCmd: "inviso bench fault --kills 1",
		Machine: Machine{OS: "linux", Arch: "amd64", Cores: 2, Memory: "24 GiB", Go: "go1.26", DuckDB: "DuckDB v1.5.6"},
		Pending: map[string]string{"postgres": "PostgreSQL was not installed"}})
	for name, write := range map[string]func(*bytes.Buffer) error{
		"BENCHMARKS.md":   func(b *bytes.Buffer) error { return rep.WriteMarkdown(b) },
		"BENCHMARKS.json": func(b *bytes.Buffer) error { return rep.WriteJSON(b) },
	} {
		var got bytes.Buffer
		if err := write(&got); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s differs from %s (run go test -update after a deliberate change):\n%s", name, path, got.String())
		}
	}
}

func TestFormat(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.0461: "0.0461", 1.5: "1.50", 12.34: "12.3", 123.4: "123", 1234.5: "1,235", 10459000: "10,459,000", -2500: "-2,500"} {
		if got := format(v); got != want {
			t.Errorf("format(%v) = %q, want %q", v, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "bench.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed))
	f.Add("BenchmarkX-2 3 1.5 ms\n")
	f.Fuzz(func(t *testing.T, text string) {
		run, err := Parse(strings.NewReader(text))
		if err != nil {
			return
		}
		rep := Build(run, Inputs{})
		var b bytes.Buffer
		if err := rep.WriteMarkdown(&b); err != nil {
			t.Fatal(err)
		}
		if err := rep.WriteJSON(&b); err != nil {
			t.Fatalf("a parsed run does not encode as JSON: %v", err)
		}
	})
}
