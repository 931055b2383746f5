package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/report"
)

func currentQuarter() string {
	now := time.Now().UTC()
	return fmt.Sprintf("%dQ%d", now.Year(), (int(now.Month())-1)/3+1)
}

// get GETs path with token (none if empty) and returns status, content type and body.
func (e *env) get(path, token string) (int, string, string) {
	e.t.Helper()
	resp := e.do("GET", path, token, "", nil)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// TestDisclosureIsPublic: the disclosure answers without a token, in every format, with the
// grant and its usage, and holds no token and no raw value.
func TestDisclosureIsPublic(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	gid := e.grantOverHTTP(t)
	dev := e.tokens[catalog.RoleDeveloper]
	q := `{"sql": "SELECT district, count(*) AS n, avg(income) AS mean FROM citizens GROUP BY district"}`
	if status, out := e.callAccept("POST", "/v1/grants/"+gid+"/query", dev, q, "application/json"); status != 200 {
		t.Fatalf("query: %d %v", status, out)
	}
	if status, out := e.callAccept("POST", "/v1/grants/"+gid+"/query", dev, `{"sql": "SELECT person_id, income FROM citizens"}`, "application/json"); status != 403 {
		t.Fatalf("refusal: %d %v", status, out)
	}

	status, ctype, body := e.get("/v1/disclosure", "")
	if status != 200 || !strings.HasPrefix(ctype, "application/json") {
		t.Fatalf("disclosure without a token: %d %s %s", status, ctype, body)
	}
	var d report.Disclosure
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Grants) != 1 || d.Grants[0].ID != gid || d.Grants[0].Grantee != "p-developer" || d.Grants[0].Agency != "devco" || d.Grants[0].State != catalog.GrantActive {
		t.Fatalf("grants %+v", d.Grants)
	}
	if u := d.Usage.Grants[0]; u.Released != 1 || u.Refused != 1 {
		t.Fatalf("usage %+v: want one released, one refused", u)
	}
	if len(d.Usage.Datasets) != 1 || d.Usage.Datasets[0].Agency != "civil-affairs" || d.Usage.Datasets[0].Released != 1 || d.Checkpoint.Note == "" {
		t.Fatalf("datasets %+v, checkpoint %+v", d.Usage.Datasets, d.Checkpoint)
	}

	status, ctype, md := e.get("/v1/disclosure?format=md", "")
	if status != 200 || !strings.HasPrefix(ctype, "text/markdown") || !strings.Contains(md, gid) || !strings.Contains(md, "# Public disclosure") {
		t.Fatalf("markdown: %d %s\n%s", status, ctype, md)
	}
	status, ctype, cs := e.get("/v1/disclosure?format=csv", "")
	if recs, err := csv.NewReader(strings.NewReader(cs)).ReadAll(); status != 200 || !strings.HasPrefix(ctype, "text/csv") || err != nil || len(recs) != 2 {
		t.Fatalf("csv: %d %s %v\n%s", status, ctype, err, cs)
	}
	for _, doc := range []string{body, md, cs} {
		for _, tok := range e.tokens {
			if strings.Contains(doc, tok) || strings.Contains(doc, tok[:20]) {
				t.Fatal("the disclosure holds a token")
			}
		}
		// ZQ999999 is alone in its district with this income: raw values of a group of one.
		for _, raw := range []string{"ZQ999999", "德庆县", "987654321", "SELECT"} {
			if strings.Contains(doc, raw) {
				t.Fatalf("the disclosure holds %q", raw)
			}
		}
	}

	for path, want := range map[string]fault.Code{"/v1/disclosure?format=xlsx": fault.InvalidInput, "/v1/disclosure?formt=md": fault.InvalidInput} {
		if status, out := e.call("GET", path, "", ""); status != 422 || errCode(out) != want {
			t.Fatalf("%s: %d %v", path, status, out)
		}
	}
}

