package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden decisions in testdata/decision")

// engine is one default engine shared by the tests that only decide (Decide is concurrency-safe).
// Its timeout is generous: timing must not decide whether a test passes on a loaded machine.
var engine = sync.OnceValues(func() (*Engine, error) { return New(context.Background(), WithTimeout(time.Minute)) })

func defaultEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := engine()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func readInput(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "input", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// set changes a field of an input decoded into maps: path "grant.state", "query.uses.+" (append).
func set(t testing.TB, m map[string]any, path string, v any) {
	t.Helper()
	keys := strings.Split(path, ".")
	var node any = m
	for i, k := range keys {
		last := i == len(keys)-1
		switch n := node.(type) {
		case map[string]any:
			if last {
				if v == nil {
					delete(n, k)
				} else {
					n[k] = v
				}
				return
			}
			node = n[k]
		case []any:
			if last && k == "+" {
				setParent(t, m, keys[:i], append(n, v))
				return
			}
			var j int
			if _, err := fmt.Sscan(k, &j); err != nil || j >= len(n) {
				t.Fatalf("set %s: bad index %q", path, k)
			}
			if last {
				n[j] = v
				return
			}
			node = n[j]
		default:
			t.Fatalf("set %s: %q is not a container", path, k)
		}
	}
}

func setParent(t testing.TB, m map[string]any, keys []string, v any) {
	t.Helper()
	set(t, m, strings.Join(keys, "."), v)
}

func codes(d Decision) []string {
	var out []string
	for _, r := range d.Reasons {
		if !slices.Contains(out, r.Code) {
			out = append(out, r.Code)
		}
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestDecideAllowsGoodInput(t *testing.T) {
	t.Parallel()
	e := defaultEngine(t)
	raw, err := os.ReadFile("testdata/input/good.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]any{"map": readInput(t, "good"), "raw": json.RawMessage(raw), "bytes": raw} {
		d, err := e.Decide(context.Background(), in)
		if err != nil || !d.Allow || len(d.Reasons) != 0 {
			t.Fatalf("%s: good input: allow=%v reasons=%v err=%v", name, d.Allow, d.Reasons, err)
		}
		if d.Bundle != e.Digest() || !strings.HasPrefix(d.Bundle, "sha256:") {
			t.Errorf("%s: bundle %q, digest %q", name, d.Bundle, e.Digest())
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			t.Fatal(err)
		}
		var a, b any
		if json.Unmarshal(d.Input, &a) != nil || json.Unmarshal(compact.Bytes(), &b) != nil || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: the recorded input is not the input", name)
		}
	}
}

// TestDecideEachCode: one change to the good input, the exact codes expected.
func TestDecideEachCode(t *testing.T) {
	t.Parallel()
	type change struct {
		path  string
		value any // nil deletes
	}
	use := func(table, column, ctx, fn string) change {
		u := map[string]any{"table": table, "column": column, "context": ctx}
		if fn != "" {
			u["function"] = fn
		}
		return change{"query.uses.+", u}
	}
	cases := map[string]struct {
		changes []change
		want    []string
	}{
		"input_invalid":           {[]change{{"grant.valid_until", nil}}, []string{"input_invalid"}},
		"grant_inactive":          {[]change{{"grant.state", "revoked"}}, []string{"grant_inactive"}},
		"grant_expired":           {[]change{{"now", "2027-01-01T00:00:00Z"}}, []string{"grant_expired"}},
		"not_grantee":             {[]change{{"principal.id", "mallory"}}, []string{"not_grantee"}},
		"job_kind_not_granted":    {[]change{{"grant.job_kinds", []any{"plugin"}}}, []string{"job_kind_not_granted"}},
		"job_kind_unsupported":    {[]change{{"job.kind", "shell"}, {"grant.job_kinds", []any{"shell"}}}, []string{"job_kind_unsupported"}},
		"budget_exhausted":        {[]change{{"grant.jobs_used", 100}}, []string{"budget_exhausted"}},
		"table_not_granted":       {[]change{{"query.tables.+", "salaries"}}, []string{"table_not_granted"}},
		"column_not_granted":      {[]change{use("citizens", "ssn", "group_key", "")}, []string{"column_not_granted"}},
		"feature_not_allowed":     {[]change{{"query.features.+", "cte"}}, []string{"feature_not_allowed"}},
		"raw_output":              {[]change{{"query.outputs.+", map[string]any{"name": "x", "kind": "projected_raw"}}}, []string{"raw_output"}},
		"raw_output column":       {[]change{use("citizens", "income", "projected_raw", "")}, []string{"raw_output"}},
		"output_not_allowed":      {[]change{{"query.outputs.+", map[string]any{"name": "x", "kind": "row"}}}, []string{"output_not_allowed"}},
		"use_not_allowed":         {[]change{use("citizens", "district", "lambda", "")}, []string{"use_not_allowed"}},
		"group_key_not_dimension": {[]change{use("citizens", "income", "group_key", "")}, []string{"group_key_not_dimension"}},
		"filter_not_dimension":    {[]change{use("citizens", "income", "filter", "")}, []string{"filter_not_dimension"}},
		"order_key_not_dimension": {[]change{use("citizens", "income", "order_key", "")}, []string{"order_key_not_dimension"}},
		"having_not_aggregate":    {[]change{use("citizens", "district", "having", "")}, []string{"having_not_aggregate"}},
		"identifier_not_allowed":  {[]change{{"grant.tables.citizens.columns.program.class", "unknown"}, use("citizens", "program", "group_key", "")}, []string{"identifier_not_allowed"}},
		"aggregate_not_allowed":   {[]change{use("citizens", "income", "aggregate_arg", "max")}, []string{"aggregate_not_allowed"}},
		"aggregate_on_join_key":   {[]change{use("benefits", "person_id", "aggregate_arg", "avg")}, []string{"aggregate_on_join_key", "identifier_not_allowed"}},
		"scalar_not_allowed":      {[]change{use("citizens", "district", "scalar_arg", "md5")}, []string{"scalar_not_allowed"}},
		"scalar_on_non_dimension": {[]change{use("citizens", "income", "scalar_arg", "round")}, []string{"scalar_on_non_dimension"}},
		"function_not_allowed":    {[]change{{"query.functions.+", map[string]any{"name": "lead", "kind": "window"}}}, []string{"function_not_allowed"}},
		"join_not_inner":          {[]change{{"query.joins.0.type", "left"}}, []string{"join_not_inner"}},
		"join_key_not_join_only":  {[]change{use("citizens", "district", "join_key", "")}, []string{"join_key_not_join_only"}},
	}
	e := defaultEngine(t)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := readInput(t, "good")
			for _, c := range tc.changes {
				set(t, in, c.path, c.value)
			}
			d, err := e.Decide(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow || !slices.Equal(codes(d), sorted(tc.want...)) {
				t.Fatalf("allow=%v codes=%v, want %v; reasons %v", d.Allow, codes(d), tc.want, d.Reasons)
			}
			for _, r := range d.Reasons {
				if r.Message == "" {
					t.Errorf("reason %s has no message", r.Code)
				}
			}
		})
	}
}

