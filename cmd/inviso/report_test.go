package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox"
	"github.com/inviso/inviso/sandbox/api"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/client"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/report"
	"github.com/inviso/inviso/sandbox/rules"
)

// TestDiscloseAndReport drives `inviso disclose` (no token) and `inviso report` (auditor)
// against a real server holding one grant with a released and a refused job.
func TestDiscloseAndReport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb, err := sandbox.Open(ctx, sandbox.Options{DataDir: t.TempDir(), DuckDB: duck.Config{Threads: 1, MemoryLimit: "512MB"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	var authOnDisclosure atomic.Int32 // requests to /v1/disclosure that carried a token
	h := api.New(sb, api.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/disclosure" && r.Header.Get("Authorization") != "" {
			authOnDisclosure.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	adminTok, err := os.ReadFile(sb.AdminTokenPath)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := client.New(srv.URL, string(adminTok), nil)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []catalog.Agency{{ID: "civil-affairs", Name: "肇庆市民政局", Kind: catalog.KindSource}, {ID: "devco", Name: "开发机构", Kind: catalog.KindDevelopment}} {
		_, err := admin.CreateAgency(ctx, a)
		must(err)
	}
	token := func(id, agency string, r catalog.Role) string {
		_, tok, err := admin.CreatePrincipal(ctx, id, agency, r)
		must(err)
		return tok
	}
	srcTok, devTok, implTok, audTok := token("ca", "civil-affairs", catalog.RoleSource), token("dev", "devco", catalog.RoleDeveloper),
		token("impl", "devco", catalog.RoleImplementer), token("aud", "devco", catalog.RoleAuditor)
	src, dev, impl := admin.WithToken(srcTok), admin.WithToken(devTok), admin.WithToken(implTok)

	_, err = src.RegisterDataset(ctx, catalog.Dataset{Name: "citizens", Description: "户籍人口", Classification: catalog.L3Sensitive, PrivacyUnit: "person_id", UpdateFrequency: "monthly"})
	must(err)
	var data strings.Builder
	data.WriteString("person_id,district,income\n")
	for i := range 300 {
		fmt.Fprintf(&data, "ZQ%06d,%s,%d\n", i, []string{"端州区", "鼎湖区", "高要区"}[i%3], 1000*i)
	}
	_, err = src.Import(ctx, "citizens", "csv", strings.NewReader(data.String()), false)
	must(err)
	set, err := rules.Parse([]byte(`{"columns": {
		"person_id": {"class": "identifier", "treatment": "hash", "usage": "join_only"},
		"district":  {"class": "quasi_identifier", "treatment": "keep", "usage": "dimension"},
		"income":    {"class": "sensitive", "treatment": "keep", "usage": "aggregate_only", "params": {"lo": 0, "hi": 1000000}}}}`))
	must(err)
	_, err = src.SetRules(ctx, "citizens", set, 0)
	must(err)
	s, err := dev.RequestScenario(ctx, catalog.ScenarioRequest{Name: "coverage", Purpose: "benefit coverage by district", Use: catalog.PublicInterest,
		Datasets: map[string][]string{"citizens": {"person_id", "district", "income"}}, ValidUntil: time.Now().Add(48 * time.Hour)})
	must(err)
	_, err = src.ConsentScenario(ctx, s.ID)
	must(err)
	g, err := impl.ApproveScenario(ctx, s.ID)
	must(err)
	_, err = dev.Query(ctx, g.ID, "SELECT district, count(*) AS n FROM citizens GROUP BY district", false)
	must(err)
	if _, err := dev.Query(ctx, g.ID, "SELECT person_id, income FROM citizens", false); err == nil {
		t.Fatal("row extraction allowed")
	}

	inviso := func(want int, args ...string) (string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(ctx, append(args, "--server", srv.URL), &out, &errb); code != want {
			t.Fatalf("inviso %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out.String(), errb.String())
		}
		return out.String(), errb.String()
	}

	md, _ := inviso(0, "disclose")
	for _, want := range []string{"# Public disclosure", g.ID, "`dev`", "开发机构", "benefit coverage by district", "citizens: district, income, person_id", "There is no product registry yet"} {
		if !strings.Contains(md, want) {
			t.Errorf("disclose lacks %q:\n%s", want, md)
		}
	}
	raw, _ := inviso(0, "disclose", "--json")
	var d report.Disclosure
	if err := json.Unmarshal([]byte(raw), &d); err != nil || len(d.Usage.Grants) != 1 || d.Usage.Grants[0].Released != 1 || d.Usage.Grants[0].Refused != 1 {
		t.Fatalf("disclose --json: %v\n%s", err, raw)
	}
	if n := authOnDisclosure.Load(); n != 0 {
		t.Fatalf("disclose sent a token %d times; the route is public", n)
	}
	for _, secret := range []string{srcTok, devTok, implTok, audTok, string(adminTok), "ZQ000001"} {
		if strings.Contains(md+raw, strings.TrimSpace(secret)) {
			t.Fatal("the disclosure holds a token or a raw value")
		}
	}

	now := time.Now().UTC()
	quarter := fmt.Sprintf("%dQ%d", now.Year(), (int(now.Month())-1)/3+1)
	out, _ := inviso(0, "report", "quarterly", "--quarter", quarter, "--token", audTok)
	if !strings.Contains(out, "# Quarterly operating report "+quarter) || !strings.Contains(out, g.ID) {
		t.Fatalf("quarterly:\n%s", out)
	}
	out, _ = inviso(0, "report", "quarterly", "--quarter", strings.ToLower(quarter), "--format", "csv", "--token", audTok)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], "level,period,agency,grant") || !strings.HasPrefix(lines[1], "grant,"+quarter+",devco,"+g.ID) {
		t.Fatalf("quarterly csv:\n%s", out)
	}
	file := filepath.Join(t.TempDir(), "sources.json")
	inviso(0, "report", "sources", "--year", quarter[:4], "--format", "json", "-o", file, "--token", audTok)
	b, _ := os.ReadFile(file)
	var sr report.Sources
	if err := json.Unmarshal(b, &sr); err != nil || len(sr.Agencies) != 1 || sr.Agencies[0].Agency != "civil-affairs" || sr.Agencies[0].JobsRun != 1 {
		t.Fatalf("sources: %v\n%s", err, b)
	}

	if _, errs := inviso(1, "report", "quarterly", "--quarter", "2026Q5", "--token", audTok); !strings.Contains(errs, "error (invalid_input)") || !strings.Contains(errs, "1, 2, 3 or 4") {
		t.Fatalf("bad quarter: %s", errs)
	}
	if _, errs := inviso(1, "report", "quarterly", "--token", audTok); !strings.Contains(errs, `"quarter" not set`) {
		t.Fatalf("no quarter: %s", errs)
	}
	if _, errs := inviso(1, "report", "sources", "--year", quarter[:4], "--token", devTok); !strings.Contains(errs, "error (forbidden)") {
		t.Fatalf("developer: %s", errs)
	}
	missing := filepath.Join(t.TempDir(), "denied.md")
	inviso(1, "report", "sources", "--year", "2999", "-o", missing, "--token", audTok)
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("a refused report left a file behind: %v", err)
	}
}
