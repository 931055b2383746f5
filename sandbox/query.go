package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/sqlgate"
)

// Decision is a policy decision about one job.
type Decision struct {
	Allow   bool
	Reasons []fault.Reason
	Input   json.RawMessage // exactly what the policy evaluated
	Bundle  string          // digest of the policy modules
}

// Decider decides jobs. An error is a denial (fail closed).
type Decider interface {
	Decide(ctx context.Context, input any) (Decision, error)
}

// QueryResult is a released result: Arrow record batches with the hidden units column removed
// and suppressed groups gone. The caller releases the batches.
type QueryResult struct {
	Job        string
	CheckOnly  bool
	Decision   Decision
	Schema     *arrow.Schema
	Batches    []arrow.RecordBatch
	Rows       int64
	Suppressed int64
	// DP is set when the grant releases with differential privacy: how to read the noise.
	DP *catalog.DPInfo
}

// Release frees the result's batches.
func (r *QueryResult) Release() {
	for _, b := range r.Batches {
		b.Release()
	}
	r.Batches = nil
}

// policyInput is what the policy sees of a SQL job.
type policyInput struct {
	Now       string            `json:"now"`
	Principal catalog.Principal `json:"principal"`
	Job       map[string]string `json:"job"`
	Grant     grantInput        `json:"grant"`
	Query     *sqlgate.Analysis `json:"query"`
}

type grantInput struct {
	ID         string         `json:"id"`
	State      string         `json:"state"`
	Developer  string         `json:"developer"`
	ValidUntil string         `json:"valid_until"`
	K          int            `json:"k"`
	JobBudget  int            `json:"job_budget"`
	JobsUsed   int            `json:"jobs_used"`
	JobKinds   []string       `json:"job_kinds"`
	DP         *catalog.DP    `json:"dp,omitempty"`
	Plugins    []string       `json:"plugins,omitempty"`
	HECircuits []string       `json:"he_circuits,omitempty"`
	Tables     sqlgate.Schema `json:"tables"`
}

// schemaOfGrant is the workspace schema as the gate and the policy see it.
func schemaOfGrant(g catalog.Grant) sqlgate.Schema {
	s := sqlgate.Schema{}
	for _, t := range g.Workspace.Tables {
		cols := map[string]sqlgate.Column{}
		for _, c := range t.Columns {
			cols[strings.ToLower(c.Name)] = sqlgate.Column{Type: c.Type, Class: string(c.Class), Usage: string(c.Usage), Unit: c.Unit, Lo: c.Lo, Hi: c.Hi, InBounds: c.InBounds}
		}
		s[strings.ToLower(t.Name)] = sqlgate.Table{Columns: cols, MaxRowsPerUnit: t.MaxRowsPerUnit, Rows: t.Rows}
	}
	return s
}

// Query runs a SQL job under a grant: parse and analyse with DuckDB's parser, decide with the
// policy, then (unless checkOnly) reserve one job of the budget, rewrite for the k threshold,
// run the regenerated SQL on the grant's locked workspace, suppress groups under k, write the
// job to the log, and only then release. Every outcome (refusal, check, release, failure) is
// in the job log before the caller hears of it.
func (sb *Sandbox) Query(ctx context.Context, actor catalog.Principal, grantID, text string, checkOnly bool) (*QueryResult, error) {
	return sb.runJob(ctx, actor, grantID, text, checkOnly, jobSpec{Kind: "sql"})
}

// jobSpec is what makes a job more than its query: homomorphic and plugin jobs are released
// through a gated query too, then finish the query's result into what they release.
type jobSpec struct {
	Kind string
	// Params are the job's own parameters: shown to the policy (input.job) and recorded.
	Params map[string]string
	// Finish, if set, turns the gated query's result into what the job releases. It runs
	// before the job is recorded; an error fails the job (nothing is released). It owns res.
	Finish func(ctx context.Context, job *catalog.Job, g catalog.Grant, path string, res *QueryResult) (*QueryResult, error)
	// Stage, if set, makes the tables the query reads before it is even parsed (a plugin's
	// output); an error fails the job, which counts as run. The stage is removed afterwards.
	Stage func(ctx context.Context, job *catalog.Job, g catalog.Grant) (*stage, error)
}

// stage is a job's own database: the tables its query reads instead of the grant's workspace.
type stage struct {
	schema  sqlgate.Schema
	path    string
	digest  string // names the database for the engine's instance cache
	cleanup func()
}

