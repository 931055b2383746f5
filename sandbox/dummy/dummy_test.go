package dummy

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/rules"
)

func TestSchemaDuckDB(t *testing.T) {
	t.Parallel()
	tables := []Table{citizens(), benefits()}
	db := openDuckDB(t, writeFile(t, FormatDuckDB, tables, Options{Rows: 200}))
	for _, tb := range tables {
		if got, want := schemaOf(t, db, tb.Name), expectedSchema(tb); !slices.Equal(got, want) {
			t.Errorf("%s: schema\n got %v\nwant %v", tb.Name, got, want)
		}
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM duckdb_tables()").Scan(&n); err != nil || n != len(tables) {
		t.Fatalf("tables in the file: %d (%v), want %d", n, err, len(tables))
	}
	// The largest table gets Rows rows, the other is scaled by the real row counts.
	for name, want := range map[string]int{"benefits": 200, "citizens": 50} {
		if err := db.QueryRow("SELECT count(*) FROM " + name).Scan(&n); err != nil || n != want {
			t.Errorf("%s: %d rows (%v), want %d", name, n, err, want)
		}
	}
}

func TestParquetOneTable(t *testing.T) {
	t.Parallel()
	tb := citizens()
	path := writeFile(t, FormatParquet, []Table{tb}, Options{Rows: 100, Seed: 7})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("PAR1")) || !bytes.HasSuffix(b, []byte("PAR1")) {
		t.Fatal("not a Parquet file")
	}
	db := openParquet(t, map[string]string{tb.Name: path})
	if got, want := schemaOf(t, db, tb.Name), expectedSchema(tb); !slices.Equal(got, want) {
		t.Errorf("schema\n got %v\nwant %v", got, want)
	}
}

// A zip of one Parquet file per table holds the same rows as the DuckDB file of the same seed.
func TestParquetZipMatchesDuckDB(t *testing.T) {
	t.Parallel()
	tables := []Table{citizens(), benefits()}
	opt := Options{Rows: 300, Seed: 42}
	zpath := writeFile(t, FormatParquet, tables, opt)
	zr, err := zip.OpenReader(zpath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	dir := t.TempDir()
	files := map[string]string{}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Base(f.Name))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		files[strings.TrimSuffix(f.Name, ".parquet")] = p
	}
	if want := []string{"citizens.parquet", "benefits.parquet"}; !slices.Equal(names, want) {
		t.Fatalf("zip entries %v, want %v", names, want)
	}
	pq := openParquet(t, files)
	dd := openDuckDB(t, writeFile(t, FormatDuckDB, tables, opt))
	for _, tb := range tables {
		if got, want := schemaOf(t, pq, tb.Name), expectedSchema(tb); !slices.Equal(got, want) {
			t.Errorf("%s: schema\n got %v\nwant %v", tb.Name, got, want)
		}
		if !slices.Equal(dump(t, pq, tb.Name), dump(t, dd, tb.Name)) {
			t.Errorf("%s: Parquet and DuckDB rows differ for one seed", tb.Name)
		}
	}
}

func TestDeterministicBySeed(t *testing.T) {
	t.Parallel()
	tables := []Table{citizens(), benefits()}
	a := openDuckDB(t, writeFile(t, FormatDuckDB, tables, Options{Rows: 500, Seed: 1}))
	b := openDuckDB(t, writeFile(t, FormatDuckDB, tables, Options{Rows: 500, Seed: 1}))
	c := openDuckDB(t, writeFile(t, FormatDuckDB, tables, Options{Rows: 500, Seed: 2}))
	for _, tb := range tables {
		if !slices.Equal(dump(t, a, tb.Name), dump(t, b, tb.Name)) {
			t.Errorf("%s: one seed gave different rows", tb.Name)
		}
		if slices.Equal(dump(t, a, tb.Name), dump(t, c, tb.Name)) {
			t.Errorf("%s: two seeds gave the same rows", tb.Name)
		}
	}
	// Parquet of one table is the same bytes for the same seed.
	p1, _ := os.ReadFile(writeFile(t, FormatParquet, tables[:1], Options{Rows: 500, Seed: 1}))
	p2, _ := os.ReadFile(writeFile(t, FormatParquet, tables[:1], Options{Rows: 500, Seed: 1}))
	if !bytes.Equal(p1, p2) {
		t.Error("Parquet bytes differ for one seed")
	}
}

