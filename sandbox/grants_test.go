package sandbox

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/connectors/synth"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/rules"
)

// clock is a settable clock for expiry tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type world struct {
	sb                 *Sandbox
	clk                *clock
	admin, ca, hr, dev *catalog.Principal
	dev2, impl         *catalog.Principal
	files              string
}

const citizensRules = `{"columns": {
  "person_id":  {"class": "identifier",       "treatment": "hash",       "usage": "join_only"},
  "name":       {"class": "identifier",       "treatment": "drop"},
  "id_number":  {"class": "identifier",       "treatment": "hash"},
  "phone":      {"class": "identifier",       "treatment": "mask",       "params": {"keep_first": 3, "keep_last": 4}},
  "birth_date": {"class": "quasi_identifier", "treatment": "generalize", "usage": "dimension", "params": {"to": "year", "width": 5}},
  "district":   {"class": "quasi_identifier", "treatment": "keep",       "usage": "dimension"},
  "gender":     {"class": "quasi_identifier", "treatment": "keep",       "usage": "dimension"},
  "income":     {"class": "sensitive",        "treatment": "keep",       "usage": "aggregate_only", "params": {"lo": 0, "hi": 1000000}}
}}`

const benefitsRules = `{"columns": {
  "person_id": {"class": "identifier", "treatment": "hash", "usage": "join_only"},
  "program":   {"class": "public",     "treatment": "keep", "usage": "dimension"},
  "amount":    {"class": "sensitive",  "treatment": "keep", "usage": "aggregate_only", "params": {"lo": 0, "hi": 100000}},
  "paid_on":   {"class": "quasi_identifier", "treatment": "generalize", "usage": "dimension", "params": {"to": "month"}}
}}`

