package api

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/client"
	"github.com/inviso/inviso/sandbox/fault"
)

// TestAuditRoutes reads and verifies the job log through the API, as an auditor's tools do.
func TestAuditRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	ctx := context.Background()
	size, err := e.sb.Journal().Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.sb.Journal().WaitCheckpoint(ctx, size); err != nil {
		t.Fatal(err)
	}
	auditor, err := client.New(e.srv.URL, e.tokens[catalog.RoleAuditor], nil)
	if err != nil {
		t.Fatal(err)
	}
	public, _ := client.New(e.srv.URL, "", nil)

	vkey, err := public.LogKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := audit.ParseVerifierKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := public.Checkpoint(ctx); err != nil {
		t.Fatalf("public checkpoint: %v", err)
	}
	src, err := auditor.LogSource()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, src, v, nil)
	if err != nil {
		t.Fatalf("verify over HTTP: %v", err)
	}
	if rep.Size < size || rep.Kinds[audit.KindAgencyCreated] != 4 || rep.Kinds[audit.KindDatasetRegistered] != 1 {
		t.Fatalf("report %+v", rep)
	}
	page, err := auditor.AuditEntries(ctx, 0, 5)
	if err != nil || len(page.Entries) != 5 || page.Entries[0].Index != 0 {
		t.Fatalf("entries: %+v %v", page, err)
	}
	// Principals are logged, their tokens never.
	all, _ := auditor.AuditEntries(ctx, 0, 1000)
	for _, en := range all.Entries {
		for _, tok := range e.tokens {
			_, secret, ok := strings.Cut(tok, "_")
			if !ok || len(secret) < 20 {
				t.Fatalf("unexpected token shape")
			}
			if strings.Contains(string(en.Body), secret) {
				t.Fatalf("entry %d holds a token's secret", en.Index)
			}
		}
	}
	p, err := auditor.AuditProof(ctx, 3, 0)
	if err != nil || p.Index != 3 || len(p.Hashes) == 0 {
		t.Fatalf("proof: %+v %v", p, err)
	}
	// Developers may not read the log.
	dev, _ := client.New(e.srv.URL, e.tokens[catalog.RoleDeveloper], nil)
	if _, err := dev.AuditEntries(ctx, 0, 1); fault.CodeOf(err) != fault.Forbidden {
		t.Fatalf("developer read the log: %v", err)
	}
	// Only files of the tlog-tiles layout are served.
	for _, bad := range []string{"keys/log.key", "..%2f..%2fkeys%2flog.key", "tile/../../admin.token", ".state/treeState", "tile/0/000.p/../../../../admin.token"} {
		resp := e.do("GET", "/v1/audit/log/"+bad, e.tokens[catalog.RoleAuditor], "", nil)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 300 || strings.Contains(string(body), "PRIVATE") {
			t.Fatalf("GET /v1/audit/log/%s: %d %q", bad, resp.StatusCode, body)
		}
	}
	status, body := e.call("GET", "/v1/audit/proof?index=99999", e.tokens[catalog.RoleAuditor], "")
	if status != 404 || errCode(body) != fault.NotFound {
		t.Fatalf("proof of a missing entry: %d %v", status, body)
	}
	status, body = e.call("GET", "/v1/audit/entries?from=-1", e.tokens[catalog.RoleAuditor], "")
	if status != 422 || errCode(body) != fault.InvalidInput {
		t.Fatalf("bad from: %d %v", status, body)
	}
}