// runJob runs one job of any kind: parse, analyse and decide its query, plan it (k threshold
// or DP), reserve the budget, run it, finish it, record it, release it.
func (sb *Sandbox) runJob(ctx context.Context, actor catalog.Principal, grantID, text string, checkOnly bool, spec jobSpec) (*QueryResult, error) {
	if sb.decider == nil || sb.parser == nil || sb.engine == nil {
		return nil, fault.E(fault.Unavailable, "SQL jobs are not enabled on this server")
	}
	timings := map[string]int64{}
	mark := func(name string, since time.Time) { timings[name] = time.Since(since).Microseconds() }
	g, file, err := sb.jobGrant(ctx, grantID)
	if err != nil {
		return nil, err
	}
	if g.Developer != actor.ID {
		return nil, fault.E(fault.NotFound, "no grant %q", grantID)
	}
	g.JobsUsed = sb.ledger.of(g.ID).Jobs
	job := catalog.Job{ID: catalog.NewJobID(), Grant: g.ID, Principal: actor.ID, Kind: spec.Kind, Params: spec.Params, SQL: text, SQLDigest: audit.Digest([]byte(text)),
		Workspace: g.Workspace.Digest, Versions: g.Workspace.Sources, Engine: sb.engineVersion, Timings: timings, CreatedAt: sb.opt.Clock(),
		Recipe: &catalog.Recipe{Pins: g.Pins, Rules: g.RuleVersions, Consents: g.ConsentSets}}
	refuse := func(err error) (*QueryResult, error) {
		job.State = catalog.JobRefused
		pub := fault.Public(err)
		job.Error = pub.Message
		for _, r := range pub.Reasons {
			job.Reasons = append(job.Reasons, catalog.Reason(r))
		}
		if lerr := sb.recordJob(ctx, job); lerr != nil {
			if job.Ran {
				sb.ledger.giveBack(g.ID, 0, false)
			}
			return nil, lerr
		}
		return nil, withJob(err, job.ID)
	}

	schema := schemaOfGrant(g)
	path := sb.workspacePath(file)
	staged := spec.Stage != nil
	if staged {
		// The stage runs the developer's code over the data before the policy can see the
		// release query: only for an active grant with a job left, and the job counts from
		// here on, whatever the policy then decides (a refusal after a stage is not free).
		if g.State != catalog.GrantActive {
			return refuse(fault.E(fault.PolicyDenied, "grant %s is %s, not active", g.ID, g.State).
				With(fault.Reason{Code: "grant_inactive", Message: fmt.Sprintf("grant %s is %s, not active", g.ID, g.State)}))
		}
		if err := sb.ledger.reserve(g, 0); err != nil {
			return refuse(err)
		}
		job.Ran = true
		t := time.Now()
		st, err := spec.Stage(ctx, &job, g)
		mark("stage", t)
		if err != nil {
			return sb.failStaged(ctx, job, g, err)
		}
		defer st.cleanup()
		schema, path, g.Workspace.Digest = st.schema, st.path, st.digest
	}
	t0 := time.Now()
	tree, err := sb.parser.ParseFor(ctx, actor.ID, text)
	if err != nil {
		return refuse(err)
	}
	mark("parse", t0)
	t1 := time.Now()
	analysis, err := sb.parser.Analyse(tree, schema)
	if err != nil {
		return refuse(err)
	}
	mark("analyse", t1)

	t2 := time.Now()
	in := policyInput{
		Now: sb.opt.Clock().UTC().Format(time.RFC3339Nano), Principal: actor, Job: jobInput(spec),
		Grant: grantInput{ID: g.ID, State: string(g.State), Developer: g.Developer, ValidUntil: g.ValidUntil.UTC().Format(time.RFC3339Nano),
			K: g.K, JobBudget: g.JobBudget, JobsUsed: g.JobsUsed, JobKinds: g.JobKinds, DP: g.DP, Plugins: g.Plugins, HECircuits: g.HECircuits, Tables: schema},
		Query: analysis,
	}
	dec, err := sb.decider.Decide(ctx, in)
	if err != nil { // fail closed: an evaluation problem is a denial
		sb.log.Error("policy evaluation failed; job denied", "job", job.ID, "error", fault.Redact(err))
		dec = Decision{Reasons: []fault.Reason{{Code: "policy_error", Message: "the policy could not be evaluated; the job is refused"}}}
	}
	mark("policy", t2)
	job.Tables = analysis.Tables
	for _, t := range g.Workspace.Tables {
		if slices.ContainsFunc(analysis.Tables, func(n string) bool { return strings.EqualFold(n, t.Name) }) {
			job.Scanned += t.Rows
		}
	}
	job.Allow, job.PolicyInput, job.PolicyBundle = dec.Allow, dec.Input, dec.Bundle
	if len(dec.Input) > 0 {
		job.PolicyDigest = audit.Digest(dec.Input)
	}
	for _, r := range dec.Reasons {
		job.Reasons = append(job.Reasons, catalog.Reason(r))
	}
	if !dec.Allow {
		return refuse(fault.E(fault.PolicyDenied, "the policy refused the query (%d reason(s))", len(dec.Reasons)).With(dec.Reasons...))
	}
	// With DP the query must also have a bounded sensitivity and fit in the budget left.
	var dpPlan *sqlgate.DPPlan
	var mech dpMechanism
	if g.DP != nil {
		t3 := time.Now()
		if dpPlan, mech, err = sb.planDP(ctx, &job, g, tree, analysis, schema); err != nil {
			return refuse(err)
		}
		mark("rewrite", t3)
		if checkOnly {
			if err := sb.ledger.check(g, mech.total()); err != nil {
				return refuse(err)
			}
		}
	}
	if checkOnly {
		job.State = catalog.JobChecked
		if err := sb.recordJob(ctx, job); err != nil {
			return nil, err
		}
		return &QueryResult{Job: job.ID, CheckOnly: true, Decision: dec}, nil
	}

	var rw *sqlgate.Rewritten
	if dpPlan == nil {
		t3 := time.Now()
		if rw, err = sb.parser.Rewrite(tree, analysis, schema); err != nil {
			return refuse(err)
		}
		if job.Rewritten, err = sb.parser.DeparseFor(ctx, actor.ID, rw.Tree()); err != nil {
			return refuse(err)
		}
		mark("rewrite", t3)
	}
	// The spend is reserved before the job runs, so concurrent jobs never overspend; it is
	// given back when the job releases nothing (a failed job still used its turn).
	eps := mech.total()
	if staged {
		err = sb.ledger.reserveEpsilon(g, eps) // the job itself was counted before its stage
	} else {
		err = sb.ledger.reserve(g, eps)
	}
	if err != nil {
		return refuse(err)
	}
	var res *QueryResult
	if dpPlan != nil {
		res, err = sb.executeDP(ctx, &job, g, path, dpPlan, mech)
	} else {
		res, err = sb.execute(ctx, &job, g, path, analysis, rw)
	}
	if err == nil && spec.Finish != nil {
		t := time.Now()
		res, err = spec.Finish(ctx, &job, g, path, res)
		mark("finish", t)
	}
	if err != nil {
		// Once the noise is drawn the epsilon is spent, even if nothing is released: a failure
		// that depends on the noisy result must not buy a fresh draw.
		refund := eps
		if job.DP != nil {
			refund = 0
		}
		sb.ledger.giveBack(g.ID, refund, true)
		job.State = catalog.JobFailed
		job.Error = fault.Public(err).Message
		sb.log.Warn("query failed", "job", job.ID, "grant", g.ID, "error", fault.Redact(err))
		if lerr := sb.recordJob(ctx, job); lerr != nil {
			sb.ledger.giveBack(g.ID, eps-refund, false) // no record: nothing was spent
			return nil, lerr
		}
		return nil, withJob(err, job.ID)
	}
	if res.DP != nil {
		u := sb.ledger.of(g.ID)
		total := g.DP.TotalMicro()
		res.DP.Budget = catalog.BudgetInfo{Total: g.DP.Epsilon, Spent: float64(u.EpsilonMicro) / 1e6, Remaining: float64(total-u.EpsilonMicro) / 1e6}
	}
	res.Decision = dec
	// The record of the release is durable before anything is handed out (fail closed).
	t5 := time.Now()
	if err := sb.recordJob(ctx, job); err != nil {
		sb.ledger.giveBack(g.ID, eps, false)
		res.Release()
		return nil, err
	}
	mark("log", t5)
	sb.log.Info("query released", "job", job.ID, "grant", g.ID, "rows", res.Rows, "suppressed_groups", res.Suppressed, "timings_us", timings)
	return res, nil
}

