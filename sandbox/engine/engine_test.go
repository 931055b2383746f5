package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

func workspace(t *testing.T, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ws.duckdb")
	db, err := duck.Open(context.Background(), path, duck.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range append([]string{"CREATE TABLE citizens AS SELECT i AS person_id, i % 4 AS district FROM range(1000) r(i)"}, extra...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func count(t *testing.T, e *Engine, path, q string) (int64, error) {
	t.Helper()
	var n int64
	err := e.Query(context.Background(), path, "d", q, func(*arrow.Schema) error { return nil },
		func(r arrow.RecordBatch) error { n += r.NumRows(); return nil })
	return n, err
}

func TestQueryRuns(t *testing.T) {
	t.Parallel()
	e := New(Options{DuckDB: duck.Config{Threads: 1}})
	defer e.Close()
	path := workspace(t)
	n, err := count(t, e, path, "SELECT district, count(*) FROM citizens GROUP BY district")
	if err != nil || n != 4 {
		t.Fatalf("n=%d err=%v", n, err)
	}
}

// TestLockdownHoldsWithoutTheGate sends what the analyser refuses straight to the engine: the
// instance itself must refuse it (defence in depth).
func TestLockdownHoldsWithoutTheGate(t *testing.T) {
	t.Parallel()
	e := New(Options{DuckDB: duck.Config{Threads: 1}})
	defer e.Close()
	path := workspace(t)
	secret := filepath.Join(t.TempDir(), "secret.csv")
	os.WriteFile(secret, []byte("a\n1\n"), 0o600)
	for name, q := range map[string]string{
		"read file":     "SELECT * FROM read_csv('/etc/passwd')",
		"read secret":   "SELECT * FROM read_csv('" + secret + "')",
		"copy out":      "COPY citizens TO '" + filepath.Join(t.TempDir(), "out.csv") + "'",
		"attach":        "ATTACH '" + filepath.Join(t.TempDir(), "x.duckdb") + "' AS x",
		"install":       "INSTALL httpfs",
		"load":          "LOAD httpfs",
		"set":           "SET enable_external_access = true",
		"unlock":        "SET lock_configuration = false",
		"write":         "INSERT INTO citizens VALUES (1, 1)",
		"create":        "CREATE TABLE x AS SELECT 1",
		"glob":          "SELECT * FROM glob('/etc/*')",
		"export":        "EXPORT DATABASE '" + t.TempDir() + "'",
		"http":          "SELECT * FROM read_csv('https://example.com/x.csv')",
		"read own file": "SELECT * FROM read_blob('" + path + "')",
	} {
		_, err := count(t, e, path, q)
		if err == nil {
			t.Errorf("%s: %q ran", name, q)
			continue
		}
		if strings.Contains(fault.Public(err).Message, "passwd") || strings.Contains(fault.Public(err).Message, secret) {
			t.Errorf("%s: engine message reached the client: %s", name, fault.Public(err).Message)
		}
	}
}

func TestTimeoutAndMaxRows(t *testing.T) {
	t.Parallel()
	path := workspace(t)
	e := New(Options{DuckDB: duck.Config{Threads: 1}, Timeout: 200 * time.Millisecond, MaxRows: 10})
	defer e.Close()
	start := time.Now()
	_, err := count(t, e, path, "SELECT count(*) FROM range(2000000000) a, range(1000) b")
	if err == nil || time.Since(start) > 20*time.Second {
		t.Fatalf("a runaway query was not stopped: %v after %s", err, time.Since(start))
	}
	if !strings.Contains(fault.Public(err).Message, "longer than") {
		t.Fatalf("timeout message: %s", fault.Public(err).Message)
	}
	if _, err := count(t, e, path, "SELECT person_id FROM citizens"); !errors.Is(err, ErrTooManyRows) {
		t.Fatalf("max rows: %v", err)
	}
}

func TestRefusesWorkspaceWithUserFunctions(t *testing.T) {
	t.Parallel()
	path := workspace(t, "CREATE MACRO count_star() AS 1")
	e := New(Options{DuckDB: duck.Config{Threads: 1}})
	defer e.Close()
	if _, err := count(t, e, path, "SELECT count(*) FROM citizens"); err == nil || !strings.Contains(err.Error(), "non-internal") {
		t.Fatalf("a workspace with a macro was used: %v", err)
	}
}
