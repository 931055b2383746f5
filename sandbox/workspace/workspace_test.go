package workspace

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox/rules"
)

const (
	citizensSQL = `SELECT * FROM (VALUES ('P1', '端州区', 5200::BIGINT), ('P2', '鼎湖区', 8000), ('P3', '端州区', 12000),
		('P4', '四会市', 300)) v(person_id, district, income)`
	// P1 has three payments, P2 one, P3 two; P9 is nobody in citizens.
	benefitsSQL = `SELECT * FROM (VALUES ('P1', 'pension', 100.00::DECIMAL(12,2)), ('P1', 'pension', 100.00), ('P1', 'medical', 50.00),
		('P2', 'pension', 80.00), ('P3', 'medical', 20.00), ('P3', 'housing', 300.00), ('P9', 'pension', 1.00))
		v(person_id, program, amount)`
	citizensRules = `{"columns": {
		"person_id": {"class": "identifier", "treatment": "hash", "usage": "join_only"},
		"district":  {"class": "quasi_identifier", "treatment": "keep", "usage": "dimension"},
		"income":    {"class": "sensitive", "treatment": "keep", "usage": "aggregate_only", "params": {"lo": 0, "hi": 1000000}}}}`
	benefitsRules = `{"columns": {
		"person_id": {"class": "identifier", "treatment": "hash", "usage": "join_only"},
		"program":   {"class": "quasi_identifier", "treatment": "keep", "usage": "dimension"},
		"amount":    {"class": "sensitive", "treatment": "keep", "usage": "aggregate_only", "params": {"lo": 0, "hi": 100000}}}}`
)

// twoDatasets writes citizens and benefits raw versions and returns their sources.
func twoDatasets(t *testing.T, dir string) []Source {
	t.Helper()
	c := rawVersion(t, dir, "citizens", citizensSQL)
	b := rawVersion(t, dir, "benefits", benefitsSQL)
	return []Source{
		source(t, "citizens", c, citizensRules, "person_id"),
		source(t, "benefits", b, benefitsRules, "person_id"),
	}
}

func joinRows(t *testing.T, path string) [][]string {
	t.Helper()
	db := openRO(t, path)
	defer db.Close()
	rs, err := db.Query(`SELECT c.district, b.program, count(*)::VARCHAR, sum(b.amount)::VARCHAR
		FROM citizens c JOIN benefits b ON c.person_id = b.person_id GROUP BY ALL ORDER BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out [][]string
	for rs.Next() {
		r := make([]string, 4)
		if err := rs.Scan(&r[0], &r[1], &r[2], &r[3]); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestPseudonymsJoinWithinGrantOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srcs := twoDatasets(t, dir)
	a := filepath.Join(dir, "grant-a.duckdb")
	b := filepath.Join(dir, "grant-b.duckdb")
	ra := mustBuild(t, a, Spec{Key: key(t, "grant-a"), Sources: srcs})
	mustBuild(t, b, Spec{Key: key(t, "grant-b"), Sources: srcs})

	// The join on pseudonyms gives what the join on raw ids gives.
	want := [][]string{
		{"端州区", "housing", "1", "300.00"}, {"端州区", "medical", "2", "70.00"}, {"端州区", "pension", "2", "200.00"},
		{"鼎湖区", "pension", "1", "80.00"},
	}
	for _, p := range []string{a, b} {
		if got := joinRows(t, p); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s: join = %q, want %q", filepath.Base(p), got, want)
		}
	}
	// Within a grant, a person's pseudonym is the same in both tables and is the key's pseudonym
	// of the raw id; across grants no pseudonym is shared.
	ids := func(path, table string) map[string]bool {
		m := map[string]bool{}
		for _, r := range tableRows(t, path, table) {
			m[r[0]] = true
		}
		return m
	}
	ca, ba, cb := ids(a, "citizens"), ids(a, "benefits"), ids(b, "citizens")
	h := key(t, "grant-a").NewHasher()
	for _, p := range []string{"P1", "P2", "P3", "P4"} {
		if !ca[itoa(h.String(p))] {
			t.Errorf("citizens of grant a lack the pseudonym of %s", p)
		}
	}
	for _, p := range []string{"P1", "P2", "P3", "P9"} {
		if !ba[itoa(h.String(p))] {
			t.Errorf("benefits of grant a lack the pseudonym of %s", p)
		}
	}
	for id := range ca {
		if cb[id] {
			t.Errorf("pseudonym %s appears in both grants", id)
		}
	}
	if m := ra.Tables[0].MaxRowsPerUnit; m != 1 {
		t.Errorf("citizens MaxRowsPerUnit = %d, want 1", m)
	}
	if m := ra.Tables[1].MaxRowsPerUnit; m != 3 {
		t.Errorf("benefits MaxRowsPerUnit = %d, want 3 (P1)", m)
	}
	if ra.Tables[1].Rows != 7 || ra.Tables[0].Rows != 4 {
		t.Errorf("rows: %+v", ra.Tables)
	}
}

// A person id stored as BIGINT in one dataset and as VARCHAR in another still joins: both are
// hashed as their text.
func TestPseudonymOfTextAcrossTypes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := rawVersion(t, dir, "c", `SELECT * FROM (VALUES (1001::BIGINT, 'a'), (1002, 'b')) v(pid, district)`)
	b := rawVersion(t, dir, "b", `SELECT * FROM (VALUES ('1001', 'x'), ('1002', 'y'), ('1002', 'z')) v(pid, program)`)
	r := `{"columns": {"pid": {"class": "identifier", "treatment": "hash", "usage": "join_only"}}}`
	out := filepath.Join(dir, "ws.duckdb")
	mustBuild(t, out, Spec{Key: key(t, "g"), Sources: []Source{source(t, "c", c, r, "pid"), source(t, "b", b, r, "pid")}})
	db := openRO(t, out)
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM c JOIN b USING (pid)`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("join across types: %d rows, %v; want 3", n, err)
	}
}

