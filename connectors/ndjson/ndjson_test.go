package ndjson_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/connectors/internal/loadertest"
	"github.com/inviso/inviso/connectors/ndjson"
)

const secret = "SECRET-VALUE-42"

func open(t testing.TB, content string) (*sql.Conn, string) {
	t.Helper()
	return loadertest.File(t, "in.ndjson", []byte(content))
}

func TestLoadGood(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	content := `{"id": 1, "姓名": "张三", "birth": "1990-01-02", "amount": 12.5, "tags": ["a"]}` + "\n" +
		"\n" +
		`{"id": 2, "姓名": null, "birth": "2001-12-31", "amount": -0.05, "tags": []}` + "\r\n" +
		`{"id": 3, "birth": null}` + "\n"
	for name, tc := range map[string]struct {
		want  []connectors.Column
		types string
	}{
		"inferred": {types: "BIGINT,VARCHAR,DATE,DOUBLE,VARCHAR[]"},
		"wanted": {want: []connectors.Column{{Name: "id", Type: "INTEGER"}, {Name: "姓名", Type: "VARCHAR"}, {Name: "birth", Type: "DATE"},
			{Name: "amount", Type: "DECIMAL(12,2)"}, {Name: "tags", Type: "VARCHAR[]"}}, types: "INTEGER,VARCHAR,DATE,DECIMAL(12,2),VARCHAR[]"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn, file := open(t, content)
			if err := (&ndjson.Loader{}).Load(ctx, conn, file, "t", tc.want); err != nil {
				t.Fatal(err)
			}
			var types string
			if err := conn.QueryRowContext(ctx, "SELECT string_agg(data_type, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 't'").Scan(&types); err != nil {
				t.Fatal(err)
			}
			if types != tc.types {
				t.Errorf("types = %s, want %s", types, tc.types)
			}
			var n, nulls int
			var who, amount string
			if err := conn.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE "姓名" IS NULL), max("姓名"), max(amount::VARCHAR) FILTER (WHERE id = 2) FROM t`).Scan(&n, &nulls, &who, &amount); err != nil {
				t.Fatal(err)
			}
			if n != 3 || nulls != 2 || who != "张三" || amount != "-0.05" {
				t.Errorf("n=%d nulls=%d who=%q amount=%q", n, nulls, who, amount)
			}
		})
	}
}

func TestLoadBad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := `{"a": 1, "b": "x"}` + "\n"
	long := strings.Repeat(good, 30000)
	wantAB := []connectors.Column{{Name: "a", Type: "BIGINT"}, {Name: "b", Type: "VARCHAR"}}
	for name, tc := range map[string]struct {
		content string
		want    []connectors.Column
		kind    connectors.Kind
		line    int64
		col     string
	}{
		"empty file":         {content: "", kind: connectors.KindEmpty},
		"blank lines":        {content: "\n\n", kind: connectors.KindEmpty},
		"broken json":        {content: good + `{"a": 2, "b": "` + secret + "\n" + good, kind: connectors.KindMalformed, line: 2},
		"broken json late":   {content: long + `{"a": 2, "b": ` + secret + "}\n", kind: connectors.KindMalformed, line: 30001},
		"trailing garbage":   {content: good + `{"a": 2} ` + secret + "\n", kind: connectors.KindMalformed, line: 2},
		"array line":         {content: good + `[1, "` + secret + `"]` + "\n", kind: connectors.KindMalformed, line: 2},
		"scalar line":        {content: good + "13800138000\n", kind: connectors.KindMalformed, line: 2},
		"invalid utf8":       {content: good + `{"a": 2, "b": "SECRET` + "\xff" + `VALUE"}` + "\n", kind: connectors.KindEncoding, line: 2},
		"type late inferred": {content: long + `{"a": "` + secret + `", "b": "x"}` + "\n", kind: connectors.KindType, line: 30001, col: "a"},
		"type wanted":        {content: good + `{"a": "` + secret + `", "b": "x"}` + "\n", want: wantAB, kind: connectors.KindType, line: 2, col: "a"},
		"type wanted blank":  {content: good + "\n" + `{"a": "13800138000x", "b": "x"}` + "\n", want: wantAB, kind: connectors.KindType, line: 3, col: "a"},
		"date wanted": {content: `{"a": 1, "b": "2024-01-01"}` + "\n" + `{"a": 1, "b": "2024-13-45"}` + "\n",
			want: []connectors.Column{{Name: "a", Type: "BIGINT"}, {Name: "b", Type: "DATE"}}, kind: connectors.KindType, line: 2, col: "b"},
		"drift added":     {content: `{"a": 1, "b": "x", "c": 2}` + "\n", want: wantAB, kind: connectors.KindSchemaDrift},
		"drift missing":   {content: `{"a": 1}` + "\n", want: wantAB, kind: connectors.KindSchemaDrift},
		"drift renamed":   {content: `{"a": 1, "bb": "x"}` + "\n", want: wantAB, kind: connectors.KindSchemaDrift},
		"drift reordered": {content: `{"b": "x", "a": 1}` + "\n", want: wantAB, kind: connectors.KindSchemaDrift},
		"duplicate case":  {content: `{"a": 1, "A": 2}` + "\n", kind: connectors.KindColumnName},
		"bad name":        {content: `{"a b": 1}` + "\n", kind: connectors.KindColumnName, col: "a b"},
		"empty name":      {content: `{"": 1}` + "\n", kind: connectors.KindColumnName},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn, file := open(t, tc.content)
			err := (&ndjson.Loader{}).Load(ctx, conn, file, "t", tc.want)
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
			var n int
			if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_tables()").Scan(&n); err != nil || n != 0 {
				t.Errorf("%d tables left behind (%v)", n, err)
			}
			t.Logf("%s", err)
		})
	}
}
