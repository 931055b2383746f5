package synth

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchRows is the table size of the benchmarks; override with
// INVISO_SYNTH_BENCH_ROWS (for example 10000000) to measure larger files.
func benchRows(b *testing.B) int {
	rows := 1_000_000
	if s := os.Getenv("INVISO_SYNTH_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("INVISO_SYNTH_BENCH_ROWS: %v", err)
		}
		rows = n
	}
	return rows
}

// countingDiscard counts bytes written and drops them.
type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkGenerate measures encoding only (output discarded).
func BenchmarkGenerate(b *testing.B) {
	rows := benchRows(b)
	for _, t := range Tables() {
		for _, f := range Formats() {
			b.Run(fmt.Sprintf("%s/%s", t, f), func(b *testing.B) {
				var w countingDiscard
				var n int64
				start := time.Now()
				for b.Loop() {
					var err error
					if n, err = Write(context.Background(), &w, memory.DefaultAllocator, t, f, Config{Rows: rows, Seed: 1}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
				b.ReportMetric(float64(w.n)/float64(b.N)/(1<<20), "MiB/op")
			})
		}
	}
}

// BenchmarkWriteFile measures writing citizens files to disk.
func BenchmarkWriteFile(b *testing.B) {
	rows := benchRows(b)
	for _, f := range []Format{CSV, Parquet} {
		b.Run(string(f), func(b *testing.B) {
			dir := b.TempDir()
			var n int64
			start := time.Now()
			for b.Loop() {
				var err error
				if _, n, err = WriteFile(context.Background(), dir, memory.DefaultAllocator, Citizens, f, Config{Rows: rows, Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
			st, err := os.Stat(filepath.Join(dir, FileName(Citizens, f)))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(st.Size())/(1<<20), "MiB")
		})
	}
}

var _ io.Writer = (*countingDiscard)(nil)
