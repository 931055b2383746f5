package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"net/http"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

// grantOverHTTP walks the whole co-review over HTTP and returns an active grant's id.
func (e *env) grantOverHTTP(t *testing.T) string { return e.grantOverHTTPKinds(t, `["sql"]`) }

// grantOverHTTPKinds is grantOverHTTP for a scenario of the given job kinds (a JSON list).
func (e *env) grantOverHTTPKinds(t *testing.T, kinds string) string {
	t.Helper()
	src, dev := e.tokens[catalog.RoleSource], e.tokens[catalog.RoleDeveloper]
	var csv strings.Builder
	csv.WriteString("person_id,district,income\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&csv, "ZQ%06d,%s,%d\n", i, []string{"端州区", "鼎湖区", "高要区"}[i%3], 1000*i)
	}
	csv.WriteString("ZQ999999,德庆县,987654321\n") // a group of one
	resp := e.do("PUT", "/v1/datasets/citizens/data?format=csv", src, "text/csv", strings.NewReader(csv.String()))
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("import: %d", resp.StatusCode)
	}
	e.mustJSON("PUT", "/v1/datasets/citizens/rules", src, `{"columns": {
		"person_id": {"class": "identifier", "treatment": "hash", "usage": "join_only"},
		"district":  {"class": "quasi_identifier", "treatment": "keep", "usage": "dimension"},
		"income":    {"class": "sensitive", "treatment": "keep", "usage": "aggregate_only", "params": {"lo": 0, "hi": 1000000}}}}`, 200)
	until := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	sc := e.mustJSON("POST", "/v1/scenarios", dev, `{"name": "coverage", "purpose": "coverage", "use": "public_interest",
		"datasets": {"citizens": ["person_id", "district", "income"]}, "job_kinds": `+kinds+`, "valid_until": "`+until+`"}`, 201)
	id := sc["id"].(string)
	e.mustJSON("POST", "/v1/scenarios/"+id+"/consent", src, "", 200)
	body := e.mustJSON("POST", "/v1/scenarios/"+id+"/approve", e.tokens[catalog.RoleImplementer], "", 201)
	g := body["grant"].(map[string]any)
	if g["state"] != "active" {
		t.Fatalf("grant %v", g)
	}
	return g["id"].(string)
}

func TestQueryOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	gid := e.grantOverHTTP(t)
	dev := e.tokens[catalog.RoleDeveloper]
	q := `{"sql": "SELECT district, count(*) AS n, avg(income) AS mean FROM citizens GROUP BY district ORDER BY district"}`

	// JSON
	status, out := e.callAccept("POST", "/v1/grants/"+gid+"/query", dev, q, "application/json")
	if status != 200 {
		t.Fatalf("json: %d %v", status, out)
	}
	rows := out["rows"].([]any)
	if _, told := out["suppressed_groups"]; len(rows) != 3 || out["job"] == "" || told {
		t.Fatalf("json result %v (three groups, and no word of the suppressed one)", out)
	}
	raw, _ := json.Marshal(out)
	if strings.Contains(string(raw), "德庆县") || strings.Contains(string(raw), "987654321") {
		t.Fatalf("the group of one leaked: %s", raw)
	}

	// Arrow (the default) and CSV
	resp := e.doAccept("POST", "/v1/grants/"+gid+"/query", dev, q, "")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != arrowStream || resp.Header.Get("Inviso-Job") == "" {
		t.Fatalf("arrow headers %v", resp.Header)
	}
	rdr, err := ipc.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for rdr.Next() {
		n += rdr.RecordBatch().NumRows()
	}
	if n != 3 || rdr.Schema().NumFields() != 3 {
		t.Fatalf("arrow rows %d fields %d", n, rdr.Schema().NumFields())
	}
	rdr.Release()
	resp = e.doAccept("POST", "/v1/grants/"+gid+"/query", dev, q, "text/csv")
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 4 || lines[0] != "district,n,mean" {
		t.Fatalf("csv: %q", b)
	}

	// Refusals carry every reason; check_only decides without running.
	status, out = e.callAccept("POST", "/v1/grants/"+gid+"/query", dev, `{"sql": "SELECT person_id, income FROM citizens"}`, "application/json")
	if status != 403 || errCode(out) != fault.PolicyDenied || len(out["error"].(map[string]any)["reasons"].([]any)) < 2 {
		t.Fatalf("denied: %d %v", status, out)
	}
	status, out = e.callAccept("POST", "/v1/grants/"+gid+"/query", dev, `{"sql": "SELECT district, count(*) FROM citizens GROUP BY district", "check_only": true}`, "application/json")
	if status != 200 || out["allow"] != true {
		t.Fatalf("check_only: %d %v", status, out)
	}
	status, out = e.callAccept("POST", "/v1/grants/"+gid+"/query", dev, `{"sql": "SELECT 1; DROP TABLE citizens"}`, "application/json")
	if status != 422 || errCode(out) != fault.InvalidInput {
		t.Fatalf("stacked: %d %v", status, out)
	}
}

func (e *env) doAccept(method, path, token, body, accept string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

func (e *env) callAccept(method, path, token, body, accept string) (int, map[string]any) {
	e.t.Helper()
	resp := e.doAccept(method, path, token, body, accept)
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("%s %s: not JSON: %q", method, path, raw)
	}
	return resp.StatusCode, out
}