func newWorld(t *testing.T, opts ...func(*Options)) *world {
	t.Helper()
	ctx := context.Background()
	clk := &clock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	opt := Options{DataDir: t.TempDir(), DuckDB: duck.Config{Threads: 2, MemoryLimit: "1GB"}, Clock: clk.Now}
	for _, o := range opts {
		o(&opt)
	}
	sb, err := Open(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	w := &world{sb: sb, clk: clk, files: t.TempDir()}
	p := func(id, agency string, r catalog.Role) *catalog.Principal {
		return &catalog.Principal{ID: id, Agency: agency, Roles: []catalog.Role{r}}
	}
	w.admin = p(AdminPrincipal, PlatformAgency, catalog.RoleAdmin)
	w.ca, w.hr = p("ca", "civil-affairs", catalog.RoleSource), p("hr", "hrss", catalog.RoleSource)
	w.dev, w.dev2 = p("dev", "devco", catalog.RoleDeveloper), p("dev2", "devco", catalog.RoleDeveloper)
	w.impl = p("impl", "data-bureau", catalog.RoleImplementer)
	for id, kind := range map[string]catalog.AgencyKind{"civil-affairs": catalog.KindSource, "hrss": catalog.KindSource, "devco": catalog.KindDevelopment, "data-bureau": catalog.KindImplementing} {
		if _, err := sb.CreateAgency(ctx, *w.admin, catalog.Agency{ID: id, Name: id, Kind: kind}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []struct {
		who   *catalog.Principal
		name  string
		table synth.Table
		rules string
	}{{w.ca, "citizens", synth.Citizens, citizensRules}, {w.hr, "benefits", synth.Benefits, benefitsRules}} {
		if _, err := sb.RegisterDataset(ctx, *s.who, catalog.Dataset{Name: s.name, Description: s.name, Classification: catalog.L3Sensitive, PrivacyUnit: "person_id", UpdateFrequency: "monthly"}); err != nil {
			t.Fatal(err)
		}
		path, _, err := synth.WriteFile(ctx, w.files, memory.DefaultAllocator, s.table, synth.Parquet, synth.Config{Rows: 2000, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := os.Open(path)
		_, err = sb.Import(ctx, *s.who, s.name, f, ImportOptions{Format: "parquet"})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		set, err := rules.Parse([]byte(s.rules))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sb.SetRules(ctx, *s.who, s.name, set, 0); err != nil {
			t.Fatalf("rules of %s: %v %+v", s.name, err, fault.Public(err).Reasons)
		}
	}
	return w
}

func (w *world) request(t *testing.T, who *catalog.Principal, name string, datasets map[string][]string, follow bool) catalog.Scenario {
	t.Helper()
	s, err := w.sb.RequestScenario(context.Background(), *who, catalog.ScenarioRequest{
		Name: name, Purpose: "measure benefit coverage by district", Use: catalog.PublicInterest,
		Datasets: datasets, JobKinds: []string{"sql"}, ValidUntil: w.clk.Now().Add(30 * 24 * time.Hour), FollowLatest: follow,
	})
	if err != nil {
		t.Fatalf("request: %v %+v", err, fault.Public(err).Reasons)
	}
	return s
}

func (w *world) grant(t *testing.T, who *catalog.Principal, name string, follow bool) catalog.Grant {
	t.Helper()
	ctx := context.Background()
	s := w.request(t, who, name, map[string][]string{"citizens": {"person_id", "district", "income", "birth_date"}, "benefits": {"person_id", "program", "amount"}}, follow)
	for _, src := range []*catalog.Principal{w.ca, w.hr} {
		if _, err := w.sb.ConsentScenario(ctx, *src, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	g, err := w.sb.ApproveScenario(ctx, *w.impl, s.ID)
	if err != nil {
		t.Fatalf("approve: %v %+v", err, fault.Public(err).Reasons)
	}
	return g
}

func (w *world) openWorkspace(t *testing.T, g catalog.Grant) *sql.DB {
	t.Helper()
	file, err := w.sb.catalog.GrantFile(context.Background(), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A copy: the engine may hold the file open with its own (locked) configuration, and DuckDB
	// refuses a second open of one file with another configuration in the same process.
	b, err := os.ReadFile(w.sb.workspacePath(file))
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "workspace-copy.duckdb")
	if err := os.WriteFile(cp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := duck.Open(context.Background(), cp, duck.Config{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestScenarioToGrant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	s := w.request(t, w.dev, "coverage", map[string][]string{"citizens": {"person_id", "district", "income"}, "benefits": {"person_id", "program"}}, false)
	if s.K != catalog.DefaultMinK || s.State != catalog.ScenarioRequested {
		t.Fatalf("scenario %+v", s)
	}
	// Co-review: approval needs every source agency's consent.
	if _, err := w.sb.ApproveScenario(ctx, *w.impl, s.ID); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("approve without consent: %v", err)
	}
	if _, err := w.sb.ConsentScenario(ctx, *w.ca, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.sb.ConsentScenario(ctx, *w.ca, s.ID); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("double consent: %v", err)
	}
	if _, err := w.sb.ApproveScenario(ctx, *w.impl, s.ID); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("approve with one consent of two: %v", err)
	}
	if grants, _ := w.sb.catalog.Grants(ctx); len(grants) != 0 {
		t.Fatalf("a refused approval left %d grants", len(grants))
	}
	if _, err := w.sb.ConsentScenario(ctx, *w.hr, s.ID); err != nil {
		t.Fatal(err)
	}
	g, err := w.sb.ApproveScenario(ctx, *w.impl, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.State != catalog.GrantActive || g.Developer != "dev" || g.Pins["citizens"] != 1 || g.RuleVersions["benefits"] != 1 || !strings.HasPrefix(g.Workspace.Digest, "sha256:") {
		t.Fatalf("grant %+v", g)
	}
	// One scenario, one authorization.
	if _, err := w.sb.ApproveScenario(ctx, *w.impl, s.ID); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("second approval: %v", err)
	}
	// Only the granted columns (and the privacy unit) are in the workspace.
	var cols []string
	for _, tb := range g.Workspace.Tables {
		for _, c := range tb.Columns {
			cols = append(cols, tb.Name+"."+c.Name+":"+c.Type)
		}
	}
	want := "benefits.person_id:BIGINT,benefits.program:VARCHAR,citizens.person_id:BIGINT,citizens.district:VARCHAR,citizens.income:BIGINT"
	if strings.Join(cols, ",") != want {
		t.Fatalf("workspace columns\n got %s\nwant %s", strings.Join(cols, ","), want)
	}
	// Pseudonyms join across the grant's tables.
	db := w.openWorkspace(t, g)
	var joined int
	if err := db.QueryRow("SELECT count(*) FROM citizens c JOIN benefits b USING (person_id)").Scan(&joined); err != nil || joined == 0 {
		t.Fatalf("join on pseudonyms: %d %v", joined, err)
	}
	// The grantee sees it; another developer does not learn it exists.
	if _, err := w.sb.Grant(ctx, *w.dev, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.sb.Grant(ctx, *w.dev2, g.ID); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("other developer: %v", err)
	}
}

func TestWorkspaceHoldsNoRawValue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := w.grant(t, w.dev, "leakcheck", false)
	// Every raw value of the identifier columns, from the raw version itself.
	v, _, _ := w.sb.catalog.Latest(ctx, "citizens")
	raw, err := w.sb.store.OpenVersion(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	secrets := map[string]bool{}
	rows, err := raw.Query("SELECT person_id, name, id_number, phone FROM data")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a, b, c, d string
		rows.Scan(&a, &b, &c, &d)
		for _, s := range []string{a, b, c, d} {
			secrets[s] = true
		}
	}
	rows.Close()
	db := w.openWorkspace(t, g)
	for _, tb := range g.Workspace.Tables {
		for _, col := range tb.Columns {
			rs, err := db.Query("SELECT CAST(" + duck.Ident(col.Name) + " AS VARCHAR) FROM " + duck.Ident(tb.Name))
			if err != nil {
				t.Fatal(err)
			}
			for rs.Next() {
				var s sql.NullString
				rs.Scan(&s)
				if s.Valid && secrets[s.String] {
					t.Fatalf("%s.%s holds a raw identifier", tb.Name, col.Name)
				}
			}
			rs.Close()
		}
	}
	// And the file's bytes hold none of the raw phone numbers or ID numbers (masked / hashed).
	file, _ := w.sb.catalog.GrantFile(ctx, g.ID)
	b, err := os.ReadFile(w.sb.workspacePath(file))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for s := range secrets {
		if len(s) >= 11 && bytes.Contains(b, []byte(s)) {
			t.Fatalf("workspace file contains a raw value")
		}
		n++
	}
	if n < 4000 {
		t.Fatalf("only %d raw values checked", n)
	}
}

func TestPseudonymsDifferAcrossGrants(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	g1 := w.grant(t, w.dev, "first", false)
	g2 := w.grant(t, w.dev2, "second", false)
	ids := func(g catalog.Grant) map[int64]bool {
		out := map[int64]bool{}
		rows, err := w.openWorkspace(t, g).Query("SELECT person_id FROM citizens")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var v int64
			rows.Scan(&v)
			out[v] = true
		}
		return out
	}
	a, b := ids(g1), ids(g2)
	common := 0
	for v := range a {
		if b[v] {
			common++
		}
	}
	if len(a) != 2000 || common != 0 {
		t.Fatalf("%d pseudonyms, %d shared between grants: scenarios can be linked", len(a), common)
	}
	if g1.Workspace.Digest == g2.Workspace.Digest {
		t.Fatal("two grants' workspaces have the same digest")
	}
}

func TestArt2Flags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	req := map[string][]string{"citizens": {"district", "income"}}
	for _, flag := range []catalog.Flag{catalog.FlagRestricted, catalog.FlagSecret, catalog.FlagNeedsSubjectConsent} {
		if _, err := w.sb.SetFlags(ctx, *w.ca, "citizens", []catalog.Flag{flag}); err != nil {
			t.Fatal(err)
		}
		_, err := w.sb.RequestScenario(ctx, *w.dev, catalog.ScenarioRequest{Name: "x", Purpose: "p", Use: catalog.Commercial, Datasets: req, ValidUntil: w.clk.Now().Add(time.Hour)})
		f := fault.Public(err)
		if f.Code != fault.PolicyDenied || len(f.Reasons) != 1 || !strings.HasPrefix(f.Reasons[0].Code, "art2_") || !strings.Contains(f.Reasons[0].Message, "Art. 2") {
			t.Fatalf("flag %s: %+v", flag, f)
		}
	}
	if _, err := w.sb.SetFlags(ctx, *w.hr, "citizens", nil); fault.CodeOf(err) != fault.Forbidden {
		t.Fatalf("another agency lifted the flag: %v", err)
	}
	if _, err := w.sb.SetFlags(ctx, *w.ca, "citizens", nil); err != nil {
		t.Fatal(err)
	}
	w.request(t, w.dev, "ok", req, false)
}

func TestConsentFilter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	if _, err := w.sb.SetFlags(ctx, *w.ca, "citizens", []catalog.Flag{catalog.FlagNeedsSubjectConsent}); err != nil {
		t.Fatal(err)
	}
	// Consents: ten subjects for this purpose until after the grant ends, one for another
	// purpose, one expiring during the grant.
	v, _, _ := w.sb.catalog.Latest(ctx, "citizens")
	raw, _ := w.sb.store.OpenVersion(ctx, v)
	rows, _ := raw.Query("SELECT person_id FROM data ORDER BY person_id LIMIT 12")
	var ids []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		ids = append(ids, s)
	}
	rows.Close()
	raw.Close()
	var csv strings.Builder
	csv.WriteString("subject,purpose,valid_until\n")
	for _, id := range ids[:10] {
		csv.WriteString(id + ",coverage,2030-01-01T00:00:00Z\n")
	}
	csv.WriteString(ids[10] + ",marketing,2030-01-01T00:00:00Z\n")
	csv.WriteString(ids[11] + ",coverage,2026-12-01T00:00:00Z\n")
	cs, err := w.sb.SetConsents(ctx, *w.ca, "citizens", strings.NewReader(csv.String()))
	if err != nil || cs.Rows != 12 || cs.Subjects != 12 {
		t.Fatalf("consents %+v %v", cs, err)
	}
	if _, err := w.sb.SetConsents(ctx, *w.hr, "citizens", strings.NewReader(csv.String())); fault.CodeOf(err) != fault.Forbidden {
		t.Fatalf("other agency's consents: %v", err)
	}
	s := w.request(t, w.dev, "coverage", map[string][]string{"citizens": {"district", "income"}}, false)
	w.sb.ConsentScenario(ctx, *w.ca, s.ID)
	g, err := w.sb.ApproveScenario(ctx, *w.impl, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	tb := g.Workspace.Tables[0]
	if tb.Rows != 10 || tb.ExcludedByConsent != 1990 || g.ConsentSets["citizens"] != 1 {
		t.Fatalf("consent filter: rows %d excluded %d sets %v", tb.Rows, tb.ExcludedByConsent, g.ConsentSets)
	}
}

func TestGrantTransitionsAndExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := w.grant(t, w.dev, "life", false)
	steps := []struct {
		to   catalog.GrantState
		code fault.Code
	}{
		{catalog.GrantActive, fault.Conflict},    // resume an active grant
		{catalog.GrantSuspended, ""},             // suspend
		{catalog.GrantSuspended, fault.Conflict}, // suspend twice
		{catalog.GrantActive, ""},                // resume
		{catalog.GrantRevoked, ""},               // revoke
		{catalog.GrantActive, fault.Conflict},    // resume a revoked grant
		{catalog.GrantSuspended, fault.Conflict}, // suspend a revoked grant
		{catalog.GrantPending, fault.Conflict},   // back to pending
	}
	for i, st := range steps {
		_, err := w.sb.ChangeGrant(ctx, *w.impl, g.ID, st.to, "test")
		if fault.CodeOf(err) != st.code && !(st.code == "" && err == nil) {
			t.Fatalf("step %d → %s: %v, want %q", i, st.to, err, st.code)
		}
	}
	got, _ := w.sb.Grant(ctx, *w.impl, g.ID)
	file, _ := w.sb.catalog.GrantFile(ctx, g.ID)
	if _, err := os.Stat(w.sb.workspacePath(file)); !os.IsNotExist(err) || !got.Workspace.Deleted || got.Workspace.Digest != g.Workspace.Digest {
		t.Fatalf("revoked workspace: stat %v, %+v", err, got.Workspace)
	}

	// Expiry happens at the exact instant.
	g2 := w.grant(t, w.dev2, "expiring", false)
	w.clk.Add(g2.ValidUntil.Sub(w.clk.Now()) - time.Nanosecond)
	if got, _ := w.sb.Grant(ctx, *w.impl, g2.ID); got.State != catalog.GrantActive {
		t.Fatalf("1ns before expiry: %s", got.State)
	}
	w.clk.Add(time.Nanosecond)
	if got, _ := w.sb.Grant(ctx, *w.impl, g2.ID); got.State != catalog.GrantExpired {
		t.Fatalf("at expiry: %s", got.State)
	}
	if _, err := w.sb.ChangeGrant(ctx, *w.impl, g2.ID, catalog.GrantSuspended, ""); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("suspend expired: %v", err)
	}
}

func TestSuspendAllAndFollowLatest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g1 := w.grant(t, w.dev, "follows", true)
	g2 := w.grant(t, w.dev2, "pinned", false)
	// A new citizens version rebuilds only the following grant.
	path, _, _ := synth.WriteFile(ctx, t.TempDir(), memory.DefaultAllocator, synth.Citizens, synth.Parquet, synth.Config{Rows: 3000, Seed: 5})
	f, _ := os.Open(path)
	if _, err := w.sb.Import(ctx, *w.ca, "citizens", f, ImportOptions{Format: "parquet"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	a, _ := w.sb.Grant(ctx, *w.impl, g1.ID)
	b, _ := w.sb.Grant(ctx, *w.impl, g2.ID)
	if a.Pins["citizens"] != 2 || a.Workspace.Digest == g1.Workspace.Digest || a.Workspace.Tables[1].Rows != 3000 {
		t.Fatalf("following grant not rebuilt: pins %v", a.Pins)
	}
	if b.Pins["citizens"] != 1 || b.Workspace.Digest != g2.Workspace.Digest {
		t.Fatalf("pinned grant changed: pins %v", b.Pins)
	}
	ids, err := w.sb.SuspendAll(ctx, *w.impl, "emergency drill")
	if err != nil || len(ids) != 2 {
		t.Fatalf("suspend-all: %v %v", ids, err)
	}
	for _, id := range ids {
		if g, _ := w.sb.Grant(ctx, *w.impl, id); g.State != catalog.GrantSuspended || g.StateReason != "emergency drill" {
			t.Fatalf("%s: %s", id, g.State)
		}
	}
}

func TestRequestRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	for name, tc := range map[string]struct {
		datasets map[string][]string
		k        int
		reason   string
	}{
		"unknown dataset": {map[string][]string{"ghost": {"x"}}, 0, "unknown_dataset"},
		"unknown column":  {map[string][]string{"citizens": {"salary"}}, 0, "unknown_column"},
		"dropped column":  {map[string][]string{"citizens": {"name"}}, 0, "column_dropped"},
		"no usage":        {map[string][]string{"citizens": {"phone"}}, 0, "column_unusable"},
		"k below min":     {map[string][]string{"citizens": {"district"}}, 3, "k_too_small"},
	} {
		_, err := w.sb.RequestScenario(ctx, *w.dev, catalog.ScenarioRequest{Name: "x", Purpose: "p", Use: catalog.Commercial, Datasets: tc.datasets, K: tc.k, ValidUntil: w.clk.Now().Add(time.Hour)})
		f := fault.Public(err)
		if len(f.Reasons) == 0 || f.Reasons[0].Code != tc.reason {
			t.Errorf("%s: %+v", name, f)
		}
	}
	if _, err := w.sb.RequestScenario(ctx, *w.dev, catalog.ScenarioRequest{Name: "x", Purpose: "p", Use: "resale", Datasets: map[string][]string{"citizens": {"district"}}, ValidUntil: w.clk.Now().Add(time.Hour)}); fault.CodeOf(err) != fault.InvalidInput {
		t.Errorf("bad use: %v", err)
	}
	if _, err := w.sb.RequestScenario(ctx, *w.dev, catalog.ScenarioRequest{Name: "x", Purpose: "p", Use: catalog.Commercial, Datasets: map[string][]string{"citizens": {"district"}}, ValidUntil: w.clk.Now().Add(-time.Hour)}); fault.CodeOf(err) != fault.InvalidInput {
		t.Errorf("past validity: %v", err)
	}
	if ss, _ := w.sb.catalog.Scenarios(ctx); len(ss) != 0 {
		t.Fatalf("refused requests left %d scenarios", len(ss))
	}
}

func TestDummyDataHasWorkspaceSchemaAndNoRealValue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := w.grant(t, w.dev, "offline", false)
	var buf bytes.Buffer
	ext, media, err := w.sb.Dummy(ctx, *w.dev, g.ID, "duckdb", 500, &buf)
	if err != nil || ext != ".duckdb" || media == "" {
		t.Fatalf("dummy: %q %q %v", ext, media, err)
	}
	path := filepath.Join(t.TempDir(), "d.duckdb")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := duck.Open(ctx, path, duck.Config{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ws := w.openWorkspace(t, g)
	schema := func(db *sql.DB) string {
		rows, err := db.Query("SELECT table_name || '.' || column_name || ':' || data_type FROM information_schema.columns ORDER BY table_name, ordinal_position")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			rows.Scan(&s)
			out = append(out, s)
		}
		return strings.Join(out, ",")
	}
	if got, want := schema(db), schema(ws); got != want {
		t.Fatalf("dummy schema\n got %s\nwant %s", got, want)
	}
	// No real district label, and no real pseudonym of the grant.
	var real, fake int
	if err := db.QueryRow("SELECT count(*) FROM citizens WHERE district IN ('端州区','鼎湖区','高要区','四会市','广宁县','怀集县','封开县','德庆县')").Scan(&real); err != nil || real != 0 {
		t.Fatalf("dummy holds %d real district labels (%v)", real, err)
	}
	db.QueryRow("SELECT count(*) FROM citizens").Scan(&fake)
	if fake == 0 {
		t.Fatal("dummy citizens is empty")
	}
	// Only the grantee may download it.
	if _, _, err := w.sb.Dummy(ctx, *w.dev2, g.ID, "duckdb", 10, io.Discard); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("another developer: %v", err)
	}
	if _, _, err := w.sb.Dummy(ctx, *w.dev, g.ID, "xlsx", 10, io.Discard); fault.CodeOf(err) != fault.InvalidInput {
		t.Fatalf("bad format: %v", err)
	}
}
