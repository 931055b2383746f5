package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox/catalog"
)

var at = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// hostile is free text written to break out of a table, a cell or the page.
const hostile = "coverage | injected cell\n# heading <script>alert(1)</script> [click](http://evil.example) `code` *bold*"

func sampleDisclosure() Disclosure {
	return Disclosure{
		GeneratedAt: at,
		Grants: []Grant{{ID: "gr_1", Grantee: "dev", Agency: "devco", AgencyName: "=HYPERLINK(\"http://evil.example\")", Scenario: "sc_1",
			Name: "coverage", Purpose: hostile, Use: catalog.PublicInterest, Datasets: map[string][]string{"citizens": {"district", "income"}, "benefits": {"program"}},
			JobKinds: []string{"sql"}, ValidUntil: at.AddDate(1, 0, 0), State: catalog.GrantActive, ApprovedAt: at}},
		Products: []Product{{Name: "coverage", Purpose: hostile, Use: catalog.PublicInterest, Grant: "gr_1", Agency: "devco", State: catalog.GrantActive}},
		Usage: Usage{
			Grants:   []GrantUsage{{Grant: "gr_1", Released: 2, Refused: 1, Checked: 1}},
			Datasets: []DatasetUsage{{Dataset: "citizens", Agency: "civil-affairs", Grants: 1, Released: 2}},
		},
		Checkpoint: Checkpoint{Origin: "inviso.sandbox/job-log", VerifierKey: "inviso.sandbox/job-log+abcd+AQID", Size: 42, Note: "inviso.sandbox/job-log\n42\nhash=\n\n— sig\n"},
	}
}

// tableCells counts the cells of a Markdown table row: pipes not escaped with a backslash.
var unescapedPipe = regexp.MustCompile(`(^|[^\\])\|`)

func TestMarkdownKeepsFreeTextInItsCell(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := sampleDisclosure().Render(&buf, Markdown); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script>", "[click](", "\n# heading"} {
		if strings.Contains(out, bad) {
			t.Fatalf("markdown holds %q unescaped:\n%s", bad, out)
		}
	}
	// Every row of a table has as many cells as its header.
	lines := strings.Split(out, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "| ") {
			continue
		}
		want := len(unescapedPipe.FindAllString(lines[i], -1))
		for ; i < len(lines) && strings.HasPrefix(lines[i], "| "); i++ {
			if got := len(unescapedPipe.FindAllString(lines[i], -1)); got != want {
				t.Fatalf("row with %d separators under a header with %d: %q", got, want, lines[i])
			}
		}
	}
	for _, want := range []string{`coverage \| injected cell # heading \<script\>`, "`gr_1`", "benefits: program; citizens: district, income", "There is no product registry yet", "first 42 entries", "inviso.sandbox/job-log+abcd+AQID"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := sampleDisclosure().Render(&buf, CSV); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || len(recs[0]) != len(recs[1]) {
		t.Fatalf("csv %v", recs)
	}
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = recs[1][i]
	}
	if row["agency_name"] != `'=HYPERLINK("http://evil.example")` || row["purpose"] != hostile || row["jobs_released"] != "2" || row["jobs_refused"] != "1" {
		t.Fatalf("csv row %v", row)
	}
}

func TestJSONRoundTrips(t *testing.T) {
	t.Parallel()
	d := sampleDisclosure()
	var buf bytes.Buffer
	if err := d.Render(&buf, JSON); err != nil {
		t.Fatal(err)
	}
	var back Disclosure
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Grants[0].Purpose != hostile || back.Usage.Grants[0] != d.Usage.Grants[0] || back.Checkpoint != d.Checkpoint {
		t.Fatalf("round trip %+v", back)
	}
}