// execute runs a checked, rewritten query on the grant's workspace and applies the release
// rules; it fills in the job's execution facts.
func (sb *Sandbox) execute(ctx context.Context, job *catalog.Job, g catalog.Grant, path string, analysis *sqlgate.Analysis, rw *sqlgate.Rewritten) (*QueryResult, error) {
	t4 := time.Now()
	var counts []int
	for i, o := range analysis.Outputs {
		if o.Kind == "aggregate" && (o.Function == "count" || o.Function == "count_star") {
			counts = append(counts, i)
		}
	}
	newReleaser := func(k int64) *releaser {
		return &releaser{k: k, limit: rw.Limit, offset: rw.Offset, roundTo: int64(g.RoundTo), counts: counts}
	}
	k := int64(g.K)
	if rw.RowsPerUnit > 1 {
		k *= rw.RowsPerUnit // rows/RowsPerUnit ≥ K people for sure
	}
	rel := newReleaser(k)
	err := sb.engine.Query(ctx, path, g.Workspace.Digest, job.Rewritten, rel.setSchema, rel.add)
	if err == nil && rw.RowsPerUnit > 1 && rel.suppressed > 0 {
		// A group fell short of the bound: it may still hold K people. Run the exact query.
		rel.release()
		exact, derr := sb.parser.DeparseFor(ctx, job.Principal, rw.Fallback)
		if derr != nil {
			err = derr
		} else {
			job.Rewritten = exact
			rel = newReleaser(int64(g.K))
			err = sb.engine.Query(ctx, path, g.Workspace.Digest, exact, rel.setSchema, rel.add)
		}
	}
	job.Timings["execute"] = time.Since(t4).Microseconds()
	if err != nil {
		rel.release()
		return nil, err
	}
	res := &QueryResult{Job: job.ID, Schema: rel.schema, Batches: rel.out, Rows: rel.rows, Suppressed: rel.suppressed}
	digest, err := resultDigest(res)
	if err != nil {
		res.Release()
		return nil, err
	}
	job.State, job.Rows, job.Groups, job.Suppressed, job.ResultDigest = catalog.JobReleased, res.Rows, rel.rows+rel.suppressed+rel.skipped, res.Suppressed, digest
	return res, nil
}