func TestConsentFilter(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	raw := rawVersion(t, dir, "patients", `SELECT * FROM (VALUES
		('S1', 'J45'), ('S1', 'J44'), -- covered, two rows
		('S2', 'E11'),                -- consented to another purpose only
		('S3', 'J45'),                -- consent expired before the grant ends
		('S4', 'X99'),                -- no consent at all
		('S5', 'E11'),                -- covered twice
		('S6', 'J45'),                -- valid exactly until the grant's end: covered
		(NULL, 'J45')                 -- no privacy unit
		) v(person_id, diagnosis_code)`)
	through := time.Date(2027, 12, 31, 0, 0, 0, 0, time.UTC)
	consents := consentFile(t, dir, `
		('S1', 'research', '2030-01-01 00:00:00+00'),
		('S2', 'marketing', '2030-01-01 00:00:00+00'),
		('S3', 'research', '2027-12-30 23:59:59+00'),
		('S5', 'research', '2030-01-01 00:00:00+00'),
		('S5', 'statistics', '2029-01-01 00:00:00+08'),
		('S6', 'statistics', '2027-12-31 08:00:00+08'),
		(NULL, 'research', '2030-01-01 00:00:00+00')`)
	src := source(t, "patients", raw, `{"columns": {"diagnosis_code": {"class": "sensitive", "treatment": "keep", "usage": "dimension"}}}`, "person_id")
	src.Consent = &Consent{Path: consents, Purposes: []string{"research", "statistics"}, ValidThrough: through}
	out := filepath.Join(dir, "ws.duckdb")
	res := mustBuild(t, out, Spec{Key: key(t, "g"), Sources: []Source{src}})

	tb := res.Tables[0]
	if tb.Rows != 4 || tb.ExcludedByConsent != 3 || tb.ExcludedNoUnit != 1 || tb.MaxRowsPerUnit != 2 {
		t.Fatalf("table = %+v; want rows 4, excluded by consent 3, without unit 1, max rows per unit 2", tb)
	}
	h := key(t, "g").NewHasher()
	var got []string
	for _, r := range tableRows(t, out, "patients") {
		for _, s := range []string{"S1", "S2", "S3", "S4", "S5", "S6"} {
			if r[0] == itoa(h.String(s)) {
				got = append(got, s+":"+r[1])
			}
		}
	}
	slices.Sort(got)
	if want := []string{"S1:J44", "S1:J45", "S5:E11", "S6:J45"}; !slices.Equal(got, want) {
		t.Fatalf("kept %q, want %q", got, want)
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srcs := twoDatasets(t, dir)
	p1, p2, p3 := filepath.Join(dir, "1.duckdb"), filepath.Join(dir, "2.duckdb"), filepath.Join(dir, "3.duckdb")
	r1 := mustBuild(t, p1, Spec{Key: key(t, "a"), Sources: srcs})
	// Sources in another order, another thread count: the same workspace.
	r2 := mustBuild(t, p2, Spec{Key: key(t, "a"), Sources: []Source{srcs[1], srcs[0]}, DuckDB: testDuckOneThread})
	r3 := mustBuild(t, p3, Spec{Key: key(t, "b"), Sources: srcs})
	if !strings.HasPrefix(r1.Digest, "sha256:") || len(r1.Digest) != len("sha256:")+64 {
		t.Fatalf("digest %q", r1.Digest)
	}
	if r1.Digest != r2.Digest {
		t.Errorf("a rebuild changed the digest: %s vs %s", r1.Digest, r2.Digest)
	}
	if r1.Digest == r3.Digest {
		t.Error("another key gave the same digest")
	}
	// Rebuilding over the same file replaces it and reproduces the digest.
	r4 := mustBuild(t, p1, Spec{Key: key(t, "a"), Sources: srcs})
	if r4.Digest != r1.Digest {
		t.Errorf("rebuild in place changed the digest")
	}
	// A changed rule changes it too.
	changed := slices.Clone(srcs)
	changed[0] = source(t, "citizens", srcs[0].Path, `{"columns": {
		"person_id": {"class": "identifier", "treatment": "hash", "usage": "join_only"},
		"district":  {"class": "quasi_identifier", "treatment": "keep", "usage": "dimension"},
		"income":    {"class": "sensitive", "treatment": "generalize", "usage": "aggregate_only", "params": {"width": 1000, "lo": 0, "hi": 1000000}}}}`, "person_id")
	if r5 := mustBuild(t, filepath.Join(dir, "5.duckdb"), Spec{Key: key(t, "a"), Sources: changed}); r5.Digest == r1.Digest {
		t.Error("generalized income gave the same digest")
	}
}

// listDir returns the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestFailedBuildLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// -128 generalized with width 1000 is -1000, which a TINYINT cannot hold: the engine fails
	// in the middle of the build.
	raw := rawVersion(t, dir, "raw", `SELECT * FROM (VALUES ('P1', 5::TINYINT), ('P2', (-128)::TINYINT)) v(person_id, score)`)
	src := source(t, "t", raw, `{"columns": {"score": {"class": "sensitive", "treatment": "generalize", "usage": "dimension", "params": {"width": 1000}}}}`, "person_id")
	good := source(t, "good", rawVersion(t, dir, "good", citizensSQL), citizensRules, "person_id")
	before := listDir(t, dir)

	out := filepath.Join(dir, "ws.duckdb")
	_, err := Build(context.Background(), out, Spec{Key: key(t, "g"), Sources: []Source{good, src}, DuckDB: testDuck})
	if err == nil {
		t.Fatal("the build succeeded")
	}
	var ee *engineError
	if !errors.As(err, &ee) || strings.Contains(err.Error(), "-128") || strings.Contains(err.Error(), "-1000") {
		t.Errorf("error %q: want an engine error without values", err)
	}
	if after := listDir(t, dir); !slices.Equal(after, before) {
		t.Fatalf("directory after a failed build: %q, before: %q", after, before)
	}

	// A failed rebuild leaves the previous workspace as it was.
	mustBuild(t, out, Spec{Key: key(t, "g"), Sources: []Source{good}})
	old, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), out, Spec{Key: key(t, "g"), Sources: []Source{good, src}, DuckDB: testDuck}); err == nil {
		t.Fatal("the rebuild succeeded")
	}
	now, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(old, now) {
		t.Fatalf("a failed rebuild changed the workspace (%v)", err)
	}

	// A cancelled build leaves nothing either.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out2 := filepath.Join(dir, "ws2.duckdb")
	if _, err := Build(ctx, out2, Spec{Key: key(t, "g"), Sources: []Source{good}, DuckDB: testDuck}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled build: %v", err)
	}
	if _, err := os.Stat(out2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cancelled build left %s", out2)
	}
}

