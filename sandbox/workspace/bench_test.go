package workspace

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/store"
)

// benchRules are the benchmark treatments: two hashed identifiers (person_id as the
// unit, id_number), one mask (phone), two generalizations (birth_date to 5-year bands, income to
// buckets of 10000). The other columns have no rule and are dropped.
const benchRules = `{"columns": {
	"person_id":  {"class": "identifier", "treatment": "hash", "usage": "join_only"},
	"id_number":  {"class": "identifier", "treatment": "hash"},
	"phone":      {"class": "identifier", "treatment": "mask", "params": {"keep_first": 3, "keep_last": 4}},
	"birth_date": {"class": "quasi_identifier", "treatment": "generalize", "usage": "dimension", "params": {"to": "year", "width": 5}},
	"income":     {"class": "sensitive", "treatment": "generalize", "usage": "aggregate_only", "params": {"width": 10000, "lo": 0, "hi": 1000000}}
}}`

// benchColumns are the columns both sides of the benchmark produce.
var benchColumns = []string{"person_id", "id_number", "phone", "birth_date", "income"}

func benchRows(b *testing.B) int {
	n := 200_000
	if s := os.Getenv("INVISO_BENCH_ROWS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1000 {
			b.Fatalf("INVISO_BENCH_ROWS=%q: want a number ≥ 1000", s)
		}
		n = v
	}
	return n
}

// BenchmarkMaterialize compares, on the same raw citizens file, in the same run:
//
//   - plain: a locked instance ATTACHes the raw version read-only and copies the five columns
//     with CREATE TABLE AS SELECT, then CHECKPOINTs (DuckDB at full speed, no treatment);
//   - ws_ctas: the same, but the SELECT is the workspace's (pseudonyms through the Go UDF, mask,
//     generalizations, NULL-unit filter);
//   - ws_build: the whole Build (the above, plus row counts, max rows per unit, verification,
//     digest, checkpoint, fsync, rename).
//
// It reports rows/s of each and the ratios to plain (the target: ws_build ≥ 0.5x).
// INVISO_BENCH_ROWS sets the number of citizens (default 200,000). Run with -benchtime=3x or so.
func BenchmarkMaterialize(b *testing.B) {
	n := benchRows(b)
	dir := b.TempDir()
	raw := synthCitizens(b, dir, n)
	src := source(b, "citizens", raw, benchRules, "person_id")
	k := key(b, "bench")
	ctx := context.Background()
	cfg := duck.Config{} // DuckDB's defaults: every core, 80% of memory

	plans, err := compile(Spec{Key: k, Sources: []Source{src}})
	if err != nil {
		b.Fatal(err)
	}
	wsSelect := make([]string, len(plans[0].cols))
	for i, c := range plans[0].cols {
		wsSelect[i] = c.expr + " AS " + duck.Ident(c.Name)
	}
	plainSelect := make([]string, len(benchColumns))
	for i, c := range benchColumns {
		plainSelect[i] = "s." + duck.Ident(c)
	}
	ctas := func(path, selectList, where string, udf bool) time.Duration {
		start := time.Now()
		c := cfg
		c.AllowedPaths = []string{raw, raw + ".wal"}
		db, err := duck.Open(ctx, path, c)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		conn, err := db.Conn(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		if udf {
			if err := registerPseudonym(conn, k); err != nil {
				b.Fatal(err)
			}
		}
		for _, q := range []string{
			"ATTACH " + duck.Quote(raw) + " AS src (READ_ONLY)",
			"CREATE TABLE citizens AS SELECT " + selectList + " FROM src." + store.Table + " AS s" + where,
			"DETACH src",
			"CHECKPOINT",
		} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		conn.Close()
		db.Close()
		return time.Since(start)
	}

	var plain, wsCTAS, wsBuild time.Duration
	iters := 0
	for b.Loop() {
		iters++
		p := filepath.Join(dir, "plain.duckdb")
		plain += ctas(p, strings.Join(plainSelect, ", "), "", false)
		removeDB(p)

		p = filepath.Join(dir, "ctas.duckdb")
		wsCTAS += ctas(p, strings.Join(wsSelect, ", "), " WHERE s.person_id IS NOT NULL", true)
		removeDB(p)

		p = filepath.Join(dir, "ws.duckdb")
		start := time.Now()
		res, err := Build(ctx, p, Spec{Key: k, Sources: []Source{src}, DuckDB: cfg})
		if err != nil {
			b.Fatal(err)
		}
		wsBuild += time.Since(start)
		if res.Tables[0].Rows != int64(n) {
			b.Fatalf("workspace rows %d, want %d", res.Tables[0].Rows, n)
		}
		removeDB(p)
	}
	rate := func(d time.Duration) float64 { return float64(n) * float64(iters) / d.Seconds() }
	b.ReportMetric(float64(n), "rows")
	b.ReportMetric(rate(plain), "plain_rows/s")
	b.ReportMetric(rate(wsCTAS), "ws_ctas_rows/s")
	b.ReportMetric(rate(wsBuild), "ws_build_rows/s")
	b.ReportMetric(plain.Seconds()/wsCTAS.Seconds(), "ctas_ratio")
	b.ReportMetric(plain.Seconds()/wsBuild.Seconds(), "build_ratio")
}