func TestQuarterlyRenderings(t *testing.T) {
	t.Parallel()
	p, _ := Quarter("2026Q4")
	var a Activity
	a.Add(catalog.Job{State: catalog.JobReleased, Scanned: 100})
	a.Add(catalog.Job{State: catalog.JobFailed, Scanned: 10})
	a.Add(catalog.Job{State: catalog.JobRefused, Scanned: 1000, Reasons: []catalog.Reason{{Code: "row_level_output"}, {Code: "row_level_output"}, {Code: "no_k"}}})
	a.Add(catalog.Job{State: catalog.JobRefused})
	a.Add(catalog.Job{State: catalog.JobChecked, Scanned: 1000})
	want := Activity{Run: 2, Released: 1, Failed: 1, Refused: 2, Checked: 1, RowsScanned: 110,
		RefusalReasons: map[string]int{"row_level_output": 1, "no_k": 1, UnspecifiedReason: 1}}
	if a.Run != want.Run || a.Released != want.Released || a.Failed != want.Failed || a.Refused != want.Refused || a.Checked != want.Checked ||
		a.RowsScanned != want.RowsScanned || len(a.RefusalReasons) != 3 || a.RefusalReasons["row_level_output"] != 1 || a.RefusalReasons[UnspecifiedReason] != 1 {
		t.Fatalf("activity %+v, want %+v", a, want)
	}
	q := Quarterly{Kind: "quarterly", Period: p, GeneratedAt: at, Partial: true, Totals: a,
		Agencies: []AgencyActivity{{Agency: "devco", Name: "开发机构", Grants: 1, Activity: a, DatasetsUsed: []string{"citizens"}}},
		Grants:   []GrantActivity{{Grant: "gr_1", Name: "coverage", Grantee: "dev", Agency: "devco", State: catalog.GrantActive, Activity: a, DatasetsUsed: []string{"citizens"}}}}
	var md, cs bytes.Buffer
	if err := q.Render(&md, Markdown); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"# Quarterly operating report 2026Q4", "2026-10-01T00:00:00Z to 2027-01-01T00:00:00Z", "figures are partial", "`row_level_output`", "开发机构 (`devco`)", "| 2 | 1 | 1 | 2 | 1 | 110 |"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, md.String())
		}
	}
	if err := q.Render(&cs, CSV); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&cs).ReadAll()
	if err != nil || len(recs) != 4 || recs[1][0] != "grant" || recs[2][0] != "agency" || recs[3][0] != "total" {
		t.Fatalf("csv %v %v", recs, err)
	}
	if got := recs[1][len(recs[1])-1]; got != "no_k=1;row_level_output=1;unspecified=1" {
		t.Fatalf("refusal reasons cell %q", got)
	}
}

func ExampleSources_Render() {
	p, _ := Year("2026")
	s := Sources{Kind: "sources", Period: p, GeneratedAt: time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC), Agencies: []SourceAgency{{
		Agency: "civil-affairs", Name: "肇庆市民政局",
		SourceActivity:     SourceActivity{VersionsImported: 2, RowsImported: 4000, RulesChanges: 1, Grants: []string{"gr_1"}, JobsRun: 3, JobsReleased: 3, RowsScanned: 6000},
		ScenariosConsented: []string{"sc_1"},
		Datasets: []SourceDataset{{Dataset: "citizens",
			SourceActivity: SourceActivity{VersionsImported: 2, RowsImported: 4000, RulesChanges: 1, Grants: []string{"gr_1"}, JobsRun: 3, JobsReleased: 3, RowsScanned: 6000}}},
	}}}
	s.Render(os.Stdout, CSV)
	// Output:
	// level,year,agency,agency_name,dataset,versions_imported,rows_imported,rules_changes,rules_cosigned,flag_changes,consents_loaded,scenarios_consented,grants,jobs_run,jobs_released,rows_scanned
	// agency,2026,civil-affairs,肇庆市民政局,,2,4000,1,0,0,0,sc_1,gr_1,3,3,6000
	// dataset,2026,civil-affairs,肇庆市民政局,citizens,2,4000,1,0,0,0,,gr_1,3,3,6000
}