// TestDecideGivesEveryReason: a row-extraction attempt gets all its reasons, not the first.
func TestDecideGivesEveryReason(t *testing.T) {
	t.Parallel()
	d, err := defaultEngine(t).Decide(context.Background(), readInput(t, "row_extraction"))
	if err != nil {
		t.Fatal(err)
	}
	want := sorted("grant_inactive", "grant_expired", "not_grantee", "job_kind_not_granted", "budget_exhausted",
		"table_not_granted", "column_not_granted", "feature_not_allowed", "raw_output", "filter_not_dimension",
		"group_key_not_dimension", "aggregate_not_allowed", "scalar_not_allowed", "scalar_on_non_dimension",
		"function_not_allowed", "join_not_inner", "join_key_not_join_only", "identifier_not_allowed")
	if d.Allow || !slices.Equal(codes(d), want) {
		t.Fatalf("codes %v\nwant  %v", codes(d), want)
	}
	if n := len(d.Reasons); n < 21 {
		t.Errorf("only %d reasons: %v", n, d.Reasons)
	}
	if !slices.IsSortedFunc(d.Reasons, func(a, b Reason) int {
		return strings.Compare(a.Code+"\x00"+a.Message, b.Code+"\x00"+b.Message)
	}) {
		t.Error("reasons are not sorted")
	}
}