// Each column has its own stream: adding a column leaves the others' values as they were.
func TestColumnsAreIndependent(t *testing.T) {
	t.Parallel()
	narrow := citizens()
	wide := citizens()
	wide.Columns = append(wide.Columns[:3:3], append([]Column{{Name: "extra", Type: "DOUBLE"}}, wide.Columns[3:]...)...)
	a := openDuckDB(t, writeFile(t, FormatDuckDB, []Table{narrow}, Options{Rows: 300, Seed: 9}))
	b := openDuckDB(t, writeFile(t, FormatDuckDB, []Table{wide}, Options{Rows: 300, Seed: 9}))
	got := dumpQuery(t, b, "SELECT CAST(COLUMNS(* EXCLUDE (extra)) AS VARCHAR) FROM citizens")
	if want := dump(t, a, "citizens"); !slices.Equal(got, want) {
		t.Error("adding a column changed the values of the others")
	}
}

func TestNullFractions(t *testing.T) {
	t.Parallel()
	tb := Table{Name: "t", Columns: []Column{
		{Name: "n0", Type: "VARCHAR"},
		{Name: "n30", Type: "BIGINT", NullFraction: 0.3},
		{Name: "n01", Type: "DATE", NullFraction: 0.001}, // coarsened up to 1%
		{Name: "n100", Type: "DOUBLE", NullFraction: 1},
	}}
	db := openDuckDB(t, writeFile(t, FormatDuckDB, []Table{tb}, Options{Rows: 20_000, Seed: 3}))
	var none, some, few, all float64
	err := db.QueryRow(`SELECT avg((n0 IS NULL)::INT), avg((n30 IS NULL)::INT), avg((n01 IS NULL)::INT),
		avg((n100 IS NULL)::INT) FROM t`).Scan(&none, &some, &few, &all)
	if err != nil {
		t.Fatal(err)
	}
	if none != 0 || all != 1 || some < 0.28 || some > 0.32 || few < 0.005 || few > 0.015 {
		t.Fatalf("null shares none=%v some=%v few=%v all=%v; want 0, ≈0.3, ≈0.01, 1", none, some, few, all)
	}
}

