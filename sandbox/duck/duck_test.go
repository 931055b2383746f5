package duck

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenLocksDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	allowed := filepath.Join(dir, "allowed.csv")
	other := filepath.Join(dir, "other.csv")
	for _, p := range []string{allowed, other} {
		if err := os.WriteFile(p, []byte("a,b\n1,2\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(ctx, filepath.Join(dir, "x.duckdb"), Config{Threads: 1, MemoryLimit: "256MB", AllowedPaths: []string{allowed}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM read_csv("+Quote(allowed)+")").Scan(&n); err != nil || n != 1 {
		t.Fatalf("allowed file: n=%d err=%v", n, err)
	}
	refused := map[string]string{
		"other file":       "SELECT count(*) FROM read_csv(" + Quote(other) + ")",
		"unlock":           "SET lock_configuration = false",
		"re-enable access": "SET enable_external_access = true",
		"raise memory":     "SET memory_limit = '20GB'",
		"install":          "INSTALL httpfs",
		"attach file":      "ATTACH " + Quote(filepath.Join(dir, "y.duckdb")),
		"copy out":         "COPY (SELECT 1) TO " + Quote(filepath.Join(dir, "out.csv")),
		"glob":             "SELECT * FROM glob(" + Quote(dir+"/*") + ")",
	}
	for name, q := range refused {
		if _, err := db.ExecContext(ctx, q); err == nil {
			t.Errorf("%s: %q was allowed", name, q)
		}
	}
	// A second connection of the same instance is locked too.
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET enable_external_access = true"); err == nil {
		t.Error("second connection could re-enable external access")
	}
	var threads int
	if err := conn.QueryRowContext(ctx, "SELECT current_setting('threads')::INT").Scan(&threads); err != nil || threads != 1 {
		t.Errorf("threads = %d, %v; want 1", threads, err)
	}
}

func TestOpenRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]Config{
		"negative threads": {Threads: -1},
		"bad memory":       {MemoryLimit: "lots"},
		"memory injection": {MemoryLimit: "1GB'; SET x='"},
		"nul path":         {AllowedPaths: []string{"a\x00b"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(context.Background(), "", cfg)
			if !errors.Is(err, ErrLockdown) {
				t.Fatalf("err = %v, want ErrLockdown", err)
			}
		})
	}
}

func TestReadOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ro.duckdb")
	db, err := Open(ctx, path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE t AS SELECT 42 AS v"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ro, err := Open(ctx, path, Config{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var v int
	if err := ro.QueryRowContext(ctx, "SELECT v FROM t").Scan(&v); err != nil || v != 42 {
		t.Fatalf("v=%d err=%v", v, err)
	}
	if _, err := ro.ExecContext(ctx, "INSERT INTO t VALUES (1)"); err == nil {
		t.Fatal("insert into a read-only instance succeeded")
	}
}

func TestNoFilesHidesTheDatabaseFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ws.duckdb")
	db, err := Open(ctx, path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	db.Exec("CREATE TABLE t AS SELECT range AS i FROM range(200000)")
	var n int
	if err := db.QueryRow("SELECT count(*) FROM read_blob(" + Quote(path) + ")").Scan(&n); err != nil || n != 1 {
		t.Fatalf("without NoFiles the own file is readable (as SECURITY.md says): %d %v", n, err)
	}
	db.Close()
	ro, err := Open(ctx, path, Config{ReadOnly: true, NoFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.QueryRow("SELECT count(*) FROM t WHERE i % 7 = 0").Scan(&n); err != nil || n != 28572 {
		t.Fatalf("the table must stay readable: %d %v", n, err)
	}
	for _, q := range []string{"SELECT count(*) FROM read_blob(" + Quote(path) + ")", "SELECT count(*) FROM read_text(" + Quote(path+".wal") + ")",
		"SET disabled_filesystems = ''"} {
		if _, err := ro.Exec(q); err == nil {
			t.Errorf("%s ran", q)
		}
	}
}