// TestGolden compares decisions on testdata/input/*.json with testdata/decision/*.json
// (go test ./policy -run Golden -update rewrites them).
func TestGolden(t *testing.T) {
	t.Parallel()
	e := defaultEngine(t)
	inputs, err := filepath.Glob("testdata/input/*.json")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, p := range inputs {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			d, err := e.Decide(context.Background(), json.RawMessage(raw))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(struct {
				Allow   bool     `json:"allow"`
				Reasons []Reason `json:"reasons"`
			}{d.Allow, d.Reasons}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "decision", name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("decision differs from %s (run with -update if intended):\n%s", golden, got)
			}
		})
	}
}

func writeModules(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestExtraDirAddsDenial(t *testing.T) {
	t.Parallel()
	dir := writeModules(t, map[string]string{
		"embargo.rego": `package inviso.extra.embargo

deny contains {"code": "table_embargoed", "message": sprintf("table %s is under embargo until the census is published", [t])} if {
	some t in input.query.tables
	t in data.inviso.extra.embargo.tables
}

tables := {"benefits"}
`,
		// A test file in the directory is not loaded into the engine.
		"embargo_test.rego": `package inviso.extra.embargo_test

test_nothing if true
`,
	})
	ctx := context.Background()
	e, err := New(ctx, WithExtraDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if e.Digest() == defaultEngine(t).Digest() {
		t.Error("the digest does not cover the extra module")
	}
	if !slices.Contains(e.Files(), "extra/embargo.rego") || slices.Contains(e.Files(), "extra/embargo_test.rego") {
		t.Errorf("files %v", e.Files())
	}
	in := readInput(t, "good")
	d, err := e.Decide(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []Reason{{"table_embargoed", "table benefits is under embargo until the census is published"}}
	if d.Allow || !slices.Equal(d.Reasons, want) {
		t.Fatalf("allow=%v reasons=%v", d.Allow, d.Reasons)
	}
	// Default reasons and extra reasons come together.
	set(t, in, "grant.state", "revoked")
	d, err = e.Decide(ctx, in)
	if err != nil || !slices.Equal(codes(d), []string{"grant_inactive", "table_embargoed"}) {
		t.Fatalf("codes %v, err %v", codes(d), err)
	}
	// Without the embargoed table, the extra module has nothing to say.
	if d, _ := e.Decide(ctx, readInput(t, "sample")); slices.Contains(codes(d), "table_embargoed") {
		t.Errorf("embargo fired on %v", d.Reasons)
	}
}

// TestExtraCannotForceAllow: operator modules that try to allow a denied job load (and change
// nothing) or fail to load; none turns a denial into an allow.
func TestExtraCannotForceAllow(t *testing.T) {
	t.Parallel()
	loads := map[string]string{
		"allow rule": `package inviso.extra.evil
allow := true
default deny_all := false
`,
		"empty deny set": `package inviso.extra.evil
deny contains x if { x := 1; false }
`,
		"reads the default and adds nothing": `package inviso.extra.evil
import data.inviso.jobs
ok if { count(jobs.deny) > 0 } # no effect
`,
		"shadowing helpers in its own package": `package inviso.extra.evil
usage(t, c) := "dimension"
granted_table(t) := true
config := {"aggregates": {"allowed": ["max"]}}
`,
		"allow under extra": `package inviso.extra.allow
allow := true
decision := {"allow": true, "deny": []}
`,
		"with override inside its own rule": `package inviso.extra.evil
import data.inviso.jobs
quiet := x if { x := jobs.deny with input as {} }
`,
	}
	refused := map[string]string{
		"default package allow": `package inviso.jobs
allow := true
`,
		"default package default deny": `package inviso.jobs
default deny := set()
`,
		"widen an allow-list in the default package": `package inviso.jobs
known_contexts contains "projected_raw_ok"
`,
		"ref head into the default package": `package inviso
jobs.allow := true
`,
		"ref head into the config": `package inviso
config.aggregates.allowed := ["max"]
`,
		"config package": `package inviso.config
aggregates := {"allowed": ["max"]}
`,
		"root package": `package system
main := {"allow": true}
`,
		"nested extra package": `package inviso.extra.a.b
deny contains {"code": "x", "message": "y"} if true
`,
		"extra namespace itself": `package inviso.extra
evil.deny contains {"code": "x", "message": "y"} if false
`,
		"deny as a complete rule": `package inviso.extra.evil
deny := set()
`,
		"deny as a default": `package inviso.extra.evil
default deny := []
`,
		"deny as a function": `package inviso.extra.evil
deny(x) := set()
`,
		"deny as an object": `package inviso.extra.evil
deny[x] := y if { x := "a"; y := 1 }
`,
		"deny ref head": `package inviso.extra.evil
deny.code := "x"
`,
	}
	ctx := context.Background()
	bad := readInput(t, "sample") // denied by default: raw output, ungranted table
	for name, src := range loads {
		t.Run("loads/"+name, func(t *testing.T) {
			t.Parallel()
			e, err := New(ctx, WithExtraDir(writeModules(t, map[string]string{"evil.rego": src})))
			if err != nil {
				t.Fatal(err)
			}
			d, err := e.Decide(ctx, bad)
			if err != nil || d.Allow || !slices.Equal(codes(d), []string{"raw_output", "table_not_granted"}) {
				t.Fatalf("allow=%v codes=%v err=%v", d.Allow, codes(d), err)
			}
		})
	}
	for name, src := range refused {
		t.Run("refused/"+name, func(t *testing.T) {
			t.Parallel()
			_, err := New(ctx, WithExtraDir(writeModules(t, map[string]string{"evil.rego": src})))
			if !errors.Is(err, ErrLoad) || !strings.Contains(err.Error(), "evil.rego") {
				t.Fatalf("err = %v, want ErrLoad naming the file", err)
			}
		})
	}
}

func TestBrokenExtraDir(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		files map[string]string
		want  string // in the error
	}{
		"parse error":        {map[string]string{"a.rego": "package inviso.extra.a\ndeny contains if {"}, "a.rego"},
		"rego v0 syntax":     {map[string]string{"a.rego": "package inviso.extra.a\ndeny[msg] { msg := 1 }"}, "a.rego"},
		"unsafe variable":    {map[string]string{"a.rego": "package inviso.extra.a\ndeny contains x if { y == 1 }"}, "a.rego"},
		"unknown function":   {map[string]string{"a.rego": "package inviso.extra.a\ndeny contains x if { x := nope(1) }"}, "nope"},
		"network":            {map[string]string{"a.rego": "package inviso.extra.a\ndeny contains x if { x := http.send({\"method\": \"get\", \"url\": \"http://example.com\"}) }"}, "http.send"},
		"clock":              {map[string]string{"a.rego": "package inviso.extra.a\ndeny contains {\"code\": \"late\", \"message\": \"late\"} if { time.now_ns() > 0 }"}, "time.now_ns"},
		"randomness":         {map[string]string{"a.rego": "package inviso.extra.a\ndeny contains {\"code\": \"r\", \"message\": \"r\"} if { rand.intn(\"x\", 2) == 0 }"}, "rand.intn"},
		"recursion":          {map[string]string{"a.rego": "package inviso.extra.a\ndeny contains x if { some x in data.inviso.extra[_].deny }"}, "recursi"},
		"one bad among good": {map[string]string{"a.rego": "package inviso.extra.a\ndeny contains {\"code\": \"a\", \"message\": \"a\"} if false", "b.rego": "package inviso.jobs\nallow := true"}, "b.rego"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := New(context.Background(), WithExtraDir(writeModules(t, tc.files)))
			if !errors.Is(err, ErrLoad) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrLoad mentioning %q", err, tc.want)
			}
		})
	}
	t.Run("missing directory", func(t *testing.T) {
		t.Parallel()
		_, err := New(context.Background(), WithExtraDir(filepath.Join(t.TempDir(), "nope")))
		if !errors.Is(err, ErrLoad) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		t.Parallel()
		if _, err := New(context.Background(), WithExtraDir("")); err == nil {
			t.Error("empty directory accepted")
		}
		if _, err := New(context.Background(), WithTimeout(0)); err == nil {
			t.Error("zero timeout accepted")
		}
	})
}

