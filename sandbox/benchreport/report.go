package benchreport

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inviso/inviso/sandbox/load"
)

// Machine is what the figures were measured on.
type Machine struct {
	OS     string `json:"os"`
	Arch   string `json:"arch"`
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	Memory string `json:"memory"`
	Go     string `json:"go"`
	DuckDB string `json:"duckdb"`
}

func (m Machine) String() string {
	s := fmt.Sprintf("%s/%s, %d cores", m.OS, m.Arch, m.Cores)
	for _, part := range []string{m.CPU, m.Memory, m.Go, m.DuckDB} {
		if part != "" {
			s += ", " + part
		}
	}
	return s
}

// Inputs are what a report is made of besides the benchmark output.
type Inputs struct {
	Date     string // of the run
	Machine  Machine
	Command  string            // what produced the whole report (make bench)
	Suite    *load.SuiteReport // inviso bench suite --out
	Load     *load.Report      // inviso bench load --json
	LoadCmd  string            // the load run's command
	Fault    *load.FaultReport // inviso bench fault --json
	FaultCmd string            // the fault run's command
	Pending  map[string]string // section key → why it was not run (instead of "not run")
}

// Report is the whole report, as written to JSON.
type Report struct {
	Date     string            `json:"date"`
	Machine  Machine           `json:"machine"`
	Command  string            `json:"command"`
	Sections []Table           `json:"sections"`
	Suite    *load.SuiteReport `json:"suite,omitempty"`
	Load     *load.Report      `json:"load,omitempty"`
	LoadCmd  string            `json:"load_command,omitempty"`
	Fault    *load.FaultReport `json:"fault,omitempty"`
	FaultCmd string            `json:"fault_command,omitempty"`

	pending map[string]string
}

// Table is a section with its rows.
type Table struct {
	Section
	Commands []string `json:"commands,omitempty"`
	Rows     []Row    `json:"rows"`
}

// Row is one figure: the values of its columns by metric (medians when a benchmark ran more
// than once), and the roles value/baseline/ratio picked out.
type Row struct {
	Figure   string             `json:"figure"`
	Runs     int                `json:"runs"`
	Value    *float64           `json:"value,omitempty"`
	Baseline *float64           `json:"baseline,omitempty"`
	Ratio    *float64           `json:"ratio,omitempty"`
	Metrics  map[string]float64 `json:"metrics"`
	cells    []string
}

// Build puts the results into the sections.
func Build(run *Run, in Inputs) *Report {
	r := &Report{Date: in.Date, Machine: in.Machine, Command: in.Command, Suite: in.Suite, Load: in.Load, LoadCmd: in.LoadCmd, Fault: in.Fault, FaultCmd: in.FaultCmd,
		pending: in.Pending}
	if r.Machine.CPU == "" {
		r.Machine.CPU = run.CPU
	}
	for _, s := range Sections {
		t := Table{Section: s, Rows: []Row{}}
		for _, src := range s.From {
			groups, order := map[string][]Result{}, []string(nil)
			for _, res := range run.Results {
				sub, ok := matches(res, src)
				if !ok {
					continue
				}
				if _, seen := groups[sub]; !seen {
					order = append(order, sub)
				}
				groups[sub] = append(groups[sub], res)
				if res.Command != "" && !slices.Contains(t.Commands, res.Command) {
					t.Commands = append(t.Commands, res.Command)
				}
			}
			for _, sub := range order {
				t.Rows = append(t.Rows, row(s, figure(src, sub), groups[sub]))
			}
		}
		r.Sections = append(r.Sections, t)
	}
	return r
}

// matches says whether res is src's benchmark or one of its sub-benchmarks, and which.
func matches(res Result, src Source) (sub string, ok bool) {
	if res.Pkg != src.Pkg && !strings.HasSuffix(res.Pkg, "/"+src.Pkg) {
		return "", false
	}
	if res.Name == src.Bench {
		return "", true
	}
	if rest, found := strings.CutPrefix(res.Name, src.Bench+"/"); found {
		return rest, true
	}
	return "", false
}

func figure(src Source, sub string) string {
	switch {
	case src.Label == "":
		return sub
	case sub == "":
		return src.Label
	}
	return src.Label + ": " + sub
}

// row takes each metric's median over the runs and formats the section's cells.
func row(s Section, fig string, runs []Result) Row {
	r := Row{Figure: fig, Runs: len(runs), Metrics: map[string]float64{}}
	all := map[string][]float64{}
	for _, res := range runs {
		for unit, v := range res.Metrics {
			all[unit] = append(all[unit], v)
		}
	}
	for unit, vs := range all {
		r.Metrics[unit] = median(vs)
	}
	for _, c := range s.Cols {
		v, ok := c.value(r.Metrics)
		if !ok {
			r.cells = append(r.cells, "—")
			continue
		}
		switch c.Role {
		case "value":
			if r.Value == nil {
				r.Value = &v
			}
		case "baseline":
			r.Baseline = &v
		case "ratio":
			r.Ratio = &v
		}
		cell := format(v)
		if c.Role == "ratio" {
			cell = "**" + cell + "**"
		}
		r.cells = append(r.cells, cell)
	}
	return r
}

