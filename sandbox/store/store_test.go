package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/connectors/arrowipc"
	"github.com/inviso/inviso/connectors/csv"
	"github.com/inviso/inviso/connectors/ndjson"
	"github.com/inviso/inviso/connectors/parquet"
	"github.com/inviso/inviso/connectors/synth"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

func loaders() map[connectors.Format]connectors.Loader {
	return map[connectors.Format]connectors.Loader{
		connectors.CSV: &csv.Loader{}, connectors.Parquet: &parquet.Loader{},
		connectors.NDJSON: &ndjson.Loader{}, connectors.ArrowIPC: &arrowipc.Loader{},
	}
}

type fixture struct {
	dir   string
	cat   *catalog.Catalog
	store *Store
	ds    catalog.Dataset
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cat, err := catalog.Open(ctx, filepath.Join(dir, "control.duckdb"), duck.Config{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	if _, err := cat.CreateAgency(ctx, catalog.Agency{ID: "civil-affairs", Name: "民政局", Kind: catalog.KindSource}); err != nil {
		t.Fatal(err)
	}
	ds, err := cat.RegisterDataset(ctx, catalog.Dataset{Name: "citizens", Agency: "civil-affairs", Description: "户籍",
		Classification: catalog.L3Sensitive, PrivacyUnit: "person_id", UpdateFrequency: "monthly", CreatedBy: "src"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, cat: cat, ds: ds}
	f.store = f.reopen(t)
	return f
}

func (f *fixture) reopen(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Root: filepath.Join(f.dir, "store"), Staging: filepath.Join(f.dir, "staging"),
		Catalog: f.cat, Loaders: loaders(), DuckDB: duck.Config{Threads: 2, MemoryLimit: "1GB"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) imp(format connectors.Format, body io.Reader, drift bool) (catalog.Version, error) {
	return f.store.Import(context.Background(), Import{Dataset: f.ds, Format: format, Body: body, AllowDrift: drift, Actor: "src"})
}

// leftovers lists everything in staging and every file under the store root.
func (f *fixture) leftovers(t *testing.T) (staging []string, files []string) {
	t.Helper()
	es, _ := os.ReadDir(filepath.Join(f.dir, "staging"))
	for _, e := range es {
		staging = append(staging, e.Name())
	}
	filepath.WalkDir(filepath.Join(f.dir, "store"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return staging, files
}

func synthFile(t *testing.T, table synth.Table, format synth.Format, rows int) string {
	t.Helper()
	path, _, err := synth.WriteFile(context.Background(), t.TempDir(), memory.DefaultAllocator, table, format, synth.Config{Rows: rows, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func fileDigest(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// TestImportEveryFormat imports the same synthetic citizens in every format: each becomes a
// version with the file's digest, the exact rows, and counts but no values in the catalog.
func TestImportEveryFormat(t *testing.T) {
	t.Parallel()
	formats := map[connectors.Format]synth.Format{
		connectors.CSV: synth.CSV, connectors.Parquet: synth.Parquet, connectors.NDJSON: synth.NDJSON, connectors.ArrowIPC: synth.Arrow,
	}
	for cf, sf := range formats {
		t.Run(string(cf), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			path := synthFile(t, synth.Citizens, sf, 3000)
			file, _ := os.Open(path)
			defer file.Close()
			v, err := f.imp(cf, file, false)
			if err != nil {
				t.Fatal(err)
			}
			if v.Number != 1 || v.Rows != 3000 || v.Digest != fileDigest(t, path) || v.Format != string(cf) {
				t.Fatalf("version %+v", v)
			}
			names := []string{}
			for _, c := range v.Columns {
				names = append(names, c.Name)
				if c.ApproxDistinct <= 0 && c.Nulls < v.Rows {
					t.Errorf("column %s: approx distinct %d", c.Name, c.ApproxDistinct)
				}
			}
			if strings.Join(names, ",") != "person_id,name,id_number,phone,gender,birth_date,district,income,diagnosis_code" {
				t.Fatalf("columns %v", names)
			}
			// The version file holds exactly the generated rows.
			db, err := f.store.OpenVersion(context.Background(), v)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var n, ids int64
			if err := db.QueryRow("SELECT count(*), count(DISTINCT person_id) FROM "+Table).Scan(&n, &ids); err != nil || n != 3000 || ids != 3000 {
				t.Fatalf("rows %d ids %d err %v", n, ids, err)
			}
			if _, err := db.Exec("DELETE FROM " + Table); err == nil {
				t.Fatal("a committed version could be modified")
			}
			if staging, _ := f.leftovers(t); len(staging) != 0 {
				t.Fatalf("staging not cleaned: %v", staging)
			}
		})
	}
}

func TestSchemaDrift(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.imp(connectors.CSV, strings.NewReader("person_id,district,income\nZQ1,端州区,10\nZQ2,鼎湖区,20\n"), false); err != nil {
		t.Fatal(err)
	}
	drifted := "person_id,district,income,phone\nZQ1,端州区,10,13800138000\n"
	_, err := f.imp(connectors.CSV, strings.NewReader(drifted), false)
	if fault.CodeOf(err) != fault.SchemaDrift || !strings.Contains(fault.Public(err).Message, "phone") {
		t.Fatalf("drift: %v", err)
	}
	if strings.Contains(fault.Public(err).Message, "13800138000") {
		t.Fatal("drift error echoes a value")
	}
	// A value that contradicts the previous version's type is a type error at its line.
	_, err = f.imp(connectors.CSV, strings.NewReader("person_id,district,income\nZQ1,端州区,10\nZQ2,鼎湖区,SECRET-VALUE-42\n"), false)
	if fault.CodeOf(err) != fault.InvalidInput || !strings.Contains(err.Error(), "line 3") || strings.Contains(fault.Public(err).Message, "SECRET-VALUE-42") {
		t.Fatalf("type error: %v", err)
	}
	v, err := f.imp(connectors.CSV, strings.NewReader(drifted), true)
	if err != nil || v.Number != 2 || len(v.Columns) != 4 {
		t.Fatalf("allowed drift: %+v %v", v, err)
	}
}

func TestDeclaredSchemaGovernsFirstImport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.ds.Schema = []catalog.SchemaColumn{{Name: "person_id", Type: "VARCHAR"}, {Name: "phone", Type: "VARCHAR"}, {Name: "income", Type: "DECIMAL(12,2)"}}
	v, err := f.imp(connectors.CSV, strings.NewReader("person_id,phone,income\nZQ1,01380013800,10.50\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	if v.Columns[1].Type != "VARCHAR" || v.Columns[2].Type != "DECIMAL(12,2)" {
		t.Fatalf("types %+v", v.Columns)
	}
	db, _ := f.store.OpenVersion(context.Background(), v)
	defer db.Close()
	var phone string
	if err := db.QueryRow("SELECT phone FROM " + Table).Scan(&phone); err != nil || phone != "01380013800" {
		t.Fatalf("phone %q %v: leading zero lost", phone, err)
	}
	// A first import that does not match the declared schema is drift.
	g := newFixture(t)
	g.ds.Schema = f.ds.Schema
	if _, err := g.imp(connectors.CSV, strings.NewReader("person_id,income\nZQ1,1\n"), false); fault.CodeOf(err) != fault.SchemaDrift {
		t.Fatalf("undeclared columns: %v", err)
	}
}

func TestRefusedImportsLeaveNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := map[string]struct {
		format connectors.Format
		body   string
		code   fault.Code
		kind   connectors.Kind
	}{
		"empty":             {connectors.CSV, "", fault.InvalidInput, connectors.KindEmpty},
		"header only":       {connectors.CSV, "person_id,income\n", fault.InvalidInput, connectors.KindEmpty},
		"extra field":       {connectors.CSV, "person_id,income\nZQ1,1\nZQ2,2,3\n", fault.InvalidInput, connectors.KindColumnCount},
		"bad quoting":       {connectors.CSV, "person_id,income\n\"ZQ1,1\nZQ2,2\n", fault.InvalidInput, ""},
		"invalid utf8":      {connectors.CSV, "person_id,income\nZQ1,1\nZ\xff\xfeQ2,2\n", fault.InvalidInput, connectors.KindEncoding},
		"no privacy unit":   {connectors.CSV, "id,income\nZQ1,1\n", fault.InvalidInput, ""},
		"not parquet":       {connectors.Parquet, "PAR1 this is not parquet", fault.InvalidInput, connectors.KindMalformed},
		"broken json":       {connectors.NDJSON, "{\"person_id\":\"ZQ1\"}\n{\"person_id\":\n", fault.InvalidInput, ""},
		"not arrow":         {connectors.ArrowIPC, "definitely not arrow", fault.InvalidInput, connectors.KindMalformed},
		"unsupported":       {"xlsx", "x", fault.InvalidInput, ""},
		"duplicate columns": {connectors.CSV, "person_id,PERSON_ID\n1,2\n", fault.InvalidInput, connectors.KindColumnName},
	}
	for name, tc := range cases {
		_, err := f.imp(tc.format, strings.NewReader(tc.body), false)
		if fault.CodeOf(err) != tc.code {
			t.Errorf("%s: err = %v, want %s", name, err, tc.code)
			continue
		}
		var ie *connectors.InputError
		if tc.kind != "" && (!errors.As(err, &ie) || ie.Kind != tc.kind) {
			t.Errorf("%s: kind = %v, want %s", name, err, tc.kind)
		}
	}
	staging, files := f.leftovers(t)
	if len(staging) != 0 || len(files) != 0 {
		t.Fatalf("refused imports left staging %v files %v", staging, files)
	}
	d, _ := f.cat.Dataset(context.Background(), "citizens")
	if len(d.Versions) != 0 {
		t.Fatalf("refused imports created %d versions", len(d.Versions))
	}
}

// TestOpenSweepsLeftovers: a crash can leave a staging directory and a published but
// uncommitted file; the next Open removes both and keeps committed versions.
func TestOpenSweepsLeftovers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v, err := f.imp(connectors.CSV, strings.NewReader("person_id,income\nZQ1,1\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(f.dir, "staging", "import-crashed"), 0o700)
	os.WriteFile(filepath.Join(f.dir, "staging", "import-crashed", "upload.csv"), []byte("x"), 0o600)
	orphan := filepath.Join(f.dir, "store", "civil-affairs", "citizens", "orphan.duckdb")
	os.WriteFile(orphan, []byte("half"), 0o600)
	f.reopen(t)
	staging, files := f.leftovers(t)
	if len(staging) != 0 || len(files) != 1 || files[0] != f.store.Path(v) {
		t.Fatalf("after sweep: staging %v files %v", staging, files)
	}
}

func TestImportCanceled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.store.Import(ctx, Import{Dataset: f.ds, Format: connectors.CSV, Body: strings.NewReader("person_id\nZQ1\n")})
	if err == nil {
		t.Fatal("a canceled import succeeded")
	}
	if staging, files := f.leftovers(t); len(staging)+len(files) != 0 {
		t.Fatalf("canceled import left %v %v", staging, files)
	}
}