// TestDeadlineStopsEvaluation: an evaluation still running at the deadline is stopped there (it
// would otherwise run for hours) and the job is denied.
func TestDeadlineStopsEvaluation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, err := New(ctx, WithTimeout(100*time.Millisecond), WithExtraDir(writeModules(t, map[string]string{
		"slow.rego": `package inviso.extra.slow

deny contains {"code": "never", "message": "never"} if {
	some i in numbers.range(1, 100000)
	some j in numbers.range(1, 100000)
	i * j < 0
}
`,
	})))
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Decide(ctx, readInput(t, "good"))
	if !errors.Is(err, ErrEvaluation) || d.Allow || !slices.Equal(codes(d), []string{CodePolicyError}) {
		t.Fatalf("allow=%v codes=%v err=%v, want a policy_error denial", d.Allow, codes(d), err)
	}
}

// TestEvaluationErrorDenies: whatever goes wrong at decision time, the job is denied.
func TestEvaluationErrorDenies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	failing, err := New(ctx, WithExtraDir(writeModules(t, map[string]string{
		"fail.rego": `package inviso.extra.fail

# A built-in error (division by zero) on inputs that ask for it.
deny contains {"code": "never", "message": "never"} if {
	input.job.fail
	1 / 0 > 0
}

# Two values for one complete rule: a conflict at evaluation time.
mode := "a" if input.job.conflict
mode := "b" if input.job.conflict

deny contains {"code": "mode", "message": mode} if mode == "c"

# A reason that is not {"code", "message"}.
deny contains "just a string" if input.job.malformed

deny contains {"code": "Bad Code!", "message": "x"} if input.job.badcode
`,
	})))
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	slow, err := New(ctx, WithTimeout(time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	good := func(path string, v any) map[string]any {
		in := readInput(t, "good")
		if path != "" {
			set(t, in, path, v)
		}
		return in
	}
	cases := map[string]struct {
		e     *Engine
		ctx   context.Context
		input any
		more  []string // codes given next to policy_error
	}{
		"builtin error":        {failing, ctx, good("job.fail", true), nil},
		"conflict":             {failing, ctx, good("job.conflict", true), nil},
		"malformed reason":     {failing, ctx, good("job.malformed", true), nil},
		"bad code":             {failing, ctx, good("job.badcode", true), nil},
		"impossible date":      {defaultEngine(t), ctx, good("now", "2026-13-45T09:00:00Z"), nil},
		"input not an object":  {defaultEngine(t), ctx, []any{1, 2}, nil},
		"input not JSON":       {defaultEngine(t), ctx, json.RawMessage(`{"now": `), nil},
		"input not encodable":  {defaultEngine(t), ctx, map[string]any{"c": make(chan int)}, nil},
		"input null":           {defaultEngine(t), ctx, nil, nil},
		"cancelled context":    {defaultEngine(t), cancelled, good("", nil), nil},
		"timeout":              {slow, ctx, good("", nil), nil},
		"malformed and denied": {failing, ctx, func() any { in := good("job.malformed", true); set(t, in, "grant.state", "revoked"); return in }(), []string{"grant_inactive"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, err := tc.e.Decide(tc.ctx, tc.input)
			if !errors.Is(err, ErrEvaluation) {
				t.Errorf("err = %v, want ErrEvaluation", err)
			}
			want := sorted(append([]string{CodePolicyError}, tc.more...)...)
			if d.Allow || !slices.Equal(codes(d), want) {
				t.Fatalf("allow=%v codes=%v, want %v", d.Allow, codes(d), want)
			}
			if d.Bundle == "" {
				t.Error("no bundle digest on a failed decision")
			}
			for _, r := range d.Reasons {
				if r.Code == CodePolicyError && (strings.Contains(r.Message, "division") || strings.Contains(r.Message, "eval")) {
					t.Errorf("internal detail in the reason: %q", r.Message)
				}
			}
		})
	}
	// The failing module is otherwise harmless: the good input passes.
	if d, err := failing.Decide(ctx, good("", nil)); err != nil || !d.Allow {
		t.Fatalf("good input through the failing module: %v %v", d, err)
	}
}

// TestDecideConcurrently: many goroutines on one engine give the sequential answers (run with -race).
func TestDecideConcurrently(t *testing.T) {
	t.Parallel()
	e := defaultEngine(t)
	ctx := context.Background()
	var inputs [][]byte
	var want []Decision
	for _, name := range []string{"good", "sample", "row_extraction"} {
		b, err := os.ReadFile(filepath.Join("testdata", "input", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := e.Decide(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		inputs, want = append(inputs, b), append(want, d)
	}
	const workers, rounds = 32, 30
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				i := (w + r) % len(inputs)
				d, err := e.Decide(ctx, inputs[i])
				if err != nil {
					errs <- err
					return
				}
				if d.Allow != want[i].Allow || !slices.Equal(d.Reasons, want[i].Reasons) {
					errs <- fmt.Errorf("worker %d round %d: decision differs", w, r)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestNewIsDeterministic: the same modules give the same digest.
func TestNewIsDeterministic(t *testing.T) {
	t.Parallel()
	a, err := New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest() != defaultEngine(t).Digest() {
		t.Error("digest differs between two loads of the same bundle")
	}
	if len(a.Files()) < 3 || slices.ContainsFunc(a.Files(), isTest) {
		t.Errorf("files %v", a.Files())
	}
}

func BenchmarkDecide(b *testing.B) {
	e := defaultEngine(b)
	ctx := context.Background()
	for _, name := range []string{"sample", "good"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "input", name+".json"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if _, err := e.Decide(ctx, json.RawMessage(raw)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
	b.Run("sample-struct", func(b *testing.B) {
		in := readInput(b, "sample")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.Decide(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sample-parallel", func(b *testing.B) {
		raw, _ := os.ReadFile("testdata/input/sample.json")
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.Decide(ctx, json.RawMessage(raw)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// TestZeroEngineDenies: an Engine not made by New decides nothing but denials.
func TestZeroEngineDenies(t *testing.T) {
	t.Parallel()
	var e Engine
	d, err := e.Decide(context.Background(), readInput(t, "good"))
	if !errors.Is(err, ErrEvaluation) || d.Allow || !slices.Equal(codes(d), []string{CodePolicyError}) {
		t.Fatalf("allow=%v codes=%v err=%v", d.Allow, codes(d), err)
	}
}