func TestRawFilesUntouched(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srcs := twoDatasets(t, dir)
	sums := map[string][32]byte{}
	for _, s := range srcs {
		b, err := os.ReadFile(s.Path)
		if err != nil {
			t.Fatal(err)
		}
		sums[s.Path] = sha256.Sum256(b)
	}
	// A trusted reader holds one raw version open (read-only) while the build attaches it.
	held := openRO(t, srcs[0].Path)
	defer held.Close()
	mustBuild(t, filepath.Join(dir, "ws.duckdb"), Spec{Key: key(t, "g"), Sources: srcs})
	for p, sum := range sums {
		b, err := os.ReadFile(p)
		if err != nil || sha256.Sum256(b) != sum {
			t.Errorf("%s changed during the build", filepath.Base(p))
		}
		if _, err := os.Stat(p + ".wal"); err == nil {
			t.Errorf("%s got a WAL", filepath.Base(p))
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "ws.duckdb"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("workspace mode %v, %v; want 0600", fi.Mode(), err)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srcs := twoDatasets(t, dir)
	k := key(t, "g")
	intMask := srcs[0]
	intMask.Columns = slices.Clone(intMask.Columns)
	two := 2
	intMask.Columns[2].Rule = rules.Rule{Class: rules.Sensitive, Treatment: rules.Mask, Params: &rules.Params{KeepFirst: &two, KeepLast: &two}}
	noUnit := srcs[0]
	noUnit.Columns = slices.Clone(noUnit.Columns)
	noUnit.Columns[0].Unit = false
	twoUnits := srcs[0]
	twoUnits.Columns = slices.Clone(twoUnits.Columns)
	twoUnits.Columns[1].Unit = true
	wrongSchema := srcs[0]
	wrongSchema.Columns = slices.Clone(srcs[0].Columns)
	wrongSchema.Columns[2].Column.Type = "INTEGER" // the file says BIGINT
	fewer := srcs[0]
	fewer.Columns = srcs[0].Columns[:2]
	badType := srcs[0]
	badType.Columns = slices.Clone(srcs[0].Columns)
	badType.Columns[1].Column.Type = "VARCHAR); DROP TABLE x; --"
	unknown := srcs[0]
	unknown.Columns = slices.Clone(srcs[0].Columns)
	unknown.Columns[1].Rule.Treatment = "encrypt"
	noPurpose := srcs[0]
	noPurpose.Consent = &Consent{Path: srcs[1].Path, ValidThrough: refTime}
	badConsent := srcs[0]
	badConsent.Consent = &Consent{Path: srcs[1].Path, Purposes: []string{"x"}, ValidThrough: refTime} // not a registry
	missing := srcs[0]
	missing.Path = filepath.Join(dir, "nope.duckdb")
	dup := srcs[1]
	dup.Table = "CITIZENS"
	badName := srcs[0]
	badName.Table = `citizens"; --`

	for name, tc := range map[string]struct {
		out  string
		spec Spec
	}{
		"zero key":          {spec: Spec{Sources: srcs}},
		"no sources":        {spec: Spec{Key: k}},
		"table name":        {spec: Spec{Key: k, Sources: []Source{badName}}},
		"duplicate table":   {spec: Spec{Key: k, Sources: []Source{srcs[0], dup}}},
		"mask on a number":  {spec: Spec{Key: k, Sources: []Source{intMask}}},
		"no unit":           {spec: Spec{Key: k, Sources: []Source{noUnit}}},
		"two units":         {spec: Spec{Key: k, Sources: []Source{twoUnits}}},
		"schema drift":      {spec: Spec{Key: k, Sources: []Source{wrongSchema}}},
		"missing columns":   {spec: Spec{Key: k, Sources: []Source{fewer}}},
		"type injection":    {spec: Spec{Key: k, Sources: []Source{badType}}},
		"unknown treatment": {spec: Spec{Key: k, Sources: []Source{unknown}}},
		"no purpose":        {spec: Spec{Key: k, Sources: []Source{noPurpose}}},
		"not a registry":    {spec: Spec{Key: k, Sources: []Source{badConsent}}},
		"missing file":      {spec: Spec{Key: k, Sources: []Source{missing}}},
		"overwrite input":   {out: srcs[0].Path, spec: Spec{Key: k, Sources: srcs}},
	} {
		t.Run(name, func(t *testing.T) {
			out := tc.out
			if out == "" {
				out = filepath.Join(t.TempDir(), "ws.duckdb")
			}
			tc.spec.DuckDB = testDuck
			_, err := Build(context.Background(), out, tc.spec)
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("err = %v, want ErrInvalidSpec", err)
			}
			if tc.out == "" {
				if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a refused build left %s", out)
				}
			}
		})
	}
}

