package sandbox

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/connectors/synth"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/report"
)

const benefitsQuery = "SELECT program, count(*) AS n FROM benefits GROUP BY program"

// grantFor walks a scenario over datasets through co-review to its grant, valid for validity.
func (w *world) grantFor(t *testing.T, who *catalog.Principal, name string, datasets map[string][]string, validity time.Duration, follow bool) catalog.Grant {
	t.Helper()
	ctx := context.Background()
	s, err := w.sb.RequestScenario(ctx, *who, catalog.ScenarioRequest{Name: name, Purpose: "report on " + name, Use: catalog.PublicInterest,
		Datasets: datasets, JobKinds: []string{"sql"}, ValidUntil: w.clk.Now().Add(validity), FollowLatest: follow})
	if err != nil {
		t.Fatalf("request: %v %+v", err, fault.Public(err).Reasons)
	}
	owners := map[string]*catalog.Principal{"citizens": w.ca, "benefits": w.hr}
	seen := map[*catalog.Principal]bool{}
	for d := range datasets {
		if src := owners[d]; !seen[src] {
			seen[src] = true
			if _, err := w.sb.ConsentScenario(ctx, *src, s.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	g, err := w.sb.ApproveScenario(ctx, *w.impl, s.ID)
	if err != nil {
		t.Fatalf("approve: %v %+v", err, fault.Public(err).Reasons)
	}
	return g
}

// run runs one job and returns its outcome: the reason codes of a refusal, nil otherwise.
func (w *world) run(t *testing.T, who *catalog.Principal, g catalog.Grant, sql string, check bool) []string {
	t.Helper()
	res, err := w.sb.Query(context.Background(), *who, g.ID, sql, check)
	if fault.CodeOf(err) == fault.PolicyDenied {
		var codes []string
		for _, r := range fault.Public(err).Reasons {
			codes = append(codes, r.Code)
		}
		return codes
	}
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	res.Release()
	return nil
}

func tableRows(t *testing.T, g catalog.Grant, table string) int64 {
	t.Helper()
	for _, tb := range g.Workspace.Tables {
		if tb.Name == table {
			return tb.Rows
		}
	}
	t.Fatalf("grant %s has no table %s", g.ID, table)
	return 0
}

func grantIn(t *testing.T, gs []report.GrantActivity, id string) report.GrantActivity {
	t.Helper()
	i := slices.IndexFunc(gs, func(g report.GrantActivity) bool { return g.Grant == id })
	if i < 0 {
		t.Fatalf("grant %s is not in the report: %+v", id, gs)
	}
	return gs[i]
}

// TestQuarterlyReportCountsTheQuartersJobs runs jobs in two quarters under two grants of two
// agencies and checks each quarter's report against what ran: outcomes, refusal reasons, rows
// scanned (refused and checked jobs scan nothing), datasets used, state at the quarter's end.
func TestQuarterlyReportCountsTheQuartersJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t) // 2026-11-27: the fourth quarter
	other := &catalog.Principal{ID: "dev3", Agency: "otherco", Roles: []catalog.Role{catalog.RoleDeveloper}}
	if _, err := w.sb.CreateAgency(ctx, *w.admin, catalog.Agency{ID: "otherco", Name: "另一家开发机构", Kind: catalog.KindDevelopment}); err != nil {
		t.Fatal(err)
	}
	year := 365 * 24 * time.Hour
	g1 := w.grantFor(t, w.dev, "quarter_one", map[string][]string{"citizens": {"person_id", "district", "income"}}, year, false)
	g2 := w.grantFor(t, other, "quarter_two", map[string][]string{"benefits": {"person_id", "program"}}, year, false)
	citizens, benefits := tableRows(t, g1, "citizens"), tableRows(t, g2, "benefits")

	// Q4 2026: g1 releases two jobs, is refused once, checks once; g2 releases one.
	w.run(t, w.dev, g1, logQuery, false)
	w.run(t, w.dev, g1, logQuery, false)
	refusedQ4 := w.run(t, w.dev, g1, "SELECT person_id, income FROM citizens", false)
	if len(refusedQ4) == 0 {
		t.Fatal("the row extraction was not refused")
	}
	w.run(t, w.dev, g1, logQuery, true)
	w.run(t, other, g2, benefitsQuery, false)

	// Q1 2027: g1 releases one and is refused once, differently; g2 is revoked, unused.
	w.clk.Add(40 * 24 * time.Hour)
	w.run(t, w.dev, g1, logQuery, false)
	refusedQ1 := w.run(t, w.dev, g1, "SELECT person_id, income, max(income) FROM citizens WHERE income > 100 GROUP BY person_id, income", false)
	if len(refusedQ1) == 0 {
		t.Fatal("the second query was not refused")
	}
	if _, err := w.sb.ChangeGrant(ctx, *w.impl, g2.ID, catalog.GrantRevoked, "project ended"); err != nil {
		t.Fatal(err)
	}

	q4p, _ := report.Quarter("2026Q4")
	q4, err := w.sb.QuarterlyReport(ctx, *w.impl, q4p)
	if err != nil {
		t.Fatal(err)
	}
	if q4.Partial || len(q4.Grants) != 2 || len(q4.Agencies) != 2 || q4.Checkpoint.Note == "" || q4.Checkpoint.Size == 0 {
		t.Fatalf("Q4 report: %+v", q4)
	}
	a := grantIn(t, q4.Grants, g1.ID)
	if a.Run != 2 || a.Released != 2 || a.Refused != 1 || a.Checked != 1 || a.Failed != 0 || a.RowsScanned != 2*citizens {
		t.Fatalf("Q4 %s: %+v; want 2 run, 1 refused, 1 checked, %d rows scanned", g1.ID, a.Activity, 2*citizens)
	}
	for _, code := range refusedQ4 {
		if a.RefusalReasons[code] != 1 {
			t.Errorf("Q4 refusal reason %s counted %d times, want 1: %v", code, a.RefusalReasons[code], a.RefusalReasons)
		}
	}
	if len(a.RefusalReasons) != len(dedupe(refusedQ4)) {
		t.Errorf("Q4 reasons %v, want exactly %v", a.RefusalReasons, refusedQ4)
	}
	if !slices.Equal(a.DatasetsUsed, []string{"citizens"}) || a.Grantee != "dev" || a.Agency != "devco" || a.Name != "quarter_one" || a.State != catalog.GrantActive {
		t.Fatalf("Q4 %s: %+v", g1.ID, a)
	}
	b := grantIn(t, q4.Grants, g2.ID)
	if b.Run != 1 || b.RowsScanned != benefits || !slices.Equal(b.DatasetsUsed, []string{"benefits"}) || b.Agency != "otherco" || b.State != catalog.GrantActive {
		t.Fatalf("Q4 %s (revoked only in Q1): %+v", g2.ID, b)
	}
	if q4.Totals.Run != 3 || q4.Totals.Refused != 1 || q4.Totals.Checked != 1 || q4.Totals.RowsScanned != 2*citizens+benefits {
		t.Fatalf("Q4 totals %+v", q4.Totals)
	}
	ag := q4.Agencies[slices.IndexFunc(q4.Agencies, func(a report.AgencyActivity) bool { return a.Agency == "otherco" })]
	if ag.Name != "另一家开发机构" || ag.Grants != 1 || ag.Run != 1 || !slices.Equal(ag.DatasetsUsed, []string{"benefits"}) {
		t.Fatalf("Q4 agency otherco: %+v", ag)
	}

	q1p, _ := report.Quarter("2027Q1")
	q1, err := w.sb.QuarterlyReport(ctx, *w.impl, q1p)
	if err != nil {
		t.Fatal(err)
	}
	a = grantIn(t, q1.Grants, g1.ID)
	if !q1.Partial || a.Run != 1 || a.Released != 1 || a.Refused != 1 || a.Checked != 0 || a.RowsScanned != citizens {
		t.Fatalf("Q1 %s: %+v (jobs of Q4 must not count)", g1.ID, a.Activity)
	}
	for _, code := range refusedQ1 {
		if a.RefusalReasons[code] != 1 {
			t.Errorf("Q1 refusal reason %s: %v", code, a.RefusalReasons)
		}
	}
	b = grantIn(t, q1.Grants, g2.ID) // live in the quarter until its revocation, no job
	if b.Run != 0 || b.Refused != 0 || b.State != catalog.GrantRevoked || b.RefusalReasons == nil || b.DatasetsUsed == nil {
		t.Fatalf("Q1 %s: %+v", g2.ID, b)
	}

	// A quarter before any grant, one not begun, and one that does not exist.
	q3p, _ := report.Quarter("2026Q3")
	if q3, err := w.sb.QuarterlyReport(ctx, *w.impl, q3p); err != nil || len(q3.Grants) != 0 || q3.Totals.Run != 0 {
		t.Fatalf("Q3: %+v %v", q3, err)
	}
	q2p, _ := report.Quarter("2027Q2")
	if _, err := w.sb.QuarterlyReport(ctx, *w.impl, q2p); fault.CodeOf(err) != fault.InvalidInput || !strings.Contains(fault.Public(err).Message, "2027Q2 has not begun") {
		t.Fatalf("future quarter: %v", err)
	}
	if _, err := report.Quarter("2026Q5"); fault.CodeOf(err) != fault.InvalidInput {
		t.Fatalf("2026Q5: %v", err)
	}

	// The renderings carry the same figures.
	var md, cs bytes.Buffer
	if err := q4.Render(&md, report.Markdown); err != nil {
		t.Fatal(err)
	}
	for _, s := range append([]string{"2026Q4", g1.ID, g2.ID, "另一家开发机构"}, refusedQ4...) {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q", s)
		}
	}
	if err := q4.Render(&cs, report.CSV); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&cs).ReadAll()
	if err != nil || len(recs) != 1+2+2+1 { // header, two grants, two agencies, total
		t.Fatalf("csv: %d records, %v", len(recs), err)
	}
}

