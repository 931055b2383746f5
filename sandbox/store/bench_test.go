package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/connectors/synth"
	"github.com/inviso/inviso/sandbox/duck"
)

// benchRows is the size of the generated citizens table: INVISO_BENCH_ROWS (make bench uses
// 10,000,000), default 200,000 so a plain `go test -bench .` stays quick.
func benchRows(b *testing.B) int {
	if n, err := strconv.Atoi(os.Getenv("INVISO_BENCH_ROWS")); err == nil {
		return n
	}
	return 200_000
}

// BenchmarkImportVsDuckDB imports the same citizens file through the store (upload copy with
// SHA-256, DuckDB reader with reject tracking, column counts, checkpoint, fsync, rename, catalog
// commit) and through plain DuckDB `CREATE TABLE AS SELECT * FROM read_csv/read_parquet` into a
// fresh database file, side by side in each iteration, and reports both throughputs and their
// ratio (inviso / raw; the target is ≥ 0.8).
func BenchmarkImportVsDuckDB(b *testing.B) {
	rows := benchRows(b)
	dir := b.TempDir()
	for _, tc := range []struct {
		sf     synth.Format
		cf     connectors.Format
		reader string
	}{
		{synth.CSV, connectors.CSV, "read_csv"},
		{synth.Parquet, connectors.Parquet, "read_parquet"},
	} {
		path, _, err := synth.WriteFile(context.Background(), dir, memory.DefaultAllocator, synth.Citizens, tc.sf, synth.Config{Rows: rows, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(tc.cf), func(b *testing.B) {
			var raw, gated time.Duration
			for i := 0; i < b.N; i++ {
				raw += rawCTAS(b, path, tc.reader)
				gated += storeImport(b, path, tc.cf)
			}
			n := float64(rows) * float64(b.N)
			b.ReportMetric(n/raw.Seconds(), "raw-rows/s")
			b.ReportMetric(n/gated.Seconds(), "inviso-rows/s")
			b.ReportMetric(raw.Seconds()/gated.Seconds(), "ratio")
			b.ReportMetric(0, "ns/op") // the two figures above are the result
		})
	}
}

func rawCTAS(b *testing.B, file, reader string) time.Duration {
	b.Helper()
	dbPath := filepath.Join(b.TempDir(), "raw.duckdb")
	start := time.Now()
	db, err := sql.Open("duckdb", dbPath)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t AS SELECT * FROM " + reader + "(" + duck.Quote(file) + ")"); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec("CHECKPOINT"); err != nil {
		b.Fatal(err)
	}
	db.Close()
	return time.Since(start)
}

func storeImport(b *testing.B, file string, format connectors.Format) time.Duration {
	b.Helper()
	f := newFixture(b)
	in, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	start := time.Now()
	if _, err := f.store.Import(context.Background(), Import{Dataset: f.ds, Format: format, Body: in, Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}
