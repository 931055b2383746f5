package arrowipc_test

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/connectors/arrowipc"
)

var benchRows = flag.Int("bench.rows", 1_000_000, "rows in the generated benchmark file")

// BenchmarkLoad measures the loader on a generated stream of 8,192-row batches. DuckDB has no
// Arrow IPC reader to compare with here; the reference is TECH-NOTES' RegisterView figure.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	const batch = 8192
	file := write(b, writeGood(b, memory.NewGoAllocator(), (*benchRows+batch-1)/batch, batch, false, digits))
	rowsPerLoad := float64((*benchRows + batch - 1) / batch * batch)
	conn := open(b, file)
	var loader time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if err := (&arrowipc.Loader{}).Load(ctx, conn, file, "t", nil); err != nil {
			b.Fatal(err)
		}
		loader += time.Since(start)
		b.StopTimer()
		if _, err := conn.ExecContext(ctx, "DROP TABLE t"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(rowsPerLoad*float64(b.N)/loader.Seconds(), "loader-rows/s")
}
