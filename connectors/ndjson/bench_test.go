package ndjson_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/inviso/inviso/connectors/ndjson"
	"github.com/inviso/inviso/sandbox/duck"
)

var benchRows = flag.Int("bench.rows", 1_000_000, "rows in the generated benchmark file")

// BenchmarkLoad compares the loader with a bare CREATE TABLE AS SELECT * FROM read_json on the
// same file, in the same instance, alternating within each iteration.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	conn, file := open(b, "")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	districts := []string{"东城区", "西城区", "朝阳区", "海淀区", "丰台区"}
	for i := range *benchRows {
		fmt.Fprintf(w, `{"pid": %d, "district": %q, "birth": "%04d-%02d-%02d", "income": %d, "amount": %d.%02d, "active": %t}`+"\n",
			1_000_000_000+i, districts[i%5], 1940+i%70, 1+i%12, 1+i%28, 1000+i%90000, i%5000, i%100, i%3 == 0)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	exec := func(q string) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	var raw, loader time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		exec("CREATE TABLE raw AS SELECT * FROM read_json(" + duck.Quote(file) + ", format='newline_delimited')")
		raw += time.Since(start)
		start = time.Now()
		if err := (&ndjson.Loader{}).Load(ctx, conn, file, "t", nil); err != nil {
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
