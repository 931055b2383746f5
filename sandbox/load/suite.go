package load

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/inviso/inviso/sandbox/client"
)

// SuiteQueries are the SQL jobs issue's queries: %[1]s is the citizens table, %[2]s the
// benefits table (queries naming it run only when the world has one).
var SuiteQueries = []struct{ Name, SQL string }{
	{"count_by_district", "SELECT district, count(*) AS n FROM %[1]s GROUP BY district"},
	{"count_by_district_gender", "SELECT district, gender, count(*) AS n FROM %[1]s GROUP BY district, gender"},
	{"avg_income_by_band", "SELECT birth_date, avg(income) AS mean FROM %[1]s GROUP BY birth_date"},
	{"income_stats_by_gender", "SELECT gender, avg(income), stddev_samp(income), count(*) FROM %[1]s GROUP BY gender"},
	{"filtered_count", "SELECT district, count(*) FROM %[1]s WHERE gender = '女' AND birth_date >= 1980 GROUP BY district"},
	{"sum_income_by_district_band", "SELECT district, birth_date, sum(income) FROM %[1]s GROUP BY district, birth_date"},
	{"benefits_by_program", "SELECT program, count(*) AS n, sum(amount) AS total FROM %[2]s GROUP BY program"},
	{"join_by_program", "SELECT b.program, count(*) AS n, avg(c.income) FROM %[1]s c JOIN %[2]s b ON c.person_id = b.person_id GROUP BY b.program"},
}

// SuiteConfig says how to run each way of answering the suite; a nil way is not measured.
type SuiteConfig struct {
	Table    string // citizens
	Benefits string // benefits ("": the queries over it are left out)
	Reps     int    // runs of each query each way (medians are reported; default 5)
	// Raw runs the query on a plain DuckDB instance over a copy of the grant's workspace.
	Raw *sql.DB
	// Gated runs it through the sandbox in-process (parse, policy, rewrite, locked run, log).
	Gated func(ctx context.Context, sql string) error
	// HTTP runs it over the API with an Arrow IPC stream result.
	HTTP     *client.Client
	Grant    string
	Postgres *sql.DB // the same rows in PostgreSQL (optional)
}

// SuiteRow is one query's medians, in milliseconds (0: not measured).
type SuiteRow struct {
	Query    string  `json:"query"`
	RawMS    float64 `json:"raw_duckdb_ms"`
	GatedMS  float64 `json:"gated_ms"`
	HTTPMS   float64 `json:"http_arrow_ms"`
	PGMS     float64 `json:"postgres_ms,omitempty"`
	GatedRaw float64 `json:"gated_over_raw"`
	HTTPRaw  float64 `json:"http_over_raw"`
}

// SuiteReport is a suite run with what it ran on.
type SuiteReport struct {
	Date    string     `json:"date"`
	Machine string     `json:"machine"`
	Rows    int64      `json:"rows"`
	Reps    int        `json:"reps"`
	Command string     `json:"command"`
	Queries []SuiteRow `json:"queries"`
}

// RunSuite runs every query every way, rotating which goes first in each repetition, after one
// warm-up run each.
func RunSuite(ctx context.Context, cfg SuiteConfig) ([]SuiteRow, error) {
	if cfg.Reps <= 0 {
		cfg.Reps = 5
	}
	var out []SuiteRow
	for _, q := range SuiteQueries {
		if cfg.Benefits == "" && strings.Contains(q.SQL, "%[2]s") {
			continue
		}
		text := fmt.Sprintf(q.SQL, cfg.Table, cfg.Benefits)
		type way struct {
			run   func() error
			times []time.Duration
		}
		var ways []*way
		add := func(ok bool, f func() error) *way {
			w := &way{run: f}
			if ok {
				ways = append(ways, w)
			}
			return w
		}
		raw := add(cfg.Raw != nil, func() error { return drainRows(cfg.Raw.QueryContext(ctx, text)) })
		gated := add(cfg.Gated != nil, func() error { return cfg.Gated(ctx, text) })
		http := add(cfg.HTTP != nil, func() error {
			_, err := cfg.HTTP.QueryStream(ctx, cfg.Grant, text, "application/vnd.apache.arrow.stream", io.Discard)
			return err
		})
		pg := add(cfg.Postgres != nil, func() error { return drainRows(cfg.Postgres.QueryContext(ctx, text)) })
		for _, w := range ways {
			if err := w.run(); err != nil {
				return nil, fmt.Errorf("%s: %w", q.Name, err)
			}
		}
		for i := 0; i < cfg.Reps; i++ {
			for j := range ways {
				w := ways[(i+j)%len(ways)]
				t0 := time.Now()
				if err := w.run(); err != nil {
					return nil, fmt.Errorf("%s: %w", q.Name, err)
				}
				w.times = append(w.times, time.Since(t0))
			}
		}
		row := SuiteRow{Query: q.Name, RawMS: medianMS(raw.times), GatedMS: medianMS(gated.times), HTTPMS: medianMS(http.times), PGMS: medianMS(pg.times)}
		if row.RawMS > 0 {
			row.GatedRaw, row.HTTPRaw = row.GatedMS/row.RawMS, row.HTTPMS/row.RawMS
		}
		out = append(out, row)
	}
	return out, nil
}

func drainRows(rs *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
	}
	return rs.Err()
}

func medianMS(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[len(s)/2].Microseconds()) / 1000
}

// Machine describes this machine for a report.
func Machine() string {
	return fmt.Sprintf("%s/%s, %d cores", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
}

// WriteMarkdown writes the report as the table BENCHMARKS.md holds.
func (r *SuiteReport) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## SQL suite at %d rows (%s, %s; medians of %d runs each way, rotating order)\n\n", r.Rows, r.Machine, r.Date, r.Reps)
	fmt.Fprintf(&b, "`%s`\n\n", r.Command)
	pg := false
	for _, q := range r.Queries {
		pg = pg || q.PGMS > 0
	}
	b.WriteString("| query | raw DuckDB ms | gated ms | gated / raw | HTTP + Arrow ms | HTTP / raw |")
	if pg {
		b.WriteString(" PostgreSQL ms |")
	}
	b.WriteString("\n| --- | --- | --- | --- | --- | --- |")
	if pg {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, q := range r.Queries {
		fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.2f | %.1f | %.2f |", q.Query, q.RawMS, q.GatedMS, q.GatedRaw, q.HTTPMS, q.HTTPRaw)
		if pg {
			fmt.Fprintf(&b, " %.1f |", q.PGMS)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report for machines.
func (r *SuiteReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
