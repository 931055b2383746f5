package audit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox/audit"
)

// jobEntry is a job entry of a typical size (about 1 KB: SQL, rewritten SQL, digests, timings).
func jobEntry(i int) audit.Entry {
	e, _ := audit.New("p_developer_0123456789", audit.KindJob, fmt.Sprintf("job_%024d", i), map[string]any{
		"state": "released", "sql": "SELECT district, gender, count(*) AS n FROM citizens GROUP BY district, gender",
		"rewritten":     "SELECT district, gender, count_star() AS n, count_star() AS __inviso_units FROM citizens GROUP BY district, gender",
		"policy_input":  "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
		"workspace":     "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		"result_digest": "sha256:ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100",
		"rows":          26, "suppressed_groups": 0, "timings_us": map[string]int{"parse": 310, "analyse": 40, "policy": 900, "rewrite": 300, "execute": 24000},
	})
	e.Time = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	return e
}

// BenchmarkAppend16 measures durable appends from 16 concurrent writers: each AppendDurable
// returns only after its entry is in the write-ahead file and synced (what a release waits
// for). Target ≥ 5,000 entries/s. The tree-indexed rate (Append, which also waits for tessera
// to integrate the entry) is reported beside it.
func BenchmarkAppend16(b *testing.B) {
	l := openLog(b, filepath.Join(b.TempDir(), "log"), newKeys(b))
	ctx := context.Background()
	run := func(one func(i int) error) float64 {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
					if err := one(int(i)); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return float64(b.N) / time.Since(start).Seconds()
	}
	b.ResetTimer()
	durable := run(func(i int) error {
		_, err := l.AppendDurable(ctx, jobEntry(i))
		return err
	})
	indexed := run(func(i int) error {
		_, err := l.Append(ctx, jobEntry(i))
		return err
	})
	b.ReportMetric(durable, "durable-entries/s")
	b.ReportMetric(indexed, "indexed-entries/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkVerify measures Verify over a log of n entries, in entries per second. Target ≥ 100,000 entries/s at 1,000,000 entries (make bench sets -verify.entries).
func BenchmarkVerify(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	if *verifyEntries > 0 {
		n = *verifyEntries
	}
	keys := newKeys(b)
	l := openLog(b, filepath.Join(b.TempDir(), "log"), keys)
	ctx := context.Background()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				if _, err := l.Append(ctx, jobEntry(int(i))); err != nil {
					b.Errorf("append %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if size, _ := l.Size(ctx); size != uint64(n) {
		b.Fatalf("filled %d of %d entries", size, n)
	}
	if _, _, err := l.WaitCheckpoint(ctx, uint64(n)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		rep, err := audit.Verify(ctx, l.Reader(), keys.Verifier, nil)
		if err != nil || rep.Size != uint64(n) {
			b.Fatalf("%+v %v", rep, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "entries/s")
}