func (c Column) value(m map[string]float64) (float64, bool) {
	v, ok := m[c.Metric]
	if !ok {
		return 0, false
	}
	if c.Over != "" {
		d, ok := m[c.Over]
		if !ok || d == 0 {
			return 0, false
		}
		return v / d, true
	}
	// A benchmark that reports its own figures sets ns/op to 0: there is no ns/op figure.
	if c.Metric == "ns/op" && v == 0 {
		return 0, false
	}
	if c.Scale != 0 {
		v *= c.Scale
	}
	return v, true
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// format shows a figure with three significant digits, thousands separated.
func format(v float64) string {
	a := math.Abs(v)
	var s string
	switch {
	case a == 0:
		return "0"
	case a >= 1000:
		s = strconv.FormatFloat(math.Round(v), 'f', 0, 64)
		return thousands(s)
	case a >= 100:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	default:
		s = strconv.FormatFloat(v, 'g', 3, 64)
	}
	return s
}

// count shows a whole number, thousands separated.
func count(n int64) string { return thousands(strconv.FormatInt(n, 10)) }

func thousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// WriteJSON writes the report for machines.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteMarkdown writes BENCHMARKS.md.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\n")
	fmt.Fprintf(&b, "Generated by `%s` on %s. Machine: %s.\n\n", r.Command, r.Date, r.Machine)
	b.WriteString("Every figure is compared with its baseline (raw DuckDB unless a table says otherwise) measured in the same run. " +
		"This file is written by `inviso bench report`; do not edit it: run `make bench` again. " +
		"Discussion of these figures and the measurements taken while building: [engineering-notes.md](engineering-notes.md), [benchmark-history.md](benchmark-history.md). " +
		"Raw benchmark output: [bench.txt](bench.txt); for machines: [BENCHMARKS.json](BENCHMARKS.json).\n")
	for _, t := range r.Sections {
		fmt.Fprintf(&b, "\n## %s\n\n", t.Title)
		if t.Target != "" {
			fmt.Fprintf(&b, "Target: %s. ", t.Target)
		}
		b.WriteString(t.About + "\n\n")
		if len(t.Rows) == 0 {
			why := "not run in this report's run"
			if p := r.pending[t.Key]; p != "" {
				why = p
			}
			fmt.Fprintf(&b, "_%s._\n", why)
			continue
		}
		for _, c := range t.Commands {
			fmt.Fprintf(&b, "Command: `%s`  \n", c)
		}
		fmt.Fprintf(&b, "Machine: %s; %s.\n\n", r.Machine, r.Date)
		heads := []string{"figure"}
		for _, c := range t.Cols {
			heads = append(heads, c.Head)
		}
		writeTable(&b, heads, func(yield func([]string)) {
			for _, row := range t.Rows {
				fig := row.Figure
				if fig == "" {
					fig = "—"
				}
				if row.Runs > 1 {
					fig += fmt.Sprintf(" (median of %d runs)", row.Runs)
				}
				yield(append([]string{fig}, row.cells...))
			}
		})
	}
	r.writeSuite(&b)
	r.writeLoad(&b)
	r.writeFault(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) writeSuite(b *strings.Builder) {
	b.WriteString("\n## SQL suite in process, over HTTP with Arrow, and on PostgreSQL\n\n")
	b.WriteString("Target: gated ≤ 1.10× raw DuckDB; gated faster than raw PostgreSQL on every query. Raw DuckDB on a copy of the workspace, " +
		"gated in process, the whole way over HTTP to an Arrow IPC stream read by the client, and (with --postgres) the same SQL on the same rows " +
		"in a throwaway PostgreSQL cluster, in rotating order; medians.\n\n")
	s := r.Suite
	if s == nil || len(s.Queries) == 0 {
		b.WriteString("_not run in this report's run._\n")
		return
	}
	fmt.Fprintf(b, "Command: `%s`  \nMachine: %s; %s; %s rows, %d runs each way.\n\n", s.Command, s.Machine, s.Date, count(s.Rows), s.Reps)
	heads := []string{"query", "raw DuckDB ms", "gated ms", "gated / raw", "HTTP + Arrow ms", "HTTP / raw"}
	pg := slices.ContainsFunc(s.Queries, func(q load.SuiteRow) bool { return q.PGMS > 0 })
	if pg {
		heads = append(heads, "PostgreSQL ms", "gated / PostgreSQL")
	}
	writeTable(b, heads, func(yield func([]string)) {
		for _, q := range s.Queries {
			row := []string{q.Query, format(q.RawMS), format(q.GatedMS), "**" + format(q.GatedRaw) + "**", format(q.HTTPMS), "**" + format(q.HTTPRaw) + "**"}
			if pg {
				ms, ratio := "—", "—"
				if q.PGMS > 0 {
					ms, ratio = format(q.PGMS), "**"+format(q.GatedMS/q.PGMS)+"**"
				}
				row = append(row, ms, ratio)
			}
			yield(row)
		}
	})
}

func (r *Report) writeLoad(b *strings.Builder) {
	b.WriteString("\n## Load run\n\n")
	b.WriteString("Target: zero unexplained errors; RSS bounded by the DuckDB memory limit plus a margin; the log verifies and holds every released job. " +
		"A real server on loopback, concurrent clients mixing allowed, large, refused and malformed requests (the load generator shares the machine).\n\n")
	l := r.Load
	if l == nil {
		b.WriteString("_not run in this report's run._\n")
		return
	}
	fmt.Fprintf(b, "Command: `%s`  \nMachine: %s; %s.\n\n", r.LoadCmd, r.Machine, r.Date)
	writeTable(b, []string{"figure", "value"}, func(yield func([]string)) {
		yield([]string{"clients", strconv.Itoa(l.Clients)})
		yield([]string{"requests", count(l.Requests)})
		yield([]string{"requests/s", format(l.Throughput)})
		yield([]string{"released jobs", count(int64(l.ReleasedJobs))})
		yield([]string{"5xx answers", strconv.FormatInt(l.Status5xx, 10)})
		yield([]string{"unexpected answers", strconv.FormatInt(l.Unexpected, 10)})
		if l.MaxRSSBytes > 0 {
			rss := fmt.Sprintf("%d MiB", l.MaxRSSBytes>>20)
			if l.RSSBoundBytes > 0 {
				rss += fmt.Sprintf(" (bound: %d MiB)", l.RSSBoundBytes>>20)
			}
			yield([]string{"server RSS, max", rss})
		}
		if l.Log != nil {
			yield([]string{"job log", l.Log.String()})
		}
	})
	b.WriteString("\n")
	writeTable(b, []string{"kind", "requests", "p50 ms", "p95 ms", "p99 ms", "outcomes"}, func(yield func([]string)) {
		for _, k := range load.Kinds {
			ks := l.Kinds[k]
			if ks == nil || ks.Requests == 0 {
				continue
			}
			yield([]string{string(k), count(ks.Requests), format(ks.P50.Seconds() * 1000), format(ks.P95.Seconds() * 1000),
				format(ks.P99.Seconds() * 1000), outcomes(ks.Codes)})
		}
	})
}

func (r *Report) writeFault(b *strings.Builder) {
	b.WriteString("\n## Fault run\n\n")
	b.WriteString("Target: after kill -9 at random points of the load and a restart, the log verifies and holds every job a client saw released, " +
		"and no grant, dataset version or budget is corrupted; with a full disk every request gets audit_unavailable and nothing is released. " +
		"Real `inviso serve` processes on one data directory; the full disk is RLIMIT_FSIZE set once the sandbox is open.\n\n")
	f := r.Fault
	if f == nil {
		b.WriteString("_not run in this report's run._\n")
		return
	}
	verdict := "**passed**"
	if !f.Passed {
		verdict = "**FAILED**"
	}
	fmt.Fprintf(b, "Command: `%s`  \nMachine: %s; %s. Verdict: %s (seed %d, %s rows, %d clients).\n\n", r.FaultCmd, r.Machine, r.Date, verdict, f.Seed, count(f.Rows), f.Clients)
	writeTable(b, []string{"kill cycle", "killed after", "requests", "cut off", "released (so far)", "5xx", "unexpected", "restart", "log after restart", "problems"}, func(yield func([]string)) {
		for _, c := range f.Cycles {
			logc := "—"
			if c.Log != nil {
				logc = c.Log.String()
			}
			yield([]string{strconv.Itoa(c.Cycle), c.KilledAfter.Round(time.Millisecond).String(), count(c.Requests), count(c.CutOff),
				fmt.Sprintf("%d (%d)", c.Released, c.ReleasedSoFar), strconv.FormatInt(c.Status5xx, 10), strconv.FormatInt(c.Unexpected, 10),
				c.Restart.Round(time.Millisecond).String(), logc, strconv.Itoa(len(c.Problems))})
		}
	})
	if d := f.FullDisk; d != nil {
		logAfter := "—"
		if d.LogAfter != nil {
			logAfter = d.LogAfter.String()
		}
		fmt.Fprintf(b, "\nFull disk: %d clients for %s sent %s requests: %s; %d released. Restarted with room: %s; jobs used %d before, %d after.\n",
			d.Clients, d.Duration.Round(time.Millisecond), count(d.Requests), outcomes(d.Codes), d.Released, logAfter, d.JobsUsedBefore, d.JobsUsedAfter)
	}
}

// outcomes lists answer counts by code, sorted: "ok=12 policy_denied=3".
func outcomes(codes map[string]int64) string {
	var out []string
	for c, n := range codes {
		out = append(out, fmt.Sprintf("%s=%d", c, n))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func writeTable(b *strings.Builder, heads []string, rows func(yield func([]string))) {
	b.WriteString("| " + strings.Join(heads, " | ") + " |\n|")
	for range heads {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	rows(func(cells []string) {
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	})
}