// withJob adds the job id to a coded error's reasons so clients can cite it.
func withJob(err error, id string) error {
	var f *fault.Error
	if errors.As(err, &f) {
		c := *f
		c.Message = fmt.Sprintf("%s (job %s)", f.Message, id)
		return &c
	}
	return err
}

// releaser filters the engine's batches: groups whose distinct-unit count is under k are
// suppressed (counted, never shown), the units column is dropped, then OFFSET and LIMIT apply.
type releaser struct {
	k, limit, offset int64
	roundTo          int64 // round released counts to a multiple of this (0: no rounding)
	counts           []int // output columns that are counts
	skipped          int64
	schema           *arrow.Schema
	out              []arrow.RecordBatch
	rows, suppressed int64
}

// setSchema takes the engine's result schema and drops the hidden units column from it.
func (r *releaser) setSchema(s *arrow.Schema) error {
	n := s.NumFields() - 1
	if n < 0 || s.Field(n).Name != sqlgate.UnitsColumn {
		return errors.New("release: the units column is missing; nothing is released")
	}
	r.schema = arrow.NewSchema(s.Fields()[:n], nil)
	return nil
}

func (r *releaser) add(rec arrow.RecordBatch) error {
	n := int(rec.NumCols()) - 1
	if r.schema == nil || n < 0 || rec.Schema().Field(n).Name != sqlgate.UnitsColumn {
		return errors.New("release: the units column is missing; nothing is released")
	}
	units, ok := rec.Column(n).(*array.Int64)
	if !ok {
		return fmt.Errorf("release: units column is %s, want int64", rec.Column(n).DataType())
	}
	// Kept rows come out as zero-copy slices of the batch, one per run of consecutive rows.
	runStart := -1
	flush := func(end int) {
		if runStart < 0 {
			return
		}
		slice := rec.NewSlice(int64(runStart), int64(end))
		cols := slice.Columns()[:n]
		var rounded []arrow.Array
		if r.roundTo > 1 {
			cols = append([]arrow.Array(nil), cols...)
			for _, c := range r.counts {
				if ints, ok := cols[c].(*array.Int64); ok {
					cols[c] = roundInts(ints, r.roundTo)
					rounded = append(rounded, cols[c])
				}
			}
		}
		out := array.NewRecordBatch(r.schema, cols, int64(end-runStart))
		for _, a := range rounded {
			a.Release()
		}
		slice.Release()
		r.out = append(r.out, out)
		r.rows += int64(end - runStart)
		runStart = -1
	}
	for i := 0; i < units.Len(); i++ {
		pending := 0
		if runStart >= 0 {
			pending = i - runStart
		}
		keep := false
		switch {
		case units.IsNull(i) || units.Value(i) < r.k:
			r.suppressed++ // a group under k: counted, never shown
		case r.skipped < r.offset:
			r.skipped++
		case r.limit < 0 || r.rows+int64(pending) < r.limit:
			keep = true
		}
		if keep && runStart < 0 {
			runStart = i
		} else if !keep {
			flush(i)
		}
	}
	flush(units.Len())
	return nil
}

