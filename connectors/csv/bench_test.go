package csv_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/inviso/inviso/connectors/csv"
	"github.com/inviso/inviso/sandbox/duck"
)

var benchRows = flag.Int("bench.rows", 1_000_000, "rows in the generated benchmark file")

// generate writes n rows × 8 columns of plausible data.
func generate(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "pid,district,gender,birth,income,amount,note,active")
	districts := []string{"东城区", "西城区", "朝阳区", "海淀区", "丰台区"}
	for i := range n {
		note := ""
		if i%7 != 0 {
			note = fmt.Sprintf("note %d", i%1000)
		}
		fmt.Fprintf(w, "%d,%s,%c,%04d-%02d-%02d,%d,%d.%02d,%s,%t\n",
			1_000_000_000+i, districts[i%5], "MF"[i%2], 1940+i%70, 1+i%12, 1+i%28, 1000+i%90000, i%5000, i%100, note, i%3 == 0)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkLoad compares the loader with a bare CREATE TABLE AS SELECT * FROM read_csv on the
// same file, in the same instance, alternating within each iteration.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	file := filepath.Join(dir, "bench.csv")
	generate(b, file, *benchRows)
	db, err := duck.Open(ctx, filepath.Join(dir, "x.duckdb"), duck.Config{AllowedPaths: []string{file}})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	var raw, loader time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		exec("CREATE TABLE raw AS SELECT * FROM read_csv(" + duck.Quote(file) + ")")
		raw += time.Since(start)
		start = time.Now()
		if err := (&csv.Loader{}).Load(ctx, conn, file, "t", nil); err != nil {
			b.Fatal(err)
		}
		loader += time.Since(start)
		b.StopTimer()
		exec("DROP TABLE raw")
		exec("DROP TABLE t")
		b.StartTimer()
	}
	rows := float64(*benchRows) * float64(b.N)
	b.ReportMetric(rows/raw.Seconds(), "raw-rows/s")
	b.ReportMetric(rows/loader.Seconds(), "loader-rows/s")
	b.ReportMetric(raw.Seconds()/loader.Seconds(), "ratio")
}
