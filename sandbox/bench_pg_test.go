package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox/pgbaseline"
)

// BenchmarkPostgresVsInviso runs the SQL suite gated in inviso and raw on PostgreSQL (the
// database a user might otherwise query), on the same rows, alternating, medians of b.N runs.
// PostgreSQL is the Debian package's server, started here on a unix socket in a temporary
// cluster (shared_buffers 2GB, work_mem 256MB, two parallel workers per gather, the data
// loaded with COPY and ANALYZEd, warmed by one run of each query before timing).
// It needs the server binaries (apt-get install postgresql) and a "postgres" system user.
func BenchmarkPostgresVsInviso(b *testing.B) {
	w := newBenchWorld(b, benchRows())
	ctx := context.Background()
	pg := startPostgres(b, w)
	for _, q := range benchSuite {
		b.Run(q.name, func(b *testing.B) {
			if err := drain(pg.QueryContext(ctx, q.sql)); err != nil { // warm the cache
				b.Fatal(err)
			}
			var tpg, tgated []time.Duration
			runs := [2]func(){
				func() {
					t0 := time.Now()
					if err := drain(pg.QueryContext(ctx, q.sql)); err != nil {
						b.Fatal(err)
					}
					tpg = append(tpg, time.Since(t0))
				},
				func() {
					t0 := time.Now()
					res, err := w.sb.Query(ctx, w.dev, w.grant.ID, q.sql, false)
					if err != nil {
						b.Fatal(err)
					}
					res.Release()
					tgated = append(tgated, time.Since(t0))
				},
			}
			for i := 0; i < b.N; i++ {
				runs[i%2]()
				runs[(i+1)%2]()
			}
			p, g := median(tpg), median(tgated)
			b.ReportMetric(float64(p.Microseconds())/1000, "postgres-ms")
			b.ReportMetric(float64(g.Microseconds())/1000, "gated-ms")
			b.ReportMetric(float64(g)/float64(p), "gated/postgres")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// startPostgres starts the PostgreSQL baseline and loads the grant's workspace into it (the
// rows the gated queries read); it is stopped when the benchmark ends.
func startPostgres(b *testing.B, w *benchWorld) *sql.DB {
	b.Helper()
	ctx := context.Background()
	pg, err := pgbaseline.Start(ctx)
	if errors.Is(err, pgbaseline.ErrNoPostgres) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pg.Close() })
	file, _ := w.sb.catalog.GrantFile(ctx, w.grant.ID)
	if err := pg.LoadFrom(ctx, w.sb.workspacePath(file)); err != nil {
		b.Fatal(err)
	}
	return pg.DB
}
