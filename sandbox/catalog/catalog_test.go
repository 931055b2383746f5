package catalog

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

func open(t *testing.T) *Catalog {
	t.Helper()
	fixed := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	c, err := Open(context.Background(), filepath.Join(t.TempDir(), "control.duckdb"), duck.Config{Threads: 1},
		WithClock(func() time.Time { return fixed }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func seed(t *testing.T, c *Catalog) {
	t.Helper()
	ctx := context.Background()
	for _, a := range []Agency{
		{ID: "civil-affairs", Name: "肇庆市民政局", Kind: KindSource},
		{ID: "devco", Name: "某数据科技有限公司", Kind: KindDevelopment},
	} {
		if _, err := c.CreateAgency(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
}

func citizens() Dataset {
	return Dataset{Name: "citizens", Agency: "civil-affairs", Description: "户籍人口", Classification: L3Sensitive,
		Flags: []Flag{FlagNeedsSubjectConsent}, PrivacyUnit: "person_id", UpdateFrequency: "monthly", CreatedBy: "src"}
}

func TestAgenciesAndPrincipals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := open(t)
	seed(t, c)
	if _, err := c.CreateAgency(ctx, Agency{ID: "devco", Name: "dup", Kind: KindDevelopment}); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("duplicate agency: %v", err)
	}
	p, err := c.CreatePrincipal(ctx, Principal{ID: "alice", Agency: "devco", Roles: []Role{RoleDeveloper}}, "sel1", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Has(RoleDeveloper) || p.Has(RoleAdmin) {
		t.Fatalf("roles: %+v", p.Roles)
	}
	cred, err := c.CredentialBySelector(ctx, "sel1")
	if err != nil || cred.Principal.ID != "alice" || len(cred.Hash) != 32 {
		t.Fatalf("credential: %+v %v", cred, err)
	}
	if _, err := c.CredentialBySelector(ctx, "nope"); fault.CodeOf(err) != fault.Unauthenticated {
		t.Fatalf("unknown selector: %v", err)
	}
	// The remembered credential is not the caller's to change.
	cred.Principal.Roles[0], cred.Hash[0] = RoleAdmin, cred.Hash[0]^1
	again, err := c.CredentialBySelector(ctx, "sel1")
	if err != nil || again.Principal.Has(RoleAdmin) || again.Hash[0] == cred.Hash[0] {
		t.Fatalf("a caller changed the remembered credential: %+v %v", again, err)
	}
	for name, tc := range map[string]struct {
		p    Principal
		code fault.Code
	}{
		"no agency":   {Principal{ID: "bob", Agency: "ghost", Roles: []Role{RoleDeveloper}}, fault.NotFound},
		"duplicate":   {Principal{ID: "alice", Agency: "devco", Roles: []Role{RoleDeveloper}}, fault.Conflict},
		"no roles":    {Principal{ID: "carol", Agency: "devco"}, fault.InvalidInput},
		"bad role":    {Principal{ID: "carol", Agency: "devco", Roles: []Role{"root"}}, fault.InvalidInput},
		"bad id":      {Principal{ID: "Carol!", Agency: "devco", Roles: []Role{RoleDeveloper}}, fault.InvalidInput},
		"selector up": {Principal{ID: "dave", Agency: "devco", Roles: []Role{RoleDeveloper}}, ""},
	} {
		sel := "sel-" + tc.p.ID
		if name == "selector up" {
			sel = "sel1" // already used by alice: the UNIQUE constraint must hold
		}
		_, err := c.CreatePrincipal(ctx, tc.p, sel, make([]byte, 32))
		if tc.code == "" {
			if err == nil {
				t.Errorf("%s: a duplicate selector was accepted", name)
			}
			continue
		}
		if fault.CodeOf(err) != tc.code {
			t.Errorf("%s: err = %v, want %s", name, err, tc.code)
		}
	}
	ps, _ := c.Principals(ctx)
	if len(ps) != 1 {
		t.Fatalf("failed creations left principals behind: %+v", ps)
	}
}

func TestRegisterDataset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := open(t)
	seed(t, c)
	d, err := c.RegisterDataset(ctx, citizens())
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Dataset(ctx, "citizens")
	if err != nil || got.Description != d.Description || got.Flags[0] != FlagNeedsSubjectConsent || len(got.Versions) != 0 {
		t.Fatalf("got %+v, %v", got, err)
	}
	bad := map[string]func(*Dataset){
		"dev agency":      func(d *Dataset) { d.Name = "x1"; d.Agency = "devco" },
		"no agency":       func(d *Dataset) { d.Name = "x2"; d.Agency = "ghost" },
		"duplicate":       func(d *Dataset) {},
		"bad name":        func(d *Dataset) { d.Name = "Citizens; DROP" },
		"bad level":       func(d *Dataset) { d.Name = "x3"; d.Classification = "L9" },
		"bad flag":        func(d *Dataset) { d.Name = "x4"; d.Flags = []Flag{"public"} },
		"twice flag":      func(d *Dataset) { d.Name = "x5"; d.Flags = []Flag{FlagSecret, FlagSecret} },
		"no unit":         func(d *Dataset) { d.Name = "x6"; d.PrivacyUnit = "" },
		"bad frequency":   func(d *Dataset) { d.Name = "x7"; d.UpdateFrequency = "hourly-ish" },
		"invalid utf8":    func(d *Dataset) { d.Name = "x8"; d.Description = "bad \xff" },
		"control char":    func(d *Dataset) { d.Name = "x9"; d.Description = "bell \a" },
		"huge":            func(d *Dataset) { d.Name = "x10"; d.Description = strings.Repeat("数", 4001) },
		"empty described": func(d *Dataset) { d.Name = "x11"; d.Description = "  " },
	}
	want := map[string]fault.Code{"no agency": fault.NotFound, "duplicate": fault.Conflict}
	for name, mutate := range bad {
		d := citizens()
		mutate(&d)
		_, err := c.RegisterDataset(ctx, d)
		code := want[name]
		if code == "" {
			code = fault.InvalidInput
		}
		if fault.CodeOf(err) != code {
			t.Errorf("%s: err = %v, want %s", name, err, code)
		}
	}
	all, _ := c.Datasets(ctx)
	if len(all) != 1 {
		t.Fatalf("refused registrations left datasets: %d", len(all))
	}
}

func TestVersionsAppendOnlyAndOptimistic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := open(t)
	seed(t, c)
	if _, err := c.RegisterDataset(ctx, citizens()); err != nil {
		t.Fatal(err)
	}
	cols := []ColumnStats{{Name: "person_id", Type: "VARCHAR", Nulls: 0, ApproxDistinct: 10}}
	v1, err := c.AddVersion(ctx, Version{Dataset: "citizens", Digest: "sha256:a", Format: "csv", Rows: 10, Columns: cols, File: "f1"}, 0)
	if err != nil || v1.Number != 1 {
		t.Fatalf("v1: %+v %v", v1, err)
	}
	// An import checked against "no version" after v1 landed must not append.
	if _, err := c.AddVersion(ctx, Version{Dataset: "citizens", Digest: "sha256:b", Format: "csv", File: "f2"}, 0); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("stale import: %v", err)
	}
	if _, err := c.AddVersion(ctx, Version{Dataset: "ghost", File: "f3"}, 0); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("unknown dataset: %v", err)
	}
	// Concurrent imports against the same predecessor: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.AddVersion(ctx, Version{Dataset: "citizens", Digest: "sha256:c", Format: "csv", Columns: cols,
				File: "g" + string(rune('a'+i))}, 1)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, fault.E(fault.Conflict, "")):
			t.Fatalf("unexpected: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent imports won, want 1", won)
	}
	latest, ok, err := c.Latest(ctx, "citizens")
	if err != nil || !ok || latest.Number != 2 || latest.Columns[0].Name != "person_id" {
		t.Fatalf("latest: %+v %v %v", latest, ok, err)
	}
	files, _ := c.VersionFiles(ctx)
	if len(files) != 2 || !files["f1"] {
		t.Fatalf("files: %v", files)
	}
}

