package demo

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

func TestDemoRunsEndToEnd(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	dir := t.TempDir()
	bin := filepath.Join(t.TempDir(), "riskscore")
	build := exec.Command("go", "build", "-o", bin, "../../examples/plugins/riskscore")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build riskscore: %v\n%s", err, b)
	}
	res, err := Run(context.Background(), &out, Options{DataDir: dir, Rows: 2000, Seed: 3, DuckDB: duck.Config{Threads: 2}, PluginBinary: bin})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.Citizens.Rows != 2000 || res.Benefits.Rows == 0 || res.Citizens.Number != 1 {
		t.Fatalf("result: %+v", res)
	}
	text := out.String()
	if !res.Replay.Match || res.Replay.RecordedDigest == "" || res.Replay.ReplayedDigest != res.Replay.RecordedDigest {
		t.Fatalf("replay: %+v", res.Replay)
	}
	if res.PluginJob == "" && os.Geteuid() == 0 { // as root the host can isolate plugins: the job must run
		t.Fatalf("the plugin job did not run:\n%s", out.String())
	}
	if res.HEJob == "" {
		t.Fatal("the homomorphic job did not run")
	}
	if res.DPJob == "" {
		t.Fatal("the DP grant released nothing")
	}
	if res.Grant.State != "active" || len(res.Grant.Workspace.Tables) != 2 {
		t.Fatalf("grant: %+v", res.Grant)
	}
	for _, want := range []string{"forbidden", "unauthenticated", "invalid_input", "schema_drift", "exactly 1 version(s)", "missing", "one scenario, one authorization", "dummy data", "policy_denied", "raw_output", "left out silently", "verifies all", "match, bit for bit", "(95%)", "budget_exhausted", "decrypted score"} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	// The refusal of the malformed CSV names its line, not the values on it.
	for _, raw := range []string{"李四", "13800138001", "441202199001021234"} {
		if strings.Contains(text, raw) {
			t.Errorf("demo output echoes the raw value %q", raw)
		}
	}
	// Running it again on the same directory is refused clearly, not half-done.
	_, err = Run(context.Background(), &bytes.Buffer{}, Options{DataDir: dir, Rows: 1000})
	if fault.CodeOf(err) != fault.Conflict || !strings.Contains(err.Error(), "fresh data directory") {
		t.Fatalf("second run: %v", err)
	}
}
