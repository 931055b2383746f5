package parquet_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/connectors/internal/loadertest"
	"github.com/inviso/inviso/connectors/parquet"
	"github.com/inviso/inviso/sandbox/duck"
)

const secret = "SECRET-VALUE-42"

// writeParquet writes the result of query to path with a separate DuckDB instance.
func writeParquet(t testing.TB, path, query string) {
	t.Helper()
	ctx := context.Background()
	db, err := duck.Open(ctx, "", duck.Config{AllowedPaths: []string{path}, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "COPY ("+query+") TO "+duck.Quote(path)+" (FORMAT parquet)"); err != nil {
		t.Fatal(err)
	}
}

func open(t testing.TB, file string) *sql.Conn {
	t.Helper()
	return loadertest.Conn(t, file)
}

func tableCount(t testing.TB, conn *sql.Conn) int {
	t.Helper()
	var n int
	if err := conn.QueryRowContext(context.Background(), "SELECT count(*) FROM duckdb_tables()").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const goodQuery = `SELECT i::BIGINT AS id, CASE WHEN i % 2 = 0 THEN '张三' END AS 姓名,
	DATE '2024-01-01' + i::INT AS birth, (i / 100)::DECIMAL(12,2) AS amount, i::VARCHAR AS code
	FROM range(1000) r(i)`

func TestLoadGood(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, tc := range map[string]struct {
		want  []connectors.Column
		types []string
	}{
		"native": {types: []string{"BIGINT", "VARCHAR", "DATE", "DECIMAL(12,2)", "VARCHAR"}},
		"wanted": {
			want: []connectors.Column{{Name: "id", Type: "INTEGER"}, {Name: "姓名", Type: "VARCHAR"}, {Name: "birth", Type: "DATE"},
				{Name: "amount", Type: "DECIMAL(14,3)"}, {Name: "code", Type: "BIGINT"}},
			types: []string{"INTEGER", "VARCHAR", "DATE", "DECIMAL(14,3)", "BIGINT"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "in.parquet")
			writeParquet(t, file, goodQuery)
			conn := open(t, file)
			if err := (&parquet.Loader{}).Load(ctx, conn, file, "t", tc.want); err != nil {
				t.Fatal(err)
			}
			rows, err := conn.QueryContext(ctx, "SELECT data_type FROM information_schema.columns WHERE table_name = 't' ORDER BY ordinal_position")
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for rows.Next() {
				var s string
				rows.Scan(&s)
				types = append(types, s)
			}
			rows.Close()
			if strings.Join(types, ",") != strings.Join(tc.types, ",") {
				t.Errorf("types = %v, want %v", types, tc.types)
			}
			var n, nulls int
			var who string
			if err := conn.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE "姓名" IS NULL), max("姓名") FROM t`).Scan(&n, &nulls, &who); err != nil {
				t.Fatal(err)
			}
			if n != 1000 || nulls != 500 || who != "张三" {
				t.Errorf("n=%d nulls=%d who=%q", n, nulls, who)
			}
		})
	}
}

func TestLoadBad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	wantAB := []connectors.Column{{Name: "a", Type: "BIGINT"}, {Name: "b", Type: "VARCHAR"}}
	for name, tc := range map[string]struct {
		query string              // written as Parquet, unless raw is set
		raw   func([]byte) []byte // transforms the Parquet bytes
		want  []connectors.Column
		kind  connectors.Kind
		line  int64
		col   string
	}{
		"empty file":   {raw: func([]byte) []byte { return nil }, kind: connectors.KindEmpty},
		"not parquet":  {raw: func([]byte) []byte { return []byte("a,b\n1," + secret + "\n") }, kind: connectors.KindMalformed},
		"truncated":    {query: "SELECT 1 AS a, '" + secret + "' AS b", raw: func(b []byte) []byte { return b[:len(b)/2] }, kind: connectors.KindMalformed},
		"damaged page": {query: "SELECT i AS a, '" + secret + "' || i AS b FROM range(10000) r(i)", raw: corruptMiddle, kind: connectors.KindMalformed},
		"no rows":      {query: "SELECT 1::BIGINT AS a, 'x' AS b LIMIT 0", kind: connectors.KindEmpty},
		"type wanted":  {query: "SELECT * FROM (VALUES ('1', 'x'), ('2', 'y'), ('" + secret + "', 'z')) v(a, b)", want: wantAB, kind: connectors.KindType, line: 3, col: "a"},
		"phone wanted": {query: "SELECT * FROM (VALUES ('1', 'x'), ('13800138000x', 'y')) v(a, b)", want: wantAB, kind: connectors.KindType, line: 2, col: "a"},
		"date wanted": {query: "SELECT * FROM (VALUES (1, '2024-01-01'), (2, '2024-13-45')) v(a, b)",
			want: []connectors.Column{{Name: "a", Type: "BIGINT"}, {Name: "b", Type: "DATE"}}, kind: connectors.KindType, line: 2, col: "b"},
		"drift added":     {query: "SELECT 1 AS a, 'x' AS b, 2 AS c", want: wantAB, kind: connectors.KindSchemaDrift},
		"drift missing":   {query: "SELECT 1 AS a", want: wantAB, kind: connectors.KindSchemaDrift},
		"drift renamed":   {query: "SELECT 1 AS a, 'x' AS bb", want: wantAB, kind: connectors.KindSchemaDrift},
		"drift reordered": {query: "SELECT 'x' AS b, 1 AS a", want: wantAB, kind: connectors.KindSchemaDrift},
		"bad name":        {query: `SELECT 1 AS "a b"`, kind: connectors.KindColumnName, col: "a b"},
		"digit first":     {query: `SELECT 1 AS "1a"`, kind: connectors.KindColumnName, col: "1a"},
		"nested ok":       {query: `SELECT 1::BIGINT AS a, {'x': 1, 'y': [1, 2]} AS b LIMIT 0`, kind: connectors.KindEmpty},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "in.parquet")
			if tc.query != "" {
				writeParquet(t, file, tc.query)
			}
			if tc.raw != nil {
				b, _ := os.ReadFile(file)
				if err := os.WriteFile(file, tc.raw(b), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			conn := open(t, file)
			err := (&parquet.Loader{}).Load(ctx, conn, file, "t", tc.want)
			var ie *connectors.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v (%T), want *InputError", err, err)
			}
			if ie.Kind != tc.kind || ie.Line != tc.line || (tc.col != "" && ie.Column != tc.col) {
				t.Errorf("got %+v, want kind %s line %d column %q", *ie, tc.kind, tc.line, tc.col)
			}
			for _, v := range []string{secret, "SECRET", "13800138000", "2024-13-45"} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error echoes a value: %v", err)
				}
			}
			if n := tableCount(t, conn); n != 0 {
				t.Errorf("%d tables left behind", n)
			}
			t.Logf("%s", err)
		})
	}
}

// corruptMiddle overwrites bytes in the data pages, leaving the footer intact.
func corruptMiddle(b []byte) []byte {
	for i := 100; i < len(b)/2; i += 7 {
		b[i] ^= 0xA5
	}
	return b
}

// TestLoadFromKeyValueDirectory: a file under a directory named like a hive partition
// ("year=2026") is one file, not a partitioned dataset with an extra column.
func TestLoadFromKeyValueDirectory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "year=2026")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "in.parquet")
	writeParquet(t, file, goodQuery)
	conn := open(t, file)
	if err := (&parquet.Loader{}).Load(ctx, conn, file, "t", nil); err != nil {
		t.Fatal(err)
	}
	var cols, n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.columns WHERE table_name = 't'").Scan(&cols); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if cols != 5 || n != 1000 {
		t.Fatalf("%d columns, %d rows; want 5 and 1000", cols, n)
	}
}
