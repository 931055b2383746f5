package csv_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/connectors/csv"
	"github.com/inviso/inviso/connectors/internal/loadertest"
)

const secret = "SECRET-VALUE-42"

// open writes content to a file and opens a locked-down instance that may read only that file.
func open(t testing.TB, content []byte) (*sql.Conn, string) {
	t.Helper()
	return loadertest.File(t, "in.csv", content)
}

type column struct{ name, typ string }

func columns(t testing.TB, conn *sql.Conn, table string) []column {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(),
		"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// tables lists every table in the instance, temporary ones included.
func tables(t testing.TB, conn *sql.Conn) []string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), "SELECT database_name || '.' || table_name FROM duckdb_tables()")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func TestLoadGood(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	content := "id,姓名,birth,amount,note\n" +
		"1,张三,1990-01-02,12.50,\n" +
		"2,李四,2001-12-31,-0.05,\"quoted, with comma\"\n" +
		"3,,,,\"multi\nline\"\n"
	for name, tc := range map[string]struct {
		want  []connectors.Column
		types []string
	}{
		"inferred": {types: []string{"BIGINT", "VARCHAR", "DATE", "DOUBLE", "VARCHAR"}},
		"wanted": {
			want: []connectors.Column{{Name: "id", Type: "INTEGER"}, {Name: "姓名", Type: "VARCHAR"},
				{Name: "birth", Type: "DATE"}, {Name: "amount", Type: "DECIMAL(12,2)"}, {Name: "note", Type: "VARCHAR"}},
			types: []string{"INTEGER", "VARCHAR", "DATE", "DECIMAL(12,2)", "VARCHAR"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn, file := open(t, []byte(content))
			if err := (&csv.Loader{}).Load(ctx, conn, file, "people", tc.want); err != nil {
				t.Fatal(err)
			}
			cols := columns(t, conn, "people")
			if len(cols) != len(tc.types) {
				t.Fatalf("columns = %v", cols)
			}
			for i, c := range cols {
				if c.typ != tc.types[i] {
					t.Errorf("column %s: type %s, want %s", c.name, c.typ, tc.types[i])
				}
			}
			var n, nulls int
			var who, birth, amount, note string
			err := conn.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE "姓名" IS NULL AND birth IS NULL AND amount IS NULL),
				max("姓名") FILTER (WHERE id = 1), max(birth::VARCHAR) FILTER (WHERE id = 2), max(amount::VARCHAR) FILTER (WHERE id = 2), max(note) FILTER (WHERE id = 3)
				FROM people`).Scan(&n, &nulls, &who, &birth, &amount, &note)
			if err != nil {
				t.Fatal(err)
			}
			if n != 3 || nulls != 1 || who != "张三" || birth != "2001-12-31" || amount != "-0.05" || note != "multi\nline" {
				t.Errorf("got n=%d nulls=%d who=%q birth=%q amount=%q note=%q", n, nulls, who, birth, amount, note)
			}
			if got := tables(t, conn); len(got) != 1 {
				t.Errorf("tables left behind: %v", got)
			}
		})
	}
}

func TestLoadBad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	long := strings.Repeat("1,x\n", 30000) // past the sniffer's sample
	wantAB := []connectors.Column{{Name: "a", Type: "BIGINT"}, {Name: "b", Type: "VARCHAR"}}
	for name, tc := range map[string]struct {
		content string
		want    []connectors.Column
		kind    connectors.Kind
		line    int64
		column  string
	}{
		"empty file":          {content: "", kind: connectors.KindEmpty},
		"bom only":            {content: "\xef\xbb\xbf", kind: connectors.KindEmpty},
		"header only":         {content: "a,b\n", kind: connectors.KindEmpty},
		"header only no LF":   {content: "a,b", kind: connectors.KindEmpty},
		"header only wanted":  {content: "a,b\n", want: wantAB, kind: connectors.KindEmpty},
		"unterminated quote":  {content: "a,b\n1,2\n3,\"" + secret + "\n4,5\n", kind: connectors.KindMalformed, line: 3, column: "b"},
		"unterminated late":   {content: "a,b\n" + long + "3,\"" + secret + "\n4,5\n", kind: connectors.KindMalformed, line: 30002, column: "b"},
		"junk after quote":    {content: "a,b\n1,2\n3,\"x\"" + secret + "\n", kind: connectors.KindMalformed, line: 3, column: "b"},
		"too many fields":     {content: "a,b\n1,2\n3,4," + secret + "\n5,6\n", kind: connectors.KindColumnCount, line: 3},
		"too few fields":      {content: "a,b\n1,2\n" + secret + "\n5,6\n", kind: connectors.KindColumnCount, line: 3, column: "b"},
		"too many late":       {content: "a,b\n" + long + "3,x," + secret + "\n", kind: connectors.KindColumnCount, line: 30002},
		"type wanted":         {content: "a,b\n1,x\n" + secret + ",y\n", want: wantAB, kind: connectors.KindType, line: 3, column: "a"},
		"type wanted phone":   {content: "a,b\n1,x\n13800138000x,y\n", want: wantAB, kind: connectors.KindType, line: 3, column: "a"},
		"type late inferred":  {content: "a,b\n" + long + secret + ",x\n", kind: connectors.KindType, line: 30002, column: "a"},
		"date wanted":         {content: "d\n2024-01-01\n2024-13-45\n", want: []connectors.Column{{Name: "d", Type: "DATE"}}, kind: connectors.KindType, line: 3, column: "d"},
		"invalid utf8":        {content: "a,b\n1,2\n3,SECRET\xff\xfeVALUE\n5,6\n", kind: connectors.KindEncoding, line: 3, column: "b"},
		"invalid utf8 late":   {content: "a,b\n" + long + "3,SECRET\xffVALUE\n", kind: connectors.KindEncoding, line: 30002, column: "b"},
		"invalid utf8 header": {content: "a,b\xff\n1,2\n", kind: connectors.KindEncoding, line: 1},
		"latin1 header":       {content: "caf\xe9,b\n1,2\n", kind: connectors.KindEncoding, line: 1},
		"duplicate name":      {content: "a,b,a\n1,2,3\n", kind: connectors.KindColumnName, column: "a"},
		"duplicate case":      {content: "Name,name\n1,2\n", kind: connectors.KindColumnName, column: "name"},
		"empty name":          {content: "a,,b\n1,2,3\n", kind: connectors.KindColumnName},
		"empty header line":   {content: "\n1,2\n", kind: connectors.KindColumnName},
		"name with space":     {content: "a b,c\n1,2\n", kind: connectors.KindColumnName, column: "a b"},
		"name with quote":     {content: "\"a\"\"b\",c\n1,2\n", kind: connectors.KindColumnName},
		"name starts digit":   {content: "1a,c\n1,2\n", kind: connectors.KindColumnName, column: "1a"},
		"name too long":       {content: strings.Repeat("x", 64) + "\n1\n", kind: connectors.KindColumnName},
		"unterminated header": {content: "a,\"b\n1,2\n", kind: connectors.KindMalformed, line: 1},
		"drift added":         {content: "a,b,c\n1,x,2\n", want: wantAB, kind: connectors.KindSchemaDrift},
		"drift missing":       {content: "a\n1\n", want: wantAB, kind: connectors.KindSchemaDrift},
		"drift renamed":       {content: "a,bb\n1,x\n", want: wantAB, kind: connectors.KindSchemaDrift},
		"drift reordered":     {content: "b,a\nx,1\n", want: wantAB, kind: connectors.KindSchemaDrift},
		"drift case":          {content: "A,b\n1,x\n", want: wantAB, kind: connectors.KindSchemaDrift},
		"comment-like row":    {content: "a,b\n1,2\n#" + secret + ",4\n", want: wantAB, kind: connectors.KindType, line: 3, column: "a"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn, file := open(t, []byte(tc.content))
			err := (&csv.Loader{}).Load(ctx, conn, file, "t", tc.want)
			var ie *connectors.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v (%T), want *InputError", err, err)
			}
			if !errors.Is(err, connectors.ErrInvalid) {
				t.Error("error does not wrap ErrInvalid")
			}
			if ie.Kind != tc.kind || ie.Line != tc.line || (tc.column != "" && ie.Column != tc.column) || ie.Format != connectors.CSV {
				t.Errorf("got %+v, want kind %s line %d column %q", *ie, tc.kind, tc.line, tc.column)
			}
			for _, v := range []string{secret, "SECRET", "VALUE", "13800138000", "2024-13-45"} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error echoes a value: %v", err)
				}
			}
			if got := tables(t, conn); len(got) != 0 {
				t.Errorf("tables left behind: %v", got)
			}
			t.Logf("%s", err)
		})
	}
}

func TestLoadDriftDetail(t *testing.T) {
	t.Parallel()
	want := []connectors.Column{{Name: "a", Type: "BIGINT"}, {Name: "b", Type: "VARCHAR"}, {Name: "c", Type: "VARCHAR"}}
	for name, tc := range map[string]struct{ header, detail string }{
		"added":     {"a,b,c,d", `added "d"`},
		"missing":   {"a,c", `missing "b"`},
		"renamed":   {"a,b,cc", `added "cc"; missing "c"`},
		"reordered": {"a,c,b", `columns reordered: expected "a", "b", "c", got "a", "c", "b"`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn, file := open(t, []byte(tc.header+"\n"))
			err := (&csv.Loader{}).Load(context.Background(), conn, file, "t", want)
			var ie *connectors.InputError
			if !errors.As(err, &ie) || ie.Kind != connectors.KindSchemaDrift || ie.Detail != tc.detail {
				t.Fatalf("err = %v, want drift %q", err, tc.detail)
			}
		})
	}
}

func TestLoadRefusesUnsafeWant(t *testing.T) {
	t.Parallel()
	conn, file := open(t, []byte("a\n1\n"))
	for _, typ := range []string{"BIGINT'); DROP TABLE x; --", "VARCHAR --", "INT)", ""} {
		err := (&csv.Loader{}).Load(context.Background(), conn, file, "t", []connectors.Column{{Name: "a", Type: typ}})
		var ie *connectors.InputError
		if err == nil || errors.As(err, &ie) {
			t.Errorf("type %q: err = %v, want a caller error", typ, err)
		}
	}
}

func TestLoadCancelled(t *testing.T) {
	t.Parallel()
	conn, file := open(t, []byte("a,b\n1,2\n"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := (&csv.Loader{}).Load(ctx, conn, file, "t", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := tables(t, conn); len(got) != 0 {
		t.Errorf("tables left behind: %v", got)
	}
}
