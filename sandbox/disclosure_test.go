package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/report"
)

// TestDisclosureShowsGrantsUsageAndCheckpoint: every grant but pending ones, in its effective
// state, with its scope and usage counted from the log, and a checkpoint that verifies and
// covers the jobs counted; never a row value, a token, a query or a policy input.
func TestDisclosureShowsGrantsUsageAndCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	year := 365 * 24 * time.Hour
	live := w.grantFor(t, w.dev, "disclosed", map[string][]string{"citizens": {"person_id", "district", "income"}, "benefits": {"person_id", "program"}}, year, false)
	revoked := w.grantFor(t, w.dev2, "revoked_one", map[string][]string{"citizens": {"district"}}, year, false)
	expiring := w.grantFor(t, w.dev2, "short_one", map[string][]string{"citizens": {"district"}}, 24*time.Hour, false)
	// A pending grant (its workspace being built) is not disclosed.
	s := w.request(t, w.dev, "pending_one", map[string][]string{"citizens": {"district"}}, false)
	if _, err := w.sb.ConsentScenario(ctx, *w.ca, s.ID); err != nil {
		t.Fatal(err)
	}
	pending, _, err := w.sb.catalog.ReserveGrant(ctx, s.ID, w.impl.ID, func(catalog.Scenario) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	// A dataset no grant covers is not named.
	if _, err := w.sb.RegisterDataset(ctx, *w.ca, catalog.Dataset{Name: "unused_registry", Description: "d", Classification: catalog.L2Internal, PrivacyUnit: "person_id", UpdateFrequency: "yearly"}); err != nil {
		t.Fatal(err)
	}
	_, token, err := w.sb.CreatePrincipal(ctx, *w.admin, catalog.Principal{ID: "auditor1", Agency: "data-bureau", Roles: []catalog.Role{catalog.RoleAuditor}})
	if err != nil {
		t.Fatal(err)
	}

	w.run(t, w.dev, live, logQuery, false)
	w.run(t, w.dev, live, logQuery, false)
	if w.run(t, w.dev, live, "SELECT person_id, income FROM citizens", false) == nil {
		t.Fatal("not refused")
	}
	w.run(t, w.dev, live, benefitsQuery, true)
	if _, err := w.sb.ChangeGrant(ctx, *w.impl, revoked.ID, catalog.GrantRevoked, "ended"); err != nil {
		t.Fatal(err)
	}
	w.clk.Add(48 * time.Hour) // the short grant expires

	d, err := w.sb.Disclosure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]report.Grant{}
	for _, g := range d.Grants {
		ids[g.ID] = g
	}
	if len(d.Grants) != 3 || len(d.Products) != 3 || len(d.Usage.Grants) != 3 {
		t.Fatalf("%d grants, %d products, %d usages; want 3 each (not the pending %s)", len(d.Grants), len(d.Products), len(d.Usage.Grants), pending.ID)
	}
	g := ids[live.ID]
	if g.Grantee != "dev" || g.Agency != "devco" || g.AgencyName != "devco" || g.Scenario != live.Scenario || g.Name != "disclosed" || g.Purpose != "report on disclosed" ||
		g.Use != catalog.PublicInterest || !slices.Equal(g.Datasets["citizens"], []string{"district", "income", "person_id"}) || !slices.Equal(g.JobKinds, []string{"sql"}) ||
		!g.ValidUntil.Equal(live.ValidUntil) || g.State != catalog.GrantActive || !g.ApprovedAt.Equal(live.ApprovedAt) {
		t.Fatalf("disclosed grant %+v", g)
	}
	if ids[revoked.ID].State != catalog.GrantRevoked || ids[expiring.ID].State != catalog.GrantExpired {
		t.Fatalf("states: revoked %s, expired %s", ids[revoked.ID].State, ids[expiring.ID].State)
	}
	p := d.Products[slices.IndexFunc(d.Products, func(p report.Product) bool { return p.Grant == live.ID })]
	if p.Name != "disclosed" || p.Purpose != "report on disclosed" || p.Use != catalog.PublicInterest || p.Agency != "devco" {
		t.Fatalf("product %+v", p)
	}
	u := d.Usage.Grants[slices.IndexFunc(d.Usage.Grants, func(u report.GrantUsage) bool { return u.Grant == live.ID })]
	if u != (report.GrantUsage{Grant: live.ID, Released: 2, Refused: 1, Checked: 1}) {
		t.Fatalf("usage of %s: %+v; want 2 released, 1 refused, 1 checked", live.ID, u)
	}
	if len(d.Usage.Datasets) != 2 {
		t.Fatalf("datasets %+v: want citizens and benefits only", d.Usage.Datasets)
	}
	for _, du := range d.Usage.Datasets {
		want := map[string]report.DatasetUsage{
			"benefits": {Dataset: "benefits", Agency: "hrss", AgencyName: "hrss", Grants: 1, Released: 0},
			"citizens": {Dataset: "citizens", Agency: "civil-affairs", AgencyName: "civil-affairs", Grants: 3, Released: 2},
		}[du.Dataset]
		if du != want {
			t.Fatalf("dataset usage %+v, want %+v", du, want)
		}
	}

	// The checkpoint verifies with the log's key and covers every job counted.
	keys := w.sb.journal.Keys()
	cp, _, _, err := log.ParseCheckpoint([]byte(d.Checkpoint.Note), keys.Origin(), keys.Verifier)
	if err != nil || cp.Size != d.Checkpoint.Size || d.Checkpoint.VerifierKey != keys.VerifierKey {
		t.Fatalf("checkpoint %+v does not verify: %v", d.Checkpoint, err)
	}
	w.sb.indexer.sync()
	jobs, err := w.sb.catalog.EventsOf(ctx, "job")
	var events []catalog.Event
	for _, e := range jobs {
		if e.Grant == live.ID {
			events = append(events, e)
		}
	}
	if err != nil || len(events) != 4 || events[3].Index >= cp.Size {
		t.Fatalf("job entries %+v (%v) are not all under the checkpoint of size %d", events, err, cp.Size)
	}

	// No rendering holds a raw value, a token, a query or a policy input.
	var all bytes.Buffer
	for _, f := range report.Formats {
		if err := d.Render(&all, f); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := json.Marshal(d)
	all.Write(raw)
	for _, bad := range []string{token, token[:20], "policy_input", "SELECT", "unused_registry", pending.ID} {
		if strings.Contains(all.String(), bad) {
			t.Fatalf("the disclosure holds %q", bad)
		}
	}
	for _, v := range rawValues(t, w, "citizens", "name", "id_number", "phone") {
		if strings.Contains(all.String(), v) {
			t.Fatalf("the disclosure holds the raw value %q", v)
		}
	}
}
