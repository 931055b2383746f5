package dummy

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/rules"
)

func ptr[T any](v T) *T { return &v }

// citizens and benefits are a workspace's two tables, as sandbox/workspace would describe them.
func citizens() Table {
	return Table{Name: "citizens", Rows: 50_000, Columns: []Column{
		{Name: "person_id", Type: "BIGINT", Unit: true, Distinct: 50_000,
			Rule: rules.Rule{Class: rules.Identifier, Treatment: rules.Hash}},
		{Name: "phone", Type: "VARCHAR", NullFraction: 0.1,
			Rule: rules.Rule{Class: rules.Identifier, Treatment: rules.Mask, Params: &rules.Params{KeepFirst: ptr(3), KeepLast: ptr(4)}}},
		{Name: "birth_date", Type: "INTEGER",
			Rule: rules.Rule{Class: rules.QuasiIdentifier, Treatment: rules.Generalize, Usage: rules.Dimension, Params: &rules.Params{To: "year", Width: ptr(5.0)}}},
		{Name: "district", Type: "VARCHAR", Distinct: 8, NullFraction: 0.05,
			Rule: rules.Rule{Class: rules.QuasiIdentifier, Treatment: rules.Keep, Usage: rules.Dimension}},
		{Name: "income", Type: "BIGINT", NullFraction: 0.3,
			Rule: rules.Rule{Class: rules.Sensitive, Treatment: rules.Keep, Usage: rules.AggregateOnly, Params: &rules.Params{Lo: ptr(0.0), Hi: ptr(1_000_000.0)}}},
		{Name: "gender", Type: "VARCHAR",
			Rule: rules.Rule{Class: rules.QuasiIdentifier, Treatment: rules.Generalize, Usage: rules.Dimension,
				Params: &rules.Params{Map: map[string]string{"男": "M", "女": "F", "male": "M"}, Default: ptr("other")}}},
		{Name: "registered", Type: "DATE",
			Rule: rules.Rule{Class: rules.QuasiIdentifier, Treatment: rules.Generalize, Usage: rules.Dimension, Params: &rules.Params{To: "month"}}},
		{Name: "height", Type: "DOUBLE",
			Rule: rules.Rule{Class: rules.Sensitive, Treatment: rules.Generalize, Usage: rules.AggregateOnly, Params: &rules.Params{Width: ptr(2.5), Lo: ptr(100.0), Hi: ptr(220.0)}}},
		{Name: "updated_at", Type: "TIMESTAMP", Rule: rules.Rule{Class: rules.Public, Treatment: rules.Keep}},
		{Name: "photo", Type: "BLOB", NullFraction: 0.2, Rule: rules.Rule{Class: rules.Sensitive, Treatment: rules.Keep}},
	}}
}

func benefits() Table {
	return Table{Name: "benefits", Rows: 200_000, Columns: []Column{
		{Name: "claim_id", Type: "BIGINT", Distinct: 200_000, Rule: rules.Rule{Class: rules.Identifier, Treatment: rules.Hash}},
		{Name: "person_id", Type: "BIGINT", Unit: true, Distinct: 40_000, Rule: rules.Rule{Class: rules.Identifier, Treatment: rules.Hash, Usage: rules.JoinOnly}},
		{Name: "amount", Type: "DECIMAL(12,2)", NullFraction: 0.02,
			Rule: rules.Rule{Class: rules.Sensitive, Treatment: rules.Keep, Usage: rules.AggregateOnly, Params: &rules.Params{Lo: ptr(10.0), Hi: ptr(5000.0)}}},
		{Name: "paid_on", Type: "DATE", Rule: rules.Rule{Class: rules.Public, Treatment: rules.Keep}},
		{Name: "kind", Type: "VARCHAR", Distinct: 300, Rule: rules.Rule{Class: rules.Public, Treatment: rules.Keep, Usage: rules.Dimension}},
		{Name: "bucket", Type: "INTEGER",
			Rule: rules.Rule{Class: rules.Sensitive, Treatment: rules.Generalize, Params: &rules.Params{Width: ptr(100.0)}}},
	}}
}

// writeFile runs Write into a file of t's temporary directory and returns its path.
func writeFile(t testing.TB, format Format, tables []Table, opt Options) string {
	t.Helper()
	ext, _ := format.File(len(tables))
	path := filepath.Join(t.TempDir(), "dummy"+ext)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	if err := Write(context.Background(), f, format, tables, opt); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// openDuckDB opens a written DuckDB file read-only in a locked instance.
func openDuckDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := duck.Open(context.Background(), path, duck.Config{ReadOnly: true, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openParquet opens an in-memory instance that may read the given Parquet files and exposes
// each as a view named after the table.
func openParquet(t testing.TB, files map[string]string) *sql.DB {
	t.Helper()
	var paths []string
	for _, p := range files {
		paths = append(paths, p)
	}
	db, err := duck.Open(context.Background(), "", duck.Config{Threads: 1, AllowedPaths: paths})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for name, p := range files {
		if _, err := db.Exec("CREATE VIEW " + duck.Ident(name) + " AS SELECT * FROM read_parquet(" + duck.Quote(p) + ")"); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// schemaOf is a table's columns as "name TYPE", in order.
func schemaOf(t testing.TB, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query("SELECT column_name, column_type FROM (DESCRIBE " + duck.Ident(table) + ")")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n, ty string
		if err := rows.Scan(&n, &ty); err != nil {
			t.Fatal(err)
		}
		out = append(out, n+" "+ty)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dump is every row of a table as text, in stored order.
func dump(t testing.TB, db *sql.DB, table string) []string {
	t.Helper()
	return dumpQuery(t, db, "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM "+duck.Ident(table))
}

// dumpQuery is every row of a query as text, NULL as ∅, columns joined by |.
func dumpQuery(t testing.TB, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if v.Valid {
				parts[i] = v.String
			} else {
				parts[i] = "∅"
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func expectedSchema(tb Table) []string {
	var out []string
	for _, c := range tb.Columns {
		out = append(out, c.Name+" "+c.Type)
	}
	return out
}