func TestReopenKeepsState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "control.duckdb")
	c, err := Open(ctx, path, duck.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAgency(ctx, Agency{ID: "a", Name: "A", Kind: KindSource}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c, err = Open(ctx, path, duck.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if a, err := c.Agency(ctx, "a"); err != nil || a.Name != "A" {
		t.Fatalf("after reopen: %+v %v", a, err)
	}
	if _, err := c.Agency(ctx, "b"); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("missing agency: %v", err)
	}
}

// TestIndexIsIdempotent: indexing entries already in the index (a restart re-reading the log
// over what the live indexer wrote) keeps them as they were and adds the new ones; the fast
// plain insert falls back to skipping conflicts rather than losing the batch.
func TestIndexIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := open(t)
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	entry := func(i uint64, state JobState) Indexed {
		id := "job_" + strings.Repeat("0", 15) + string(rune('a'+i))
		return Indexed{Event: Event{Index: i, At: at, Actor: "dev", Kind: "job", Subject: id, Grant: "gr_1"},
			Job: &Job{ID: id, Grant: "gr_1", Principal: "dev", Kind: "sql", State: state, CreatedAt: at}}
	}
	if err := c.Index(ctx, []Indexed{entry(0, JobReleased), entry(1, JobRefused)}); err != nil {
		t.Fatal(err)
	}
	// Entry 1 again (as a reindex would send it, here with a different state to tell the
	// copies apart) and a new entry 2.
	if err := c.Index(ctx, []Indexed{entry(1, JobReleased), entry(2, JobChecked)}); err != nil {
		t.Fatalf("overlapping batch: %v", err)
	}
	gap, err := c.IndexGap(ctx)
	if err != nil || gap != 3 {
		t.Fatalf("index gap %d (%v), want 3", gap, err)
	}
	for i, want := range []JobState{JobReleased, JobRefused, JobChecked} {
		j, err := c.Job(ctx, entry(uint64(i), "").Job.ID)
		if err != nil || j.State != want || j.LogIndex != uint64(i) {
			t.Fatalf("job %d: %+v %v, want state %s", i, j, err, want)
		}
	}
}

// TestCredentialMissNotRemembered: a selector unknown once is found once its principal exists.
func TestCredentialMissNotRemembered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := open(t)
	seed(t, c)
	if _, err := c.CredentialBySelector(ctx, "later"); fault.CodeOf(err) != fault.Unauthenticated {
		t.Fatalf("unknown selector: %v", err)
	}
	if _, err := c.CreatePrincipal(ctx, Principal{ID: "late", Agency: "devco", Roles: []Role{RoleDeveloper}}, "later", make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	if cred, err := c.CredentialBySelector(ctx, "later"); err != nil || cred.Principal.ID != "late" {
		t.Fatalf("selector created after a miss: %+v %v", cred, err)
	}
}
