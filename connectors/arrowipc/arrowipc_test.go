package arrowipc_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/connectors/arrowipc"
	"github.com/inviso/inviso/connectors/internal/loadertest"
)

const secret = "SECRET-VALUE-42"

func open(t testing.TB, file string) *sql.Conn {
	t.Helper()
	return loadertest.Conn(t, file)
}

var goodSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "姓名", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "birth", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "amount", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
	{Name: "code", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// writeGood writes batches×rows rows as an IPC stream (or file) and returns the bytes.
func writeGood(t testing.TB, mem memory.Allocator, batches, rows int, fileFormat bool, code func(i int) string) []byte {
	t.Helper()
	var buf strings.Builder
	type writer interface {
		Write(arrow.RecordBatch) error
		Close() error
	}
	var w writer
	if fileFormat {
		fw, err := ipc.NewFileWriter(&buf, ipc.WithSchema(goodSchema), ipc.WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		w = fw
	} else {
		w = ipc.NewWriter(&buf, ipc.WithSchema(goodSchema), ipc.WithAllocator(mem))
	}
	b := array.NewRecordBuilder(mem, goodSchema)
	defer b.Release()
	n := 0
	for range batches {
		for range rows {
			b.Field(0).(*array.Int64Builder).Append(int64(n))
			if n%2 == 0 {
				b.Field(1).(*array.StringBuilder).Append("张三")
			} else {
				b.Field(1).AppendNull()
			}
			b.Field(2).(*array.Date32Builder).Append(arrow.Date32(19000 + n%1000))
			b.Field(3).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(n % 100000)))
			b.Field(4).(*array.StringBuilder).Append(code(n))
			n++
		}
		rec := b.NewRecordBatch()
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return []byte(buf.String())
}

func digits(i int) string { return strings.Repeat("1", 1+i%5) }

func write(t testing.TB, b []byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "in.arrow")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestLoadGood(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, tc := range map[string]struct {
		file  bool
		want  []connectors.Column
		types string
	}{
		"stream": {types: "BIGINT,VARCHAR,DATE,DECIMAL(12,2),VARCHAR"},
		"file":   {file: true, types: "BIGINT,VARCHAR,DATE,DECIMAL(12,2),VARCHAR"},
		"wanted": {want: []connectors.Column{{Name: "id", Type: "INTEGER"}, {Name: "姓名", Type: "VARCHAR"}, {Name: "birth", Type: "DATE"},
			{Name: "amount", Type: "DECIMAL(14,3)"}, {Name: "code", Type: "BIGINT"}}, types: "INTEGER,VARCHAR,DATE,DECIMAL(14,3),BIGINT"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			file := write(t, writeGood(t, mem, 3, 1000, tc.file, digits))
			conn := open(t, file)
			if err := (&arrowipc.Loader{Allocator: mem}).Load(ctx, conn, file, "t", tc.want); err != nil {
				t.Fatal(err)
			}
			mem.AssertSize(t, 0)
			var types string
			if err := conn.QueryRowContext(ctx, "SELECT string_agg(data_type, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 't'").Scan(&types); err != nil {
				t.Fatal(err)
			}
			if types != tc.types {
				t.Errorf("types = %s, want %s", types, tc.types)
			}
			var n, nulls int
			var who, birth string
			if err := conn.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE "姓名" IS NULL), max("姓名"), min(birth)::VARCHAR FROM t`).Scan(&n, &nulls, &who, &birth); err != nil {
				t.Fatal(err)
			}
			if n != 3000 || nulls != 1500 || who != "张三" || birth != "2022-01-08" {
				t.Errorf("n=%d nulls=%d who=%q birth=%q", n, nulls, who, birth)
			}
			var views int
			if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_views() WHERE NOT internal").Scan(&views); err != nil || views != 0 {
				t.Errorf("%d views left behind (%v)", views, err)
			}
		})
	}
}

func TestLoadBad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mem := memory.NewGoAllocator()
	good := writeGood(t, mem, 4, 1000, false, digits)
	wantGood := []connectors.Column{{Name: "id", Type: "BIGINT"}, {Name: "姓名", Type: "VARCHAR"}, {Name: "birth", Type: "DATE"},
		{Name: "amount", Type: "DECIMAL(12,2)"}, {Name: "code", Type: "BIGINT"}}
	withSecret := writeGood(t, mem, 2, 1000, false, func(i int) string {
		if i == 1500 {
			return secret
		}
		return digits(i)
	})
	schemaOf := func(names ...string) []byte {
		fields := make([]arrow.Field, len(names))
		for i, n := range names {
			fields[i] = arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Int64}
		}
		var buf strings.Builder
		w := ipc.NewWriter(&buf, ipc.WithSchema(arrow.NewSchema(fields, nil)))
		w.Close()
		return []byte(buf.String())
	}
	for name, tc := range map[string]struct {
		content []byte
		want    []connectors.Column
		kind    connectors.Kind
		line    int64
		col     string
	}{
		"empty file":      {content: nil, kind: connectors.KindEmpty},
		"not arrow":       {content: []byte("a,b\n1," + secret + "\n"), kind: connectors.KindMalformed},
		"parquet magic":   {content: []byte("PAR1" + secret + "PAR1"), kind: connectors.KindMalformed},
		"file magic junk": {content: []byte("ARROW1\x00\x00" + secret), kind: connectors.KindMalformed},
		"truncated":       {content: good[:len(good)*3/4], kind: connectors.KindMalformed, line: 2001},
		"no rows":         {content: schemaOf("a", "b"), kind: connectors.KindEmpty},
		"type wanted":     {content: withSecret, want: wantGood, kind: connectors.KindType, line: 1501, col: "code"},
		"drift added":     {content: good, want: wantGood[:4], kind: connectors.KindSchemaDrift},
		"drift missing":   {content: schemaOf("id", "姓名"), want: wantGood, kind: connectors.KindSchemaDrift},
		"drift reordered": {content: schemaOf("姓名", "id"), want: wantGood[:2], kind: connectors.KindSchemaDrift},
		"duplicate name":  {content: schemaOf("a", "A"), kind: connectors.KindColumnName},
		"empty name":      {content: schemaOf("a", ""), kind: connectors.KindColumnName},
		"bad name":        {content: schemaOf("a-b"), kind: connectors.KindColumnName},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			file := write(t, tc.content)
			conn := open(t, file)
			err := (&arrowipc.Loader{}).Load(ctx, conn, file, "t", tc.want)
			var ie *connectors.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v (%T), want *InputError", err, err)
			}
			if ie.Kind != tc.kind || (tc.line != 0 && ie.Line != tc.line) || (tc.col != "" && ie.Column != tc.col) {
				t.Errorf("got %+v, want kind %s line %d column %q", *ie, tc.kind, tc.line, tc.col)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error echoes a value: %v", err)
			}
			var n int
			if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_tables()").Scan(&n); err != nil || n != 0 {
				t.Errorf("%d tables left behind (%v)", n, err)
			}
			t.Logf("%s", err)
		})
	}
}
