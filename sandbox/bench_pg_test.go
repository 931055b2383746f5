package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

// BenchmarkPostgresVsInviso runs the SQL suite gated in inviso and raw on PostgreSQL (the
// database a user might otherwise query), on the same rows, alternating, medians of b.N runs.
// PostgreSQL is the Debian package's server, started here on a unix socket in a temporary
// cluster (shared_buffers 2GB, work_mem 256MB, two parallel workers per gather, the data
// loaded with COPY and ANALYZEd, warmed by one run of each query before timing).
// It needs the server binaries (apt-get install postgresql) and a "postgres" system user.
func BenchmarkPostgresVsInviso(b *testing.B) {
	pg := startPostgres(b)
	w := newBenchWorld(b, benchRows())
	ctx := context.Background()
	loadIntoPostgres(b, w, pg)
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

// startPostgres initialises and starts a throwaway PostgreSQL cluster as the postgres user,
// listening on a unix socket only, and stops it when the benchmark ends.
func startPostgres(b *testing.B) *sql.DB {
	b.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(bins) == 0 {
		b.Skip("PostgreSQL server binaries not found: apt-get install postgresql")
	}
	bin := bins[len(bins)-1]
	u, err := user.Lookup("postgres")
	if err != nil {
		b.Skip("no postgres system user: apt-get install postgresql")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	root, err := os.MkdirTemp("", "inviso-pg-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(root) })
	os.Chmod(root, 0o755)
	data := filepath.Join(root, "data")
	for _, d := range []string{data, filepath.Join(root, "sock"), filepath.Join(root, "load")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			b.Fatal(err)
		}
		os.Chown(d, uid, gid)
	}
	asPostgres := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Env = []string{"LANG=C.UTF-8"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v\n%s", name, err, out)
		}
		return nil
	}
	if err := asPostgres("initdb", "-D", data, "-E", "UTF8", "--no-sync", "-A", "trust"); err != nil {
		b.Fatal(err)
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses='' -c shared_buffers=2GB -c work_mem=256MB -c max_parallel_workers_per_gather=2 -c fsync=off",
		filepath.Join(root, "sock"))
	if err := asPostgres("pg_ctl", "-D", data, "-o", opts, "-w", "-l", filepath.Join(root, "load", "pg.log"), "start"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { asPostgres("pg_ctl", "-D", data, "-m", "immediate", "stop") })
	db, err := sql.Open("postgres", "host="+filepath.Join(root, "sock")+" user=postgres dbname=postgres sslmode=disable")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		b.Fatal(err)
	}
	return db
}

// loadIntoPostgres copies the grant's workspace tables (the same rows the gated queries read)
// into PostgreSQL, through CSV files the server reads itself.
func loadIntoPostgres(b *testing.B, w *benchWorld, pg *sql.DB) {
	b.Helper()
	ctx := context.Background()
	file, _ := w.sb.catalog.GrantFile(ctx, w.grant.ID)
	src, err := sql.Open("duckdb", w.sb.workspacePath(file)+"?access_mode=read_only")
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	var loadDir string
	pg.QueryRow("SHOW unix_socket_directories").Scan(&loadDir)
	loadDir = filepath.Join(filepath.Dir(loadDir), "load")
	for _, t := range w.grant.Workspace.Tables {
		var cols []string
		for _, c := range t.Columns {
			typ := c.Type
			switch {
			case typ == "VARCHAR":
				typ = "TEXT"
			case typ == "DOUBLE":
				typ = "DOUBLE PRECISION"
			case strings.HasPrefix(typ, "DECIMAL"):
				typ = strings.Replace(typ, "DECIMAL", "NUMERIC", 1)
			}
			cols = append(cols, fmt.Sprintf("%q %s", c.Name, typ))
		}
		csv := filepath.Join(loadDir, t.Name+".csv")
		if _, err := src.ExecContext(ctx, fmt.Sprintf("COPY %q TO '%s' (HEADER)", t.Name, csv)); err != nil {
			b.Fatal(err)
		}
		os.Chmod(csv, 0o644)
		for _, q := range []string{
			fmt.Sprintf("CREATE TABLE %q (%s)", t.Name, strings.Join(cols, ", ")),
			fmt.Sprintf("COPY %q FROM '%s' (FORMAT csv, HEADER)", t.Name, csv),
			fmt.Sprintf("ANALYZE %q", t.Name),
		} {
			if _, err := pg.ExecContext(ctx, q); err != nil {
				b.Fatalf("%s: %v", q, err)
			}
		}
		os.Remove(csv)
	}
}
