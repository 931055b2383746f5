package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

func TestOpenBootstrapsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	sb, err := Open(ctx, Options{DataDir: dir, DuckDB: duck.Config{Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if !sb.AdminTokenCreated {
		t.Fatal("first start did not create the admin token")
	}
	st, err := os.Stat(sb.AdminTokenPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin token file: %v %v", st.Mode(), err)
	}
	tok, _ := os.ReadFile(sb.AdminTokenPath)
	p, err := sb.Authenticate(ctx, string(tok))
	if err != nil || p.ID != AdminPrincipal || !p.Has(catalog.RoleAdmin) {
		t.Fatalf("admin token: %+v %v", p, err)
	}

	// A second process on the same directory is refused while the first holds it.
	if _, err := Open(ctx, Options{DataDir: dir}); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("second open: %v", err)
	}
	sb.Close()

	sb, err = Open(ctx, Options{DataDir: dir, DuckDB: duck.Config{Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	again, _ := os.ReadFile(sb.AdminTokenPath)
	if sb.AdminTokenCreated || string(again) != string(tok) {
		t.Fatal("a restart rewrote the admin token")
	}
	if _, err := sb.Authenticate(ctx, string(tok)); err != nil {
		t.Fatalf("admin token after restart: %v", err)
	}
}

func TestAuthenticateRefusesEverythingElse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb, err := Open(ctx, Options{DataDir: t.TempDir(), DuckDB: duck.Config{Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	tok, _ := os.ReadFile(sb.AdminTokenPath)
	good := strings.TrimSpace(string(tok))
	for name, bearer := range map[string]string{
		"empty":        "",
		"wrong secret": good[:len(good)-1] + "x",
		"other sel":    "inv_ffffffffffffffff" + good[len("inv_ffffffffffffffff"):],
		"not a token":  "admin",
	} {
		if _, err := sb.Authenticate(ctx, bearer); fault.CodeOf(err) != fault.Unauthenticated {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSourceActsOnlyForItsAgency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb, err := Open(ctx, Options{DataDir: t.TempDir(), DuckDB: duck.Config{Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	admin := catalog.Principal{ID: AdminPrincipal, Agency: PlatformAgency, Roles: []catalog.Role{catalog.RoleAdmin}}
	for _, a := range []string{"civil-affairs", "hrss"} {
		if _, err := sb.CreateAgency(ctx, admin, catalog.Agency{ID: a, Name: a, Kind: catalog.KindSource}); err != nil {
			t.Fatal(err)
		}
	}
	ca := catalog.Principal{ID: "ca", Agency: "civil-affairs", Roles: []catalog.Role{catalog.RoleSource}}
	hr := catalog.Principal{ID: "hr", Agency: "hrss", Roles: []catalog.Role{catalog.RoleSource}}
	d := catalog.Dataset{Name: "citizens", Description: "x", Classification: catalog.L3Sensitive, PrivacyUnit: "person_id", UpdateFrequency: "monthly"}
	if _, err := sb.RegisterDataset(ctx, hr, catalog.Dataset{Name: "x", Agency: "civil-affairs", Description: "x", Classification: catalog.L1Public, PrivacyUnit: "id", UpdateFrequency: "once"}); fault.CodeOf(err) != fault.Forbidden {
		t.Fatalf("register for another agency: %v", err)
	}
	for name, schema := range map[string][]catalog.SchemaColumn{
		"no unit":    {{Name: "district", Type: "VARCHAR"}},
		"bad type":   {{Name: "person_id", Type: "VARCHAR); DROP TABLE x; --"}},
		"dup column": {{Name: "person_id", Type: "VARCHAR"}, {Name: "PERSON_ID", Type: "VARCHAR"}},
		"bad name":   {{Name: "person id", Type: "VARCHAR"}},
	} {
		bad := d
		bad.Name, bad.Schema = "s_"+strings.ReplaceAll(name, " ", "_"), schema
		if _, err := sb.RegisterDataset(ctx, ca, bad); fault.CodeOf(err) != fault.InvalidInput {
			t.Errorf("declared schema %s: %v", name, err)
		}
	}
	got, err := sb.RegisterDataset(ctx, ca, d)
	if err != nil || got.Agency != "civil-affairs" || got.CreatedBy != "ca" {
		t.Fatalf("register: %+v %v", got, err)
	}
	if _, err := sb.Import(ctx, hr, "citizens", strings.NewReader("person_id\nZQ1\n"), ImportOptions{Format: "csv"}); fault.CodeOf(err) != fault.Forbidden {
		t.Fatalf("import into another agency's dataset: %v", err)
	}
	if _, err := sb.Import(ctx, ca, "nope", strings.NewReader("person_id\nZQ1\n"), ImportOptions{Format: "csv"}); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("import into unknown dataset: %v", err)
	}
	v, err := sb.Import(ctx, ca, "citizens", strings.NewReader("person_id\nZQ1\n"), ImportOptions{Format: "csv"})
	if err != nil || v.Number != 1 || v.ImportedBy != "ca" {
		t.Fatalf("own import: %+v %v", v, err)
	}
}