func dedupe(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// TestSourcesReportPerAgencyAndYear: per source agency and year, imports, rules changes,
// consents to scenarios, grants over its data and the jobs that read it, with rows scanned from
// the workspace the job ran on (a following grant's workspace grows with a new version).
func TestSourcesReportPerAgencyAndYear(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	year := 365 * 24 * time.Hour
	g := w.grantFor(t, w.dev, "sources", map[string][]string{"citizens": {"person_id", "district", "income"}, "benefits": {"person_id", "program"}}, year, true)
	before := tableRows(t, g, "citizens")
	w.run(t, w.dev, g, logQuery, false)
	w.run(t, w.dev, g, "SELECT person_id, income FROM citizens", false) // refused: not a job that ran
	w.run(t, w.dev, g, benefitsQuery, false)
	v1, _, err := w.sb.catalog.Latest(ctx, "citizens")
	if err != nil {
		t.Fatal(err)
	}

	// 2027: a bigger citizens version (the following grant is rebuilt), new rules, one job.
	w.clk.Add(40 * 24 * time.Hour)
	path, _, err := synth.WriteFile(ctx, t.TempDir(), memory.DefaultAllocator, synth.Citizens, synth.Parquet, synth.Config{Rows: 3000, Seed: 6})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	v2, err := w.sb.Import(ctx, *w.ca, "citizens", f, ImportOptions{Format: "parquet"})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	rs, _, _ := w.sb.catalog.Rules(ctx, "citizens")
	if _, err := w.sb.SetRules(ctx, *w.ca, "citizens", rs.Rules, 12); err != nil {
		t.Fatal(err)
	}
	rebuilt, _ := w.sb.Grant(ctx, *w.impl, g.ID)
	after := tableRows(t, rebuilt, "citizens")
	if after == before {
		t.Fatalf("the following grant was not rebuilt: %d rows", after)
	}
	w.run(t, w.dev, g, logQuery, false)

	p26, _ := report.Year("2026")
	r26, err := w.sb.SourcesReport(ctx, *w.impl, p26)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range r26.Agencies {
		names = append(names, a.Agency)
	}
	if !slices.Equal(names, []string{"civil-affairs", "hrss"}) || r26.Partial {
		t.Fatalf("2026 agencies %v (only source agencies), partial %v", names, r26.Partial)
	}
	ca := r26.Agencies[0]
	if len(ca.Datasets) != 1 || ca.Datasets[0].Dataset != "citizens" {
		t.Fatalf("2026 civil-affairs datasets %+v", ca.Datasets)
	}
	d := ca.Datasets[0]
	if d.VersionsImported != 1 || d.RowsImported != v1.Rows || d.RulesChanges != 1 || d.JobsRun != 1 || d.JobsReleased != 1 || d.RowsScanned != before ||
		!slices.Equal(d.Grants, []string{g.ID}) {
		t.Fatalf("2026 citizens: %+v", d.SourceActivity)
	}
	if len(ca.ScenariosConsented) != 1 || ca.ScenariosConsented[0] != g.Scenario || ca.JobsRun != 1 || ca.RowsScanned != before || ca.VersionsImported != 1 {
		t.Fatalf("2026 civil-affairs: %+v %v", ca.SourceActivity, ca.ScenariosConsented)
	}
	hr := r26.Agencies[1]
	if hr.Name != "hrss" || hr.Datasets[0].JobsRun != 1 || hr.Datasets[0].RowsScanned != tableRows(t, g, "benefits") || len(hr.ScenariosConsented) != 1 {
		t.Fatalf("2026 hrss: %+v", hr)
	}

	p27, _ := report.Year("2027")
	r27, err := w.sb.SourcesReport(ctx, *w.impl, p27)
	if err != nil {
		t.Fatal(err)
	}
	d = r27.Agencies[0].Datasets[0]
	if !r27.Partial || d.VersionsImported != 1 || d.RowsImported != v2.Rows || d.RulesChanges != 1 || d.JobsRun != 1 || d.RowsScanned != after {
		t.Fatalf("2027 citizens: %+v (2026's import, rules and jobs must not count)", d.SourceActivity)
	}
	if len(r27.Agencies[0].ScenariosConsented) != 0 || r27.Agencies[1].JobsRun != 0 || !slices.Equal(r27.Agencies[1].Grants, []string{g.ID}) {
		t.Fatalf("2027: %+v", r27.Agencies)
	}

	p25, _ := report.Year("2025")
	if r25, err := w.sb.SourcesReport(ctx, *w.impl, p25); err != nil || len(r25.Agencies) != 0 {
		t.Fatalf("2025, before anything: %+v %v", r25, err)
	}
	p28, _ := report.Year("2028")
	if _, err := w.sb.SourcesReport(ctx, *w.impl, p28); fault.CodeOf(err) != fault.InvalidInput {
		t.Fatalf("2028: %v", err)
	}
}