// roundInts rounds every value to the nearest multiple of base (halves round up).
func roundInts(a *array.Int64, base int64) arrow.Array {
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			b.AppendNull()
			continue
		}
		v := a.Value(i)
		b.Append((v + base/2) / base * base)
	}
	return b.NewArray()
}

func (r *releaser) release() {
	for _, b := range r.out {
		b.Release()
	}
	r.out = nil
}

// resultDigest is the canonical digest of a released result, what replay must reproduce: the
// SHA-256 of the schema and of the rows sorted by their encoding. Each value is encoded by its
// exact text form (floats in the shortest form that round-trips, so bit for bit), so the digest
// depends on the values released, not on batch boundaries or the order parallel execution
// happened to produce.
func resultDigest(r *QueryResult) (string, error) {
	h := sha256.New()
	io.WriteString(h, "inviso/result-digest/v1\n")
	if r.Schema == nil {
		return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
	}
	fmt.Fprintf(h, "%d\n", r.Schema.NumFields())
	for _, f := range r.Schema.Fields() {
		fmt.Fprintf(h, "%q %s\n", f.Name, f.Type)
	}
	var rows []string
	var b strings.Builder
	for _, rec := range r.Batches {
		for i := 0; i < int(rec.NumRows()); i++ {
			b.Reset()
			for _, col := range rec.Columns() {
				if col.IsNull(i) {
					b.WriteString("N;")
					continue
				}
				v := col.ValueStr(i)
				fmt.Fprintf(&b, "%d:%s;", len(v), v)
			}
			rows = append(rows, b.String())
		}
	}
	slices.Sort(rows)
	fmt.Fprintf(h, "%d\n", len(rows))
	for _, row := range rows {
		io.WriteString(h, row)
		io.WriteString(h, "\n")
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// jobInput is the policy's view of the job: its kind and its own parameters.
func jobInput(spec jobSpec) map[string]string {
	in := map[string]string{"kind": spec.Kind}
	for k, v := range spec.Params {
		if k != "kind" {
			in[k] = v
		}
	}
	return in
}

// failStaged records a job whose stage failed (a plugin that crashed, broke a limit or sent
// bad output): it ran, so it counts against the job budget (reserved before the stage), and
// it released nothing.
func (sb *Sandbox) failStaged(ctx context.Context, job catalog.Job, g catalog.Grant, err error) (*QueryResult, error) {
	job.State = catalog.JobFailed
	if fault.CodeOf(err) == fault.PolicyDenied {
		// Refused before anything ran (a kind or a binary the grant does not allow): a
		// refusal, which spends nothing.
		sb.ledger.giveBack(g.ID, 0, false)
		job.State, job.Ran = catalog.JobRefused, false
	}
	pub := fault.Public(err)
	job.Error = pub.Message
	for _, r := range pub.Reasons {
		job.Reasons = append(job.Reasons, catalog.Reason(r))
	}
	sb.log.Warn("job failed before its query", "job", job.ID, "grant", g.ID, "kind", job.Kind, "error", fault.Redact(err))
	if lerr := sb.recordJob(ctx, job); lerr != nil {
		if job.Ran {
			sb.ledger.giveBack(g.ID, 0, false) // reserved before the stage; no record, not counted
		}
		return nil, lerr
	}
	return nil, withJob(err, job.ID)
}
