package plugin

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var benchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "person", Type: arrow.PrimitiveTypes.Int64},
	{Name: "birth_year", Type: arrow.PrimitiveTypes.Int64},
	{Name: "income", Type: arrow.PrimitiveTypes.Float64},
	{Name: "benefit", Type: arrow.PrimitiveTypes.Float64},
	{Name: "district", Type: arrow.BinaryTypes.String},
	{Name: "active", Type: arrow.FixedWidthTypes.Boolean},
}, nil)

// repeatReader yields one prepared batch again and again, n rows in all.
type repeatReader struct {
	refs      atomic.Int64
	rec, cur  arrow.RecordBatch
	left, off int64
}

func newRepeatReader(n int64) *repeatReader {
	const per = 64 * 1024
	b := array.NewRecordBuilder(memory.DefaultAllocator, benchSchema)
	defer b.Release()
	for i := 0; i < per; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.Int64Builder).Append(int64(1940 + i%60))
		b.Field(2).(*array.Float64Builder).Append(float64(i%5000) * 12.5)
		b.Field(3).(*array.Float64Builder).Append(float64(i % 300))
		b.Field(4).(*array.StringBuilder).Append("district-" + strconv.Itoa(i%40))
		b.Field(5).(*array.BooleanBuilder).Append(i%3 == 0)
	}
	r := &repeatReader{rec: b.NewRecordBatch(), left: n}
	r.refs.Store(1)
	return r
}

func (r *repeatReader) Retain()               { r.refs.Add(1) }
func (r *repeatReader) Schema() *arrow.Schema { return benchSchema }
func (r *repeatReader) Err() error            { return nil }
func (r *repeatReader) Release() {
	if r.refs.Add(-1) == 0 {
		r.release()
		r.rec.Release()
	}
}
func (r *repeatReader) release() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}
func (r *repeatReader) Next() bool {
	r.release()
	if r.left <= 0 {
		return false
	}
	n := min(r.left, r.rec.NumRows())
	r.cur = r.rec.NewSlice(0, n)
	r.left -= n
	return true
}
func (r *repeatReader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *repeatReader) Record() arrow.RecordBatch      { return r.cur }

// BenchmarkIdentity10M streams rows of 6 columns through the identity plugin and back, with
// every check of the host. "sink" hands each output batch to RunSpec.Sink (how a caller
// appends to a table); "collect" keeps the whole output in memory. INVISO_BENCH_ROWS changes
// the row count (default 10,000,000).
//
//	go test ./sandbox/plugin -run '^$' -bench Identity10M -benchtime 1x
func BenchmarkIdentity10M(b *testing.B) {
	e := setup(b)
	rows := int64(10_000_000)
	if s := os.Getenv("INVISO_BENCH_ROWS"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		rows = n
	}
	for _, mode := range []string{"sink", "collect"} {
		b.Run(mode, func(b *testing.B) { benchIdentity(b, e, rows, mode == "sink") })
	}
}

func benchIdentity(b *testing.B, e *testEnv, rows int64, useSink bool) {
	d := digests["identity"]
	var total, start time.Duration
	for range b.N {
		in := newRepeatReader(rows)
		var got int64
		spec := RunSpec{Digest: d, Approved: []string{d}, Input: in}
		if useSink {
			spec.Sink = func(b arrow.RecordBatch) error { got += b.NumRows(); return nil }
		}
		t0 := time.Now()
		res, err := e.runner.Run(context.Background(), spec)
		total += time.Since(t0)
		in.Release()
		if err != nil {
			b.Fatalf("run: %v (%s)", err, detail(res))
		}
		if !useSink {
			got = res.Stats.RowsOut
		}
		if res.Stats.RowsOut != rows || got != rows {
			b.Fatalf("%d rows out, %d received, want %d", res.Stats.RowsOut, got, rows)
		}
		start += res.Stats.StartOverhead
		b.Logf("rows %d: start %s, streaming %s, total %s; bytes in %d MiB, out %d MiB; plugin CPU %s",
			rows, res.Stats.StartOverhead, res.Stats.Streaming, res.Stats.Total,
			res.Stats.BytesIn>>20, res.Stats.BytesOut>>20, res.Stats.CPUTime)
		res.Release()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/total.Seconds(), "rows/s")
	b.ReportMetric(float64(start.Microseconds())/1e3/float64(b.N), "start-ms")
}
