package parquet_test

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/inviso/inviso/connectors/parquet"
	"github.com/inviso/inviso/sandbox/duck"
)

var benchRows = flag.Int("bench.rows", 1_000_000, "rows in the generated benchmark file")

// BenchmarkLoad compares the loader with a bare CREATE TABLE AS SELECT * FROM read_parquet on
// the same file, in the same instance, alternating within each iteration.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	file := filepath.Join(dir, "bench.parquet")
	writeParquet(b, file, `SELECT 1000000000 + i AS pid, ['东城区','西城区','朝阳区','海淀区','丰台区'][1 + i % 5] AS district,
		CASE WHEN i % 2 = 0 THEN 'M' ELSE 'F' END AS gender, DATE '1940-01-01' + (i % 25000)::INT AS birth,
		1000 + i % 90000 AS income, ((i % 500000) / 100)::DECIMAL(12,2) AS amount,
		CASE WHEN i % 7 <> 0 THEN 'note ' || (i % 1000) END AS note, i % 3 = 0 AS active
		FROM range(`+itoa(*benchRows)+`) r(i)`)
	conn := open(b, file)
	exec := func(q string) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	var raw, loader time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		exec("CREATE TABLE raw AS SELECT * FROM read_parquet(" + duck.Quote(file) + ")")
		raw += time.Since(start)
		start = time.Now()
		if err := (&parquet.Loader{}).Load(ctx, conn, file, "t", nil); err != nil {
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

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
