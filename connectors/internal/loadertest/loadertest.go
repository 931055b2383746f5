// Package loadertest holds what every loader's tests need: a DuckDB instance locked down the way
// the domain store locks an import instance, with one file allowed.
package loadertest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/inviso/inviso/sandbox/duck"
)

// Conn opens a fresh locked instance in t's temporary directory that may read only file, and
// returns one connection to it. Both are closed when t ends.
func Conn(t testing.TB, file string) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	db, err := duck.Open(ctx, filepath.Join(t.TempDir(), "x.duckdb"), duck.Config{AllowedPaths: []string{file}, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// File writes content to a file named name in a new temporary directory and opens a locked
// instance that may read only it.
func File(t testing.TB, name string, content []byte) (*sql.Conn, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return Conn(t, file), file
}