func TestValuesFollowTheRules(t *testing.T) {
	t.Parallel()
	db := openDuckDB(t, writeFile(t, FormatDuckDB, []Table{citizens(), benefits()}, Options{Rows: 5000, Seed: 11}))
	// Every check is a query that must return true.
	checks := map[string]string{
		"income in clamp bounds":    "SELECT min(income) >= 0 AND max(income) <= 1000000 FROM citizens",
		"income skewed to lo":       "SELECT median(income) < 250000 AND max(income) > 500000 FROM citizens",
		"amount in clamp bounds":    "SELECT min(amount) >= 10 AND max(amount) <= 5000 FROM benefits",
		"amount has cents":          "SELECT bool_or(amount <> round(amount)) FROM benefits",
		"height multiples of 2.5":   "SELECT bool_and(height / 2.5 = round(height / 2.5)) AND min(height) >= 100 AND max(height) <= 220 FROM citizens",
		"bucket multiples of 100":   "SELECT bool_and(bucket % 100 = 0) AND min(bucket) >= 0 FROM benefits",
		"year bands":                "SELECT bool_and(birth_date % 5 = 0) AND min(birth_date) >= 1930 AND max(birth_date) <= 2025 FROM citizens",
		"months":                    "SELECT bool_and(day(registered) = 1) AND count(DISTINCT registered) > 12 FROM citizens",
		"district labels":           `SELECT bool_and(regexp_full_match(district, 'district_[0-9]{2}')) AND count(DISTINCT district) <= 8 FROM citizens`,
		"district skewed":           "SELECT max(n) > 2 * min(n) FROM (SELECT count(*) AS n FROM citizens WHERE district IS NOT NULL GROUP BY district)",
		"kind at most 50 labels":    `SELECT bool_and(regexp_full_match(kind, 'kind_[0-9]{2}')) AND count(DISTINCT kind) <= 50 AND count(DISTINCT kind) > 10 FROM benefits`,
		"gender group names":        "SELECT bool_and(gender IN ('M', 'F', 'other')) AND count(DISTINCT gender) = 3 FROM citizens",
		"phone mask shape":          `SELECT bool_and(regexp_full_match(phone, '[0-9]{3}\*+[0-9]{4}|\*{1,7}')) AND avg(regexp_full_match(phone, '[0-9]{3}\*+[0-9]{4}')::INT) > 0.9 FROM citizens`,
		"photo is NULL":             "SELECT bool_and(photo IS NULL) FROM citizens",
		"timestamps plausible":      "SELECT min(updated_at) >= TIMESTAMP '2015-01-01' AND max(updated_at) < TIMESTAMP '2026-01-01' FROM citizens",
		"dates plausible":           "SELECT min(paid_on) >= DATE '2015-01-01' AND max(paid_on) <= DATE '2025-12-31' FROM benefits",
		"citizens one row a unit":   "SELECT count(*) = count(DISTINCT person_id) FROM citizens",
		"claims are keys":           "SELECT count(*) = count(DISTINCT claim_id) FROM benefits",
		"benefits repeat units":     "SELECT count(*) > 2 * count(DISTINCT person_id) AND max(n) > 3 FROM (SELECT person_id, count(*) OVER (PARTITION BY person_id) AS n FROM benefits)",
		"units join across tables":  "SELECT count(*) > 1000 FROM benefits b JOIN citizens c ON b.person_id = c.person_id",
		"unrelated keys never join": "SELECT count(*) = 0 FROM benefits b JOIN citizens c ON b.claim_id = c.person_id",
	}
	for name, q := range checks {
		var ok bool
		if err := db.QueryRow(q).Scan(&ok); err != nil || !ok {
			t.Errorf("%s: %v (%s)", name, err, q)
		}
	}
}

// Many columns, many types: the value of every type casts, and the types are kept.
func TestEveryType(t *testing.T) {
	t.Parallel()
	types := []string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
		"UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL(4,1)", "DECIMAL(38,10)", "DECIMAL(18,3)",
		"VARCHAR", "DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIME", "BOOLEAN", "UUID",
		"BLOB", "INTERVAL", "BIT", "INTEGER[]", "VARCHAR[3]"}
	canonical := map[string]string{"TIMESTAMP WITH TIME ZONE": "TIMESTAMP WITH TIME ZONE"}
	var tb Table
	tb.Name = "every"
	for i, ty := range types {
		c := Column{Name: "c" + string(rune('a'+i)), Type: ty}
		if i%2 == 0 {
			c.Rule = rules.Rule{Treatment: rules.Keep, Usage: rules.AggregateOnly, Params: &rules.Params{Lo: ptr(-50.0), Hi: ptr(300.0)}}
		}
		tb.Columns = append(tb.Columns, c)
	}
	db := openDuckDB(t, writeFile(t, FormatDuckDB, []Table{tb}, Options{Rows: 300}))
	got := schemaOf(t, db, "every")
	for i, ty := range types {
		want := tb.Columns[i].Name + " " + ty
		if c, ok := canonical[ty]; ok {
			want = tb.Columns[i].Name + " " + c
		}
		if got[i] != want {
			t.Errorf("column %d: %q, want %q", i, got[i], want)
		}
	}
	// Generated types are never all NULL; the others always are.
	for i, ty := range types {
		var n int
		if err := db.QueryRow("SELECT count(" + duck.Ident(tb.Columns[i].Name) + ") FROM every").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if nullOnly := slices.Contains([]string{"BLOB", "INTERVAL", "BIT", "INTEGER[]", "VARCHAR[3]"}, ty); nullOnly != (n == 0) {
			t.Errorf("%s: %d non-NULL values", ty, n)
		}
	}
}