// TestReportsOverHTTP: the reports answer auditors in every format, count the jobs run, and
// refuse bad periods, kinds and parameters with clear errors.
func TestReportsOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	gid := e.grantOverHTTP(t)
	dev, auditor := e.tokens[catalog.RoleDeveloper], e.tokens[catalog.RoleAuditor]
	for range 2 {
		if status, out := e.callAccept("POST", "/v1/grants/"+gid+"/query", dev, `{"sql": "SELECT district, count(*) AS n FROM citizens GROUP BY district"}`, "application/json"); status != 200 {
			t.Fatalf("query: %d %v", status, out)
		}
	}
	status, out := e.callAccept("POST", "/v1/grants/"+gid+"/query", dev, `{"sql": "SELECT person_id, income FROM citizens"}`, "application/json")
	if status != 403 {
		t.Fatalf("refusal: %d %v", status, out)
	}
	reason := out["error"].(map[string]any)["reasons"].([]any)[0].(map[string]any)["code"].(string)

	quarter := currentQuarter()
	status, ctype, body := e.get("/v1/reports/quarterly?quarter="+quarter, auditor)
	if status != 200 || !strings.HasPrefix(ctype, "application/json") {
		t.Fatalf("quarterly: %d %s", status, body)
	}
	var q report.Quarterly
	if err := json.Unmarshal([]byte(body), &q); err != nil {
		t.Fatal(err)
	}
	if len(q.Grants) != 1 || q.Grants[0].Run != 2 || q.Grants[0].Refused != 1 || q.Grants[0].RefusalReasons[reason] != 1 || q.Grants[0].RowsScanned != 2*301 {
		t.Fatalf("quarterly grants %+v; want 2 run over 301 rows each, one refused for %s", q.Grants, reason)
	}
	status, ctype, md := e.get("/v1/reports/quarterly?format=md&quarter="+quarter, e.tokens[catalog.RoleImplementer])
	if status != 200 || !strings.HasPrefix(ctype, "text/markdown") || !strings.Contains(md, "# Quarterly operating report "+quarter) || !strings.Contains(md, reason) {
		t.Fatalf("quarterly md: %d %s\n%s", status, ctype, md)
	}
	year := quarter[:4]
	status, ctype, cs := e.get("/v1/reports/sources?format=csv&year="+year, e.admin)
	recs, err := csv.NewReader(strings.NewReader(cs)).ReadAll()
	if status != 200 || !strings.HasPrefix(ctype, "text/csv") || err != nil || len(recs) < 3 {
		t.Fatalf("sources csv: %d %s %v\n%s", status, ctype, err, cs)
	}
	found := false
	for _, r := range recs[1:] {
		if r[0] == "dataset" && r[2] == "civil-affairs" && r[4] == "citizens" {
			found = r[13] == "2" && r[15] == "602" // jobs_run, rows_scanned
		}
	}
	if !found {
		t.Fatalf("sources csv has no citizens row with 2 jobs over 602 rows:\n%s", cs)
	}

	cases := map[string]struct {
		path   string
		token  string
		status int
		code   fault.Code
		says   string
	}{
		"quarter 5":      {"/v1/reports/quarterly?quarter=2026Q5", auditor, 422, fault.InvalidInput, "1, 2, 3 or 4"},
		"no quarter":     {"/v1/reports/quarterly", auditor, 422, fault.InvalidInput, "?quarter="},
		"year for a qtr": {"/v1/reports/quarterly?year=2026", auditor, 422, fault.InvalidInput, "unknown parameter"},
		"bad year":       {"/v1/reports/sources?year=26", auditor, 422, fault.InvalidInput, "four digits"},
		"future":         {"/v1/reports/sources?year=2999", auditor, 422, fault.InvalidInput, "has not begun"},
		"bad format":     {"/v1/reports/sources?year=2026&format=pdf", auditor, 422, fault.InvalidInput, "json, md or csv"},
		"twice":          {"/v1/reports/sources?year=2026&year=2027", auditor, 422, fault.InvalidInput, "2 times"},
		"unknown kind":   {"/v1/reports/weekly?week=3", auditor, 404, fault.NotFound, "quarterly"},
		"developer":      {"/v1/reports/quarterly?quarter=" + quarter, dev, 403, fault.Forbidden, "roles"},
		"no token":       {"/v1/reports/quarterly?quarter=" + quarter, "", 401, fault.Unauthenticated, "token"},
		"source agency":  {"/v1/reports/sources?year=" + year, e.tokens[catalog.RoleSource], 403, fault.Forbidden, "roles"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status, out := e.call("GET", tc.path, tc.token, "")
			msg, _ := out["error"].(map[string]any)["message"].(string)
			if status != tc.status || errCode(out) != tc.code || !strings.Contains(msg, tc.says) {
				t.Fatalf("%d %q %q, want %d %s saying %q", status, errCode(out), msg, tc.status, tc.code, tc.says)
			}
		})
	}
}