// verify fails closed when the database does not match the plan.
func TestVerifyFailsClosed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srcs := twoDatasets(t, dir)
	plans, err := compile(Spec{Key: key(t, "g"), Sources: srcs[:1]})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, create := range map[string]string{
		"dropped column kept": `CREATE TABLE citizens AS SELECT 1::BIGINT AS person_id, 'x' AS district, 1::BIGINT AS income, 'n' AS name`,
		"wrong type":          `CREATE TABLE citizens AS SELECT 'P1' AS person_id, 'x' AS district, 1::BIGINT AS income`,
		"extra table":         `CREATE TABLE citizens AS SELECT 1::BIGINT AS person_id, 'x' AS district, 1::BIGINT AS income; CREATE TABLE raw AS SELECT 1`,
		"view":                `CREATE TABLE citizens AS SELECT 1::BIGINT AS person_id, 'x' AS district, 1::BIGINT AS income; CREATE VIEW v AS SELECT 1`,
		"macro":               `CREATE TABLE citizens AS SELECT 1::BIGINT AS person_id, 'x' AS district, 1::BIGINT AS income; CREATE MACRO m(x) AS x`,
	} {
		t.Run(name, func(t *testing.T) {
			db := openRW(t, filepath.Join(t.TempDir(), "v.duckdb"))
			defer db.Close()
			for _, q := range strings.Split(create, "; ") {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if err := verify(ctx, conn, plans); !errors.Is(err, ErrVerify) {
				t.Fatalf("verify = %v, want ErrVerify", err)
			}
		})
	}
}

func itoa(v int64) string { return formatInt(v) }

// Two grants built at the same time from the same raw files: each gets its own pseudonyms.
func TestConcurrentBuilds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srcs := twoDatasets(t, dir)
	grants := []string{"g1", "g2", "g3"}
	digests := make([]string, len(grants))
	errs := make(chan error, len(grants))
	for i, g := range grants {
		go func() {
			res, err := Build(context.Background(), filepath.Join(dir, g+".duckdb"), Spec{Key: key(t, g), Sources: srcs, DuckDB: testDuck})
			digests[i] = res.Digest
			errs <- err
		}()
	}
	for range grants {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if digests[0] == digests[1] || digests[1] == digests[2] || digests[0] == digests[2] {
		t.Fatalf("grants share a digest: %q", digests)
	}
	for i, g := range grants {
		again := mustBuild(t, filepath.Join(dir, g+"-again.duckdb"), Spec{Key: key(t, g), Sources: srcs})
		if again.Digest != digests[i] {
			t.Errorf("%s: a sequential rebuild differs from the concurrent build", g)
		}
	}
}
