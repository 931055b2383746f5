package workspace

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inviso/inviso/crypto/pseudonym"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/rules"
	"github.com/inviso/inviso/sandbox/store"
)

func TestRawTableIsTheStores(t *testing.T) {
	if rawTable != store.Table {
		t.Fatalf("rawTable %q, store.Table %q", rawTable, store.Table)
	}
}

// testMaster is the master secret of the tests: 0x00 … 0x1f.
func testMaster() []byte {
	m := make([]byte, pseudonym.MasterSize)
	for i := range m {
		m[i] = byte(i)
	}
	return m
}

func key(t testing.TB, grant string) pseudonym.Key {
	t.Helper()
	k, err := pseudonym.DeriveKey(testMaster(), grant)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testDuck keeps test builds small.
var testDuck = duck.Config{Threads: 2, MemoryLimit: "512MB"}

// rawVersion writes a raw version file the way the store does (one table named data) from a
// SELECT, and returns its path.
func rawVersion(t testing.TB, dir, name, selectSQL string) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(dir, name+".duckdb")
	db, err := duck.Open(ctx, path, testDuck)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+store.Table+" AS "+selectSQL); err != nil {
		t.Fatalf("raw %s: %v", name, err)
	}
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	return path
}

// consentFile writes a consent registry from VALUES rows (subject, purpose, valid_until).
func consentFile(t testing.TB, dir, values string) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(dir, "consents.duckdb")
	db, err := duck.Open(ctx, path, testDuck)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE consents (subject VARCHAR, purpose VARCHAR, valid_until TIMESTAMPTZ)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO consents VALUES "+values); err != nil {
		t.Fatal(err)
	}
	return path
}

// schemaOf reads a raw version's schema as the catalog records it.
func schemaOf(t testing.TB, path string) []rules.Column {
	t.Helper()
	db := openRO(t, path)
	defer db.Close()
	rs, err := db.Query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position`, store.Table)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var cols []rules.Column
	for rs.Next() {
		var c rules.Column
		if err := rs.Scan(&c.Name, &c.Type); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	return cols
}

// source resolves a rule set (API JSON) against a raw version.
func source(t testing.TB, table, path, rulesJSON, unit string) Source {
	t.Helper()
	set, err := rules.Parse([]byte(rulesJSON))
	if err != nil {
		t.Fatal(err)
	}
	schema := schemaOf(t, path)
	if err := rules.Validate(set, schema, unit); err != nil {
		t.Fatalf("rules of %s: %v", table, err)
	}
	return Source{Table: table, Path: path, Columns: rules.Resolve(set, schema, unit)}
}

// openRO opens a file read-only in a locked instance; the caller closes it. DuckDB shares one
// instance per file within a process, so a file must not be opened twice at once.
func openRO(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := duck.Open(context.Background(), path, duck.Config{ReadOnly: true, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// tableRows opens a database file read-only and returns the rows of one table (see rowsOf).
func tableRows(t testing.TB, path, table string) [][]string {
	t.Helper()
	db := openRO(t, path)
	defer db.Close()
	return rowsOf(t, db, table)
}

// rowsOf returns every row of a table, each cell as text (NULL as "NULL"), sorted.
func rowsOf(t testing.TB, db *sql.DB, table string) [][]string {
	t.Helper()
	rs, err := db.Query("SELECT COLUMNS(*)::VARCHAR FROM " + duck.Ident(table) + " ORDER BY ALL")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out [][]string
	for rs.Next() {
		cells := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range cells {
			ptrs[i] = &cells[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, c := range cells {
			row[i] = "NULL"
			if c.Valid {
				row[i] = c.String
			}
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustBuild(t testing.TB, out string, spec Spec) Result {
	t.Helper()
	if spec.DuckDB.Threads == 0 && spec.DuckDB.MemoryLimit == "" {
		spec.DuckDB = testDuck
	}
	res, err := Build(context.Background(), out, spec)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return res
}

func formatRows(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, " | "))
		b.WriteByte('\n')
	}
	return b.String()
}

var refTime = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

var testDuckOneThread = duck.Config{Threads: 1, MemoryLimit: "512MB"}

func openRW(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := duck.Open(context.Background(), path, testDuck)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func formatInt(v int64) string { return strconv.FormatInt(v, 10) }