// wide is a table of n INTEGER columns.
func wide(n int) Table {
	tb := Table{Name: "wide"}
	for i := range n {
		tb.Columns = append(tb.Columns, Column{Name: fmt.Sprintf("c%d", i), Type: "INTEGER"})
	}
	return tb
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	good := func() []Table { return []Table{citizens()} }
	with := func(f func(*Column)) []Table {
		ts := good()
		f(&ts[0].Columns[1])
		return ts
	}
	cases := map[string]struct {
		format Format
		tables []Table
		opt    Options
	}{
		"unknown format":     {"csv", good(), Options{}},
		"empty format":       {"", good(), Options{}},
		"negative rows":      {FormatDuckDB, good(), Options{Rows: -1}},
		"too many rows":      {FormatDuckDB, good(), Options{Rows: MaxRows + 1}},
		"too many values":    {FormatDuckDB, []Table{wide(MaxColumns)}, Options{Rows: MaxRows}},
		"too many columns":   {FormatDuckDB, []Table{wide(MaxColumns + 1)}, Options{Rows: 1}},
		"no tables":          {FormatDuckDB, nil, Options{}},
		"no columns":         {FormatDuckDB, []Table{{Name: "t"}}, Options{}},
		"table twice":        {FormatDuckDB, []Table{citizens(), citizens()}, Options{}},
		"table path":         {FormatParquet, []Table{{Name: "../x", Columns: []Column{{Name: "a", Type: "INTEGER"}}}}, Options{}},
		"table dot":          {FormatParquet, []Table{{Name: "..", Columns: []Column{{Name: "a", Type: "INTEGER"}}}}, Options{}},
		"column twice":       {FormatDuckDB, []Table{{Name: "t", Columns: []Column{{Name: "a", Type: "INTEGER"}, {Name: "A", Type: "DATE"}}}}, Options{}},
		"empty column name":  {FormatDuckDB, with(func(c *Column) { c.Name = "" }), Options{}},
		"injected type":      {FormatDuckDB, with(func(c *Column) { c.Type = "INTEGER); DROP TABLE x; --" }), Options{}},
		"quoted type":        {FormatDuckDB, with(func(c *Column) { c.Type = `VARCHAR DEFAULT 'x'` }), Options{}},
		"struct type":        {FormatDuckDB, with(func(c *Column) { c.Type = "STRUCT(a INTEGER)" }), Options{}},
		"enum type":          {FormatDuckDB, with(func(c *Column) { c.Type = "ENUM('a')" }), Options{}},
		"unknown type":       {FormatDuckDB, with(func(c *Column) { c.Type = "NOSUCHTYPE" }), Options{}},
		"bad decimal":        {FormatDuckDB, with(func(c *Column) { c.Type = "DECIMAL(40,2)" }), Options{}},
		"empty type":         {FormatDuckDB, with(func(c *Column) { c.Type = "" }), Options{}},
		"null fraction":      {FormatDuckDB, with(func(c *Column) { c.NullFraction = 1.5 }), Options{}},
		"negative distinct":  {FormatDuckDB, with(func(c *Column) { c.Distinct = -1 }), Options{}},
		"bounds reversed":    {FormatDuckDB, with(func(c *Column) { c.Rule.Params = &rules.Params{Lo: ptr(5.0), Hi: ptr(1.0)} }), Options{}},
		"mask too long":      {FormatDuckDB, with(func(c *Column) { c.Rule.Params = &rules.Params{KeepFirst: ptr(30), KeepLast: ptr(30)} }), Options{}},
		"zero width":         {FormatDuckDB, with(func(c *Column) { c.Rule.Params = &rules.Params{Width: ptr(0.0)} }), Options{}},
		"allowed paths":      {FormatDuckDB, good(), Options{DuckDB: duck.Config{AllowedPaths: []string{"/etc/passwd"}}}},
		"read-only instance": {FormatDuckDB, good(), Options{DuckDB: duck.Config{ReadOnly: true}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			err := Write(context.Background(), &buf, c.format, c.tables, c.opt)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if buf.Len() != 0 {
				t.Fatal("a refused request wrote output")
			}
		})
	}
}

