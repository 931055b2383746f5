package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCLIEndToEnd starts `inviso serve` in-process and drives it with the client commands, as
// a source agency and a developer would.
func TestCLIEndToEnd(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	pr, pw := io.Pipe()
	served := make(chan int, 1)
	go func() {
		served <- run(ctx, []string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--threads", "1", "--log-level", "warn"}, pw, io.Discard)
		pw.Close()
	}()
	server := ""
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), " serving "); ok {
			server = strings.Fields(rest)[0]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if server == "" {
		t.Fatal("serve printed no address")
	}
	st, err := os.Stat(filepath.Join(data, "admin.token"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin token: %v %v", st, err)
	}

	inviso := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if args[0] != "gen" {
			args = append(args, "--server", server)
		}
		if code := run(ctx, args, &out, &errb); code != want {
			t.Fatalf("inviso %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out.String(), errb.String())
		}
		return out.String() + errb.String()
	}
	admin := []string{"--token-file", filepath.Join(data, "admin.token")}
	inviso(0, append([]string{"agency", "create", "--id", "civil-affairs", "--name", "肇庆市民政局", "--kind", "source"}, admin...)...)
	inviso(0, append([]string{"agency", "create", "--id", "devco", "--name", "开发机构", "--kind", "development"}, admin...)...)
	src := firstLine(inviso(0, append([]string{"principal", "create", "--id", "ca", "--agency", "civil-affairs", "--role", "source"}, admin...)...))
	dev := firstLine(inviso(0, append([]string{"principal", "create", "--id", "dev", "--agency", "devco", "--role", "developer"}, admin...)...))
	if !strings.HasPrefix(src, "inv_") || !strings.HasPrefix(dev, "inv_") {
		t.Fatalf("tokens %q %q", src, dev)
	}
	if out := inviso(0, append([]string{"principal", "list"}, admin...)...); !strings.Contains(out, "civil-affairs") || strings.Contains(out, src) {
		t.Fatalf("principal list: %s", out)
	}

	files := filepath.Join(dir, "files")
	inviso(0, "gen", "--rows", "2000", "--table", "citizens", "--format", "csv", "--out", files)
	inviso(0, "dataset", "register", "--token", src, "--name", "citizens", "--description", "户籍人口",
		"--classification", "L3", "--privacy-unit", "person_id", "--update-frequency", "monthly",
		"--column", "person_id=VARCHAR", "--column", "name=VARCHAR", "--column", "id_number=VARCHAR",
		"--column", "phone=VARCHAR", "--column", "gender=VARCHAR", "--column", "birth_date=DATE",
		"--column", "district=VARCHAR", "--column", "income=BIGINT", "--column", "diagnosis_code=VARCHAR")
	out := inviso(0, "dataset", "import", "--token", src, "citizens", filepath.Join(files, "citizens.csv"))
	if !strings.Contains(out, "imported citizens version 1: 2000 rows") {
		t.Fatalf("import: %s", out)
	}
	var d struct {
		Versions []struct {
			Rows    int64
			Columns []struct{ Name, Type string }
		}
	}
	show := inviso(0, "dataset", "show", "--token", dev, "citizens")
	if err := json.Unmarshal([]byte(show), &d); err != nil || len(d.Versions) != 1 || d.Versions[0].Columns[3].Type != "VARCHAR" {
		t.Fatalf("show: %v %s", err, show)
	}
	if out := inviso(0, "dataset", "list", "--token", dev); !strings.Contains(out, "citizens") || !strings.Contains(out, "2000") {
		t.Fatalf("list: %s", out)
	}
	if out := inviso(1, "dataset", "import", "--token", dev, "citizens", filepath.Join(files, "citizens.csv")); !strings.Contains(out, "error (forbidden)") {
		t.Fatalf("developer import: %s", out)
	}
	if out := inviso(1, "whoami"); !strings.Contains(out, "no token") {
		t.Fatalf("no token: %s", out)
	}
	if out := inviso(1, "dataset", "import", "--token", src, "citizens", filepath.Join(files, "nope.xlsx")); !strings.Contains(out, "--format") {
		t.Fatalf("unknown extension: %s", out)
	}

	// Rules, a scenario, co-review, the grant, dummy data.
	impl := firstLine(inviso(0, append([]string{"principal", "create", "--id", "impl", "--agency", "devco", "--role", "implementer"}, admin...)...))
	rulesFile := filepath.Join(dir, "rules.json")
	os.WriteFile(rulesFile, []byte(`{"min_k": 12, "columns": {
		"person_id": {"class": "identifier", "treatment": "hash", "usage": "join_only"},
		"district":  {"class": "quasi_identifier", "treatment": "keep", "usage": "dimension"},
		"income":    {"class": "sensitive", "treatment": "keep", "usage": "aggregate_only", "params": {"lo": 0, "hi": 1000000}}}}`), 0o600)
	if out := inviso(0, "rules", "set", "--token", src, "citizens", rulesFile); !strings.Contains(out, `"min_k": 12`) {
		t.Fatalf("rules set: %s", out)
	}
	inviso(0, "rules", "cosign", "--token", impl, "citizens", "1")
	if out := inviso(1, "rules", "set", "--token", dev, "citizens", rulesFile); !strings.Contains(out, "forbidden") {
		t.Fatalf("developer set rules: %s", out)
	}
	var scen struct{ ID string }
	out = inviso(0, "scenario", "request", "--token", dev, "--name", "coverage", "--purpose", "coverage by district",
		"--dataset", "citizens:person_id,district,income", "--valid-until", time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339))
	if err := json.Unmarshal([]byte(out), &scen); err != nil || scen.ID == "" {
		t.Fatalf("scenario: %v %s", err, out)
	}
	if out := inviso(1, "scenario", "approve", "--token", impl, scen.ID); !strings.Contains(out, "missing_consent") {
		t.Fatalf("approve before consent: %s", out)
	}
	inviso(0, "scenario", "consent", "--token", src, scen.ID)
	var g struct {
		Grant struct {
			ID    string
			State string
			K     int
		}
	}
	out = inviso(0, "scenario", "approve", "--token", impl, scen.ID)
	if err := json.Unmarshal([]byte(out), &g.Grant); err != nil || g.Grant.State != "active" || g.Grant.K != 12 {
		t.Fatalf("approve: %v %s", err, out)
	}
	if out := inviso(0, "grant", "list", "--token", dev); !strings.Contains(out, g.Grant.ID) || !strings.Contains(out, "active") {
		t.Fatalf("grant list: %s", out)
	}
	dummyFile := filepath.Join(dir, "dummy.duckdb")
	inviso(0, "grant", "dummy", "--token", dev, g.Grant.ID, "-o", dummyFile)
	if st, err := os.Stat(dummyFile); err != nil || st.Size() == 0 {
		t.Fatalf("dummy file: %v", err)
	}
	inviso(0, "grant", "suspend", "--token", impl, g.Grant.ID, "--reason", "audit")
	if out := inviso(1, "grant", "suspend", "--token", impl, g.Grant.ID); !strings.Contains(out, "error (conflict)") {
		t.Fatalf("double suspend: %s", out)
	}
	inviso(0, "grant", "resume", "--token", impl, g.Grant.ID)
	inviso(0, "grant", "revoke", "--token", impl, g.Grant.ID, "--reason", "scenario ended")

	cancel() // SIGINT/SIGTERM arrive as this context's cancellation
	select {
	case code := <-served:
		if code != 0 {
			t.Fatalf("serve exited %d after shutdown", code)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "inv_") {
			return l
		}
	}
	return ""
}
