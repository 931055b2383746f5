package policy

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// runRego runs the Rego tests (test_* rules of *_test.rego) of the default bundle and, if set, of
// an extra directory, with the capabilities and strict built-in errors the engine uses.
func runRego(t *testing.T, extraDir string) []*tester.Result {
	t.Helper()
	src, err := load(extraDir, true)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithCapabilities(capabilities()).WithDefaultRegoVersion(ast.RegoV1).WithEnablePrintStatements(true)).
		SetStore(inmem.NewFromObjectWithOpts(src.data, inmem.OptRoundTripOnWrite(false))).
		SetModules(src.modules).
		RaiseBuiltinErrors(true).
		SetTimeout(2*time.Minute). // timing must not fail a test on a loaded machine (or under -race)
		CapturePrintOutput(true).
		RunTests(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []*tester.Result
	for r := range ch {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *tester.Result) int { return strings.Compare(a.Package+"."+a.Name, b.Package+"."+b.Name) })
	return out
}

// TestRego runs the default bundle's Rego tests, one subtest each.
func TestRego(t *testing.T) {
	t.Parallel()
	results := runRego(t, "")
	if len(results) < 50 {
		t.Errorf("only %d Rego tests ran", len(results))
	}
	for _, r := range results {
		t.Run(strings.TrimPrefix(r.Package, "data.")+"."+r.Name, func(t *testing.T) {
			switch {
			case r.Error != nil:
				t.Errorf("%s: error: %v", r.Location, r.Error)
			case r.Fail:
				t.Errorf("%s: failed%s", r.Location, output(r))
			case r.Skip:
				t.Skipf("%s: skipped", r.Location)
			}
		})
	}
}

func output(r *tester.Result) string {
	if len(r.Output) == 0 {
		return ""
	}
	return "\n" + string(r.Output)
}

var codeInRego = regexp.MustCompile(`(?:reason\(|"code": )"([a-z_]+)"`)

// TestEveryCodeIsTested: each deny code of the default bundle appears in a Rego test.
func TestEveryCodeIsTested(t *testing.T) {
	t.Parallel()
	src, err := loadDefault(true)
	if err != nil {
		t.Fatal(err)
	}
	var rules, tests strings.Builder
	for name, b := range src.files {
		switch {
		case isTest(name):
			tests.Write(b)
		case strings.HasSuffix(name, ".rego"):
			rules.Write(b)
		}
	}
	codes := map[string]bool{}
	for _, m := range codeInRego.FindAllStringSubmatch(rules.String(), -1) {
		codes[m[1]] = true
	}
	if len(codes) < 20 {
		t.Fatalf("found only %d codes in the rules: %v", len(codes), codes)
	}
	for c := range codes {
		if !strings.Contains(tests.String(), `"`+c+`"`) {
			t.Errorf("code %s has no Rego test", c)
		}
	}
}

// TestDefaultBundleIsStrict: the default modules compile in OPA's strict mode (no unused
// variables or imports, no deprecated built-ins).
func TestDefaultBundleIsStrict(t *testing.T) {
	t.Parallel()
	src, err := loadDefault(false)
	if err != nil {
		t.Fatal(err)
	}
	c := ast.NewCompiler().WithCapabilities(capabilities()).WithStrict(true).WithDefaultRegoVersion(ast.RegoV1)
	if c.Compile(src.modules); c.Failed() {
		t.Fatal(c.Errors)
	}
}

// TestRegoIsFormatted: the bundle's Rego is as `opa fmt` writes it.
func TestRegoIsFormatted(t *testing.T) {
	t.Parallel()
	src, err := loadDefault(true)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range src.files {
		if !strings.HasSuffix(name, ".rego") {
			continue
		}
		want, err := format.SourceWithOpts(name, b, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(b, want) {
			if *update {
				if err := os.WriteFile(name, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			t.Errorf("%s is not formatted (go test ./policy -run Formatted -update rewrites it)", name)
		}
	}
}
