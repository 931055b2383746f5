package policy

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Category errors, for errors.Is.
var (
	// ErrLoad: the policy modules could not be loaded (parse, namespace or compile error). A
	// server must refuse to start on it.
	ErrLoad = errors.New("policy: cannot load")
	// ErrEvaluation: a decision could not be made. The Decision returned with it denies.
	ErrEvaluation = errors.New("policy: cannot evaluate")
)

// CodePolicyError is the code of the reason given when the policy could not decide.
const CodePolicyError = "policy_error"

// DefaultTimeout bounds one evaluation. The default bundle decides in about a millisecond of CPU;
// past the timeout something is badly wrong, and the job is denied (policy_error).
const DefaultTimeout = 5 * time.Second

// query reads the default denials and every operator module's denials, and nothing else: no
// module can answer "allow".
const query = `deny := data.inviso.jobs.deny; extra := [r | r := data.inviso.extra[_].deny[_]]`

// Reason is one reason for a denial: a stable code and a message for people. Messages name
// grants, tables, columns and functions, never a data value.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Decision is the outcome of one evaluation, as the job log records it.
type Decision struct {
	// Allow is true if and only if there are no reasons.
	Allow bool `json:"allow"`
	// Reasons are every denial, sorted by code then message.
	Reasons []Reason `json:"reasons"`
	// Input is the exact input evaluated (compact JSON).
	Input json.RawMessage `json:"input"`
	// Bundle is the digest of the modules and data that decided (Engine.Digest).
	Bundle string `json:"bundle"`
}

// Engine decides jobs. It is prepared once by New and safe for concurrent use.
type Engine struct {
	pq      rego.PreparedEvalQuery
	digest  string
	files   []string
	timeout time.Duration
}

// Option configures New.
type Option func(*options) error

type options struct {
	extraDir string
	timeout  time.Duration
}

func defaultOptions() options { return options{timeout: DefaultTimeout} }

// WithExtraDir adds the operator's modules: every *.rego file directly in dir (files ending in
// _test.rego excepted). Each must declare package inviso.extra.<name> and may only add reasons to
// its own `deny` set. A directory that is missing, unreadable, or holds a module that does not
// parse, compile or keep to its namespace makes New fail.
func WithExtraDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return errors.New("policy: extra directory is empty")
		}
		o.extraDir = dir
		return nil
	}
}

// WithTimeout bounds each evaluation; past it, the decision is a denial (policy_error).
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("policy: timeout must be positive, not %v", d)
		}
		o.timeout = d
		return nil
	}
}

// New loads the default bundle and the operator's modules, compiles them together and prepares
// the query once. Any problem is an error wrapping ErrLoad, naming the file and line.
func New(ctx context.Context, opts ...Option) (*Engine, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	src, err := load(o.extraDir, false)
	if err != nil {
		return nil, err
	}
	compiler, err := src.compile()
	if err != nil {
		return nil, err
	}
	pq, err := rego.New(
		rego.Query(query),
		rego.Compiler(compiler),
		rego.Store(inmem.NewFromObjectWithOpts(src.data, inmem.OptRoundTripOnWrite(false))),
		rego.Capabilities(capabilities()),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: prepare: %v", ErrLoad, err)
	}
	return &Engine{pq: pq, digest: src.digest(), files: src.names(), timeout: o.timeout}, nil
}

