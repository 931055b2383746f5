// Package pgbaseline runs the PostgreSQL baseline of the benchmarks: a throwaway cluster of
// Debian's PostgreSQL server holding the same rows as a grant's workspace, the database a user
// might otherwise query directly.
package pgbaseline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	_ "github.com/lib/pq" // the PostgreSQL baseline's driver

	"github.com/inviso/inviso/sandbox/duck"
)

// Postgres is a throwaway PostgreSQL cluster: Debian's server binaries run as the postgres
// system user, listening on a unix socket only, in a temporary directory removed by Close.
type Postgres struct {
	DB   *sql.DB
	root string
	stop func() error
}

// ErrNoPostgres means the machine has no PostgreSQL server to start (apt-get install postgresql).
var ErrNoPostgres = errors.New("PostgreSQL server binaries or the postgres user not found: apt-get install postgresql")

// StartPostgres initialises and starts a cluster tuned for analytics on this machine's memory
// (shared_buffers 2GB, work_mem 256MB, 2 parallel workers per gather, fsync off: the
// baseline is given every advantage). It must run as root, to start the server as postgres.
func Start(ctx context.Context) (*Postgres, error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	u, uerr := user.Lookup("postgres")
	if len(bins) == 0 || uerr != nil {
		return nil, ErrNoPostgres
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("starting the PostgreSQL baseline needs root (the server runs as the postgres user)")
	}
	bin := bins[len(bins)-1]
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	root, err := os.MkdirTemp("", "inviso-pg-")
	if err != nil {
		return nil, err
	}
	p := &Postgres{root: root, stop: func() error { return nil }}
	fail := func(err error) (*Postgres, error) {
		p.Close()
		return nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	if err := os.Chmod(root, 0o755); err != nil {
		return fail(err)
	}
	data := filepath.Join(root, "data")
	for _, d := range []string{data, p.sock(), p.loadDir()} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fail(err)
		}
		if err := os.Chown(d, uid, gid); err != nil {
			return fail(err)
		}
	}
	asPostgres := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...) // not cancelled: a half-started cluster is stopped by Close
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Env = []string{"LANG=C.UTF-8"}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", name, err, out)
		}
		return nil
	}
	if err := asPostgres("initdb", "-D", data, "-E", "UTF8", "--no-sync", "-A", "trust"); err != nil {
		return fail(err)
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses='' -c shared_buffers=2GB -c work_mem=256MB -c max_parallel_workers_per_gather=2 -c fsync=off", p.sock())
	if err := asPostgres("pg_ctl", "-D", data, "-o", opts, "-w", "-l", filepath.Join(p.loadDir(), "pg.log"), "start"); err != nil {
		return fail(err)
	}
	p.stop = func() error { return asPostgres("pg_ctl", "-D", data, "-m", "immediate", "stop") }
	if p.DB, err = sql.Open("postgres", "host="+p.sock()+" user=postgres dbname=postgres sslmode=disable"); err != nil {
		return fail(err)
	}
	if err := p.DB.PingContext(ctx); err != nil {
		return fail(err)
	}
	return p, nil
}

func (p *Postgres) sock() string    { return filepath.Join(p.root, "sock") }
func (p *Postgres) loadDir() string { return filepath.Join(p.root, "load") }

// Close stops the cluster and removes its directory.
func (p *Postgres) Close() error {
	var errs []error
	if p.DB != nil {
		errs = append(errs, p.DB.Close())
	}
	errs = append(errs, p.stop(), os.RemoveAll(p.root))
	return errors.Join(errs...)
}

// LoadFrom copies every table of a DuckDB database file (a grant's workspace: the rows the
// gated queries read) into PostgreSQL with the same names and matching types, through CSV
// files the server reads itself, and ANALYZEs them.
func (p *Postgres) LoadFrom(ctx context.Context, duckdbPath string) error {
	// A plain instance: it writes the CSV files (the lockdown of duck.Open would refuse that).
	src, err := sql.Open("duckdb", duckdbPath+"?access_mode=read_only")
	if err != nil {
		return err
	}
	defer src.Close()
	rows, err := src.QueryContext(ctx, "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' ORDER BY table_name, ordinal_position")
	if err != nil {
		return err
	}
	cols := map[string][]string{}
	var tables []string
	for rows.Next() {
		var t, c, typ string
		if err := rows.Scan(&t, &c, &typ); err != nil {
			rows.Close()
			return err
		}
		if _, seen := cols[t]; !seen {
			tables = append(tables, t)
		}
		cols[t] = append(cols[t], fmt.Sprintf("%s %s", duck.Ident(c), postgresType(typ)))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		csv := filepath.Join(p.loadDir(), t+".csv")
		if _, err := src.ExecContext(ctx, fmt.Sprintf("COPY %s TO '%s' (HEADER)", duck.Ident(t), csv)); err != nil {
			return fmt.Errorf("export %s: %w", t, err)
		}
		if err := os.Chmod(csv, 0o644); err != nil {
			return err
		}
		for _, q := range []string{
			fmt.Sprintf("CREATE TABLE %s (%s)", duck.Ident(t), strings.Join(cols[t], ", ")),
			fmt.Sprintf("COPY %s FROM '%s' (FORMAT csv, HEADER)", duck.Ident(t), csv),
			fmt.Sprintf("ANALYZE %s", duck.Ident(t)),
		} {
			if _, err := p.DB.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("PostgreSQL: %s: %w", q, err)
			}
		}
		os.Remove(csv)
	}
	return nil
}

// postgresType is the PostgreSQL type for a DuckDB one (those workspaces hold).
func postgresType(duckType string) string {
	switch {
	case duckType == "VARCHAR":
		return "TEXT"
	case duckType == "DOUBLE":
		return "DOUBLE PRECISION"
	case strings.HasPrefix(duckType, "DECIMAL"):
		return strings.Replace(duckType, "DECIMAL", "NUMERIC", 1)
	}
	return duckType
}