// The build directory is removed whether Write succeeds or fails.
func TestNoFilesLeft(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := Write(context.Background(), io.Discard, FormatParquet, []Table{citizens(), benefits()}, Options{Rows: 50, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Write(ctx, io.Discard, FormatDuckDB, []Table{citizens()}, Options{Rows: 50, Dir: dir}); err == nil {
		t.Fatal("a cancelled Write succeeded")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// Write can only be told names, types, rules and counts. This walks every field its inputs
// can carry and fails when one is added, so a new input channel (samples, a path, a database
// handle) has to be argued for here. The one field that holds real values, the generalization
// map's keys, is checked by TestRealValuesNeverAppear.
func TestInputsCarryNoValues(t *testing.T) {
	t.Parallel()
	allowed := map[string]string{
		"format":                                   "string: duckdb or parquet",
		"tables[].Name":                            "string: a table name",
		"tables[].Rows":                            "int64: a count",
		"tables[].Columns[].Name":                  "string: a column name",
		"tables[].Columns[].Type":                  "string: a checked type name",
		"tables[].Columns[].Unit":                  "bool",
		"tables[].Columns[].NullFraction":          "float64: a ratio of counts",
		"tables[].Columns[].Distinct":              "int64: a count",
		"tables[].Columns[].Rule.Class":            "string: an enumeration",
		"tables[].Columns[].Rule.Treatment":        "string: an enumeration",
		"tables[].Columns[].Rule.Usage":            "string: an enumeration",
		"tables[].Columns[].Rule.Params.KeepFirst": "*int: a length",
		"tables[].Columns[].Rule.Params.KeepLast":  "*int: a length",
		"tables[].Columns[].Rule.Params.MaskChar":  "string: the agency's mask character",
		"tables[].Columns[].Rule.Params.To":        "string: month or year",
		"tables[].Columns[].Rule.Params.Width":     "*float64: a bucket width",
		"tables[].Columns[].Rule.Params.Map":       "map[string]string: keys are real values and never read; values are group names",
		"tables[].Columns[].Rule.Params.Default":   "*string: a group name",
		"tables[].Columns[].Rule.Params.Lo":        "*float64: a clamp bound set by the agency",
		"tables[].Columns[].Rule.Params.Hi":        "*float64: a clamp bound set by the agency",
		"opt.Rows":                                 "int",
		"opt.Seed":                                 "int64",
		"opt.Dir":                                  "string: where to build",
		"opt.DuckDB.MemoryLimit":                   "string",
		"opt.DuckDB.Threads":                       "int",
		"opt.DuckDB.ReadOnly":                      "bool: refused if set",
		"opt.DuckDB.AllowedPaths":                  "[]string: refused if set",
		"opt.DuckDB.TempDirectory":                 "string: where DuckDB spills",
		"opt.DuckDB.NoFiles":                       "bool: a lockdown switch",
	}
	fn := reflect.TypeOf(Write)
	roots := map[string]reflect.Type{"format": fn.In(2), "tables": fn.In(3), "opt": fn.In(4)}
	if fn.NumIn() != 5 || fn.In(0).String() != "context.Context" || fn.In(1).String() != "io.Writer" {
		t.Fatalf("Write's signature changed: %v", fn)
	}
	found := map[string]bool{}
	var walk func(path string, ty reflect.Type)
	walk = func(path string, ty reflect.Type) {
		switch ty.Kind() {
		case reflect.Struct:
			for i := range ty.NumField() {
				walk(path+"."+ty.Field(i).Name, ty.Field(i).Type)
			}
		case reflect.Slice:
			if ty.Elem().Kind() == reflect.Struct {
				walk(path+"[]", ty.Elem())
				return
			}
			found[path] = true
		case reflect.Pointer:
			if ty.Elem().Kind() == reflect.Struct {
				walk(path, ty.Elem())
				return
			}
			found[path] = true
		case reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer:
			t.Errorf("%s: %v can carry anything", path, ty)
		default:
			found[path] = true
		}
	}
	for name, ty := range roots {
		walk(name, ty)
	}
	for p := range found {
		if _, ok := allowed[p]; !ok {
			t.Errorf("new input %s: argue in this test that it carries no real value", p)
		}
	}
	for p := range allowed {
		if !found[p] {
			t.Errorf("input %s is gone: update the list", p)
		}
	}
}

// The only real values a caller can hand over are a text generalization's map keys. Plant
// distinctive ones and prove that no output value, and no byte run of either file, holds one.
func TestRealValuesNeverAppear(t *testing.T) {
	t.Parallel()
	real := []string{"REAL-Duanzhou-District", "REAL-Gaoyao-District", "REAL-13800138000"}
	tb := citizens()
	for i, c := range tb.Columns {
		if c.Name == "gender" {
			tb.Columns[i].Rule.Params = &rules.Params{
				Map:     map[string]string{real[0]: "urban", real[1]: "rural", real[2]: "rural"},
				Default: ptr("elsewhere"),
			}
		}
	}
	for _, f := range []Format{FormatDuckDB, FormatParquet} {
		path := writeFile(t, f, []Table{tb}, Options{Rows: 2000, Seed: 5})
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range real {
			if bytes.Contains(raw, []byte(v)) {
				t.Errorf("%s: a real value is in the file", f)
			}
		}
		var rows []string
		if f == FormatDuckDB {
			rows = dump(t, openDuckDB(t, path), tb.Name)
		} else {
			rows = dump(t, openParquet(t, map[string]string{tb.Name: path}), tb.Name)
		}
		groups := map[string]bool{}
		for _, r := range rows {
			for _, cell := range strings.Split(r, "|") {
				if slices.Contains(real, cell) {
					t.Fatalf("%s: a real value was generated", f)
				}
				if cell == "urban" || cell == "rural" || cell == "elsewhere" {
					groups[cell] = true
				}
			}
		}
		if len(groups) != 3 {
			t.Errorf("%s: group names used: %v, want all three", f, groups)
		}
	}
}

// DuckDB's COPY TO works under the lockdown for exactly the allowed file, and no other.
func TestCopyUnderLockdown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ok, other := filepath.Join(dir, "ok.parquet"), filepath.Join(dir, "other.parquet")
	db, err := duck.Open(context.Background(), "", duck.Config{Threads: 1, AllowedPaths: []string{ok}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("COPY (SELECT 1 AS x) TO " + duck.Quote(ok) + " (FORMAT parquet)"); err != nil {
		t.Fatalf("COPY to the allowed path: %v", err)
	}
	if _, err := db.Exec("COPY (SELECT 1 AS x) TO " + duck.Quote(other) + " (FORMAT parquet)"); err == nil {
		t.Fatal("COPY to another path in the same directory was allowed")
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Fatal("the refused file exists")
	}
}

func TestFormatFile(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		f         Format
		n         int
		ext, mime string
	}{
		{FormatDuckDB, 3, ".duckdb", "application/octet-stream"},
		{FormatParquet, 1, ".parquet", "application/vnd.apache.parquet"},
		{FormatParquet, 2, ".zip", "application/zip"},
		{"csv", 1, "", ""},
	} {
		if ext, mime := c.f.File(c.n); ext != c.ext || mime != c.mime {
			t.Errorf("%s/%d: %s %s", c.f, c.n, ext, mime)
		}
	}
}