// load reads the default bundle and, if dir is set, the operator's modules.
func load(extraDir string, withTests bool) (*source, error) {
	src, err := loadDefault(withTests)
	if err != nil {
		return nil, err
	}
	if extraDir != "" {
		if err := src.loadExtra(extraDir, withTests); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// Digest identifies the policy: a SHA-256 over every module and data file, with its name.
func (e *Engine) Digest() string { return e.digest }

// Files are the names of the modules in use, for the server's start-up log.
func (e *Engine) Files() []string { return slices.Clone(e.files) }

var errorReason = Reason{Code: CodePolicyError, Message: "the policy could not decide on this job; it is refused"}

// Decide evaluates the policy on input: a value that encodes to a JSON object, or the JSON
// itself ([]byte or json.RawMessage).
//
// It fails closed. When the policy cannot decide (bad input, evaluation error, timeout,
// cancelled context, malformed reason), it returns a Decision that denies with a policy_error
// reason, together with an error wrapping ErrEvaluation for the operator's log. It never returns
// Allow with an error.
func (e *Engine) Decide(ctx context.Context, input any) (d Decision, err error) {
	d.Bundle = e.digest
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: panic: %v", ErrEvaluation, r)
		}
		if err != nil {
			d.Reasons = addReason(d.Reasons, errorReason)
		}
		d.Allow = err == nil && len(d.Reasons) == 0
		if d.Reasons == nil {
			d.Reasons = []Reason{}
		}
	}()

	d.Input, err = encode(input)
	if err != nil {
		return d, fmt.Errorf("%w: input: %v", ErrEvaluation, err)
	}
	v, err := parseValue(d.Input)
	if err != nil {
		return d, fmt.Errorf("%w: input: %v", ErrEvaluation, err)
	}
	if _, ok := v.(ast.Object); !ok {
		return d, fmt.Errorf("%w: input is not a JSON object", ErrEvaluation)
	}

	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return d, fmt.Errorf("%w: %v", ErrEvaluation, err)
	}
	// Left to itself, OPA starts a goroutine per evaluation to watch ctx and wakes it at the end;
	// context.AfterFunc stops the evaluation at the deadline without one.
	halt := topdown.NewCancel()
	stopWatching := context.AfterFunc(ctx, halt.Cancel)
	defer stopWatching()
	rs, err := e.pq.Eval(ctx, rego.EvalParsedInput(v), rego.EvalExternalCancel(halt))
	if err == nil {
		err = ctx.Err() // a decision that overran its deadline is not trusted either
	}
	if err != nil {
		return d, fmt.Errorf("%w: %v", ErrEvaluation, err)
	}
	if len(rs) != 1 {
		return d, fmt.Errorf("%w: %d results, want 1", ErrEvaluation, len(rs))
	}
	var bad int
	for _, key := range []string{"deny", "extra"} {
		list, ok := rs[0].Bindings[key].([]any)
		if !ok {
			return d, fmt.Errorf("%w: %s is %T, not a set", ErrEvaluation, key, rs[0].Bindings[key])
		}
		for _, x := range list {
			r, ok := toReason(x)
			if !ok {
				bad++
				continue
			}
			d.Reasons = addReason(d.Reasons, r)
		}
	}
	if bad > 0 {
		return d, fmt.Errorf("%w: %d malformed reason(s): each must be {\"code\": snake_case, \"message\": text}", ErrEvaluation, bad)
	}
	return d, nil
}

// encode turns input into compact JSON.
func encode(input any) (json.RawMessage, error) {
	var raw []byte
	switch v := input.(type) {
	case json.RawMessage:
		raw = v
	case []byte:
		raw = v
	default:
		b, err := json.Marshal(input)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var codeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

func toReason(x any) (Reason, bool) {
	m, ok := x.(map[string]any)
	if !ok || len(m) != 2 {
		return Reason{}, false
	}
	code, ok1 := m["code"].(string)
	msg, ok2 := m["message"].(string)
	if !ok1 || !ok2 || !codeRE.MatchString(code) || msg == "" {
		return Reason{}, false
	}
	return Reason{Code: code, Message: msg}, true
}

// addReason inserts r in order, once.
func addReason(rs []Reason, r Reason) []Reason {
	i, found := slices.BinarySearchFunc(rs, r, func(a, b Reason) int {
		return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(a.Message, b.Message))
	})
	if found {
		return rs
	}
	return slices.Insert(rs, i, r)
}
