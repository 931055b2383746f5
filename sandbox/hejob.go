package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/crypto/he"
	"github.com/inviso/inviso/sandbox/blob"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

// Limits of homomorphic jobs.
const (
	MaxHEGroupBy = 4
	MaxBlobBytes = he.MaxInputBytes // the largest upload: encrypted inputs
)

// Columns of a homomorphic job's result besides its group keys.
const (
	HESizeColumn       = "n"          // the group's size, as the gated query released it
	HESlotColumn       = "slot"       // where the group's value is in the decrypted result
	HECiphertextColumn = "ciphertext" // the serialized result (he.Result), dictionary-encoded
)

var identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// heSet looks up a named parameter set, cached in the sandbox: building one costs milliseconds.
func (sb *Sandbox) heSet(name string) (he.ParamSet, error) {
	if v, ok := sb.heSets.Load(name); ok {
		return v.(he.ParamSet), nil
	}
	set, err := he.Lookup(name)
	if err != nil {
		return he.ParamSet{}, err
	}
	sb.heSets.Store(name, set)
	return set, nil
}

// PutBlob stores a developer's upload (homomorphic keys or ciphertexts) and returns its digest.
func (sb *Sandbox) PutBlob(ctx context.Context, actor catalog.Principal, r io.Reader) (string, error) {
	if !actor.Has(catalog.RoleDeveloper) {
		return "", fault.E(fault.Forbidden, "only developers upload job inputs")
	}
	d, err := sb.blobs.Put(r, MaxBlobBytes)
	if errors.Is(err, blob.ErrTooLarge) {
		return "", fault.E(fault.TooLarge, "an upload is at most %d MiB", MaxBlobBytes>>20)
	}
	if err != nil {
		return "", fault.Wrap(err, fault.Internal, "the upload could not be stored")
	}
	sb.log.Info("blob stored", "digest", d, "actor", actor.ID)
	return d, nil
}

// heRequest is a checked homomorphic job request.
type heRequest struct {
	catalog.JobRequest
	circuit he.Circuit
	set     he.ParamSet
	poly    *he.Polynomial
}

// checkHE validates a homomorphic job request against the grant's workspace: everything the
// request names must exist, before anything runs.
func (sb *Sandbox) checkHE(g catalog.Grant, req catalog.JobRequest) (heRequest, error) {
	bad := func(format string, args ...any) (heRequest, error) {
		return heRequest{}, fault.E(fault.InvalidInput, format, args...)
	}
	c, err := he.ParseCircuit(req.Circuit)
	if err != nil {
		return bad("circuit %q: want linear_score, row_score or exact_count", clipText(req.Circuit))
	}
	set, err := sb.heSet(req.Params)
	if err != nil {
		return bad("parameter set %q is not allowed: use one of %s", clipText(req.Params), strings.Join(he.SetNames(), ", "))
	}
	if !set.Supports(c) {
		return bad("parameter set %s does not run %s", req.Params, req.Circuit)
	}
	if g.DP != nil && c != he.CircuitLinearScore {
		// row_score and exact_count compute from rows inside the sandbox: nothing noises them.
		return heRequest{}, fault.E(fault.PolicyDenied, "with differential privacy only linear_score can run: it scores the noisy group sums").
			With(fault.Reason{Code: "he_circuit_not_dp", Message: "on a differentially private grant only linear_score, which scores the noisy group sums, can run"})
	}
	out := heRequest{JobRequest: req, circuit: c, set: set}
	if len(req.GroupBy) == 0 || len(req.GroupBy) > MaxHEGroupBy {
		return bad("group_by names 1 to %d columns", MaxHEGroupBy)
	}
	cols := slices.Clone(req.GroupBy)
	switch c {
	case he.CircuitExactCount:
		if len(req.Features) > 0 {
			return bad("exact_count takes a code_column and codes, not features")
		}
		if len(req.Codes) < he.MinCodeSpace || len(req.Codes) > he.MaxCodeSpace {
			return bad("codes lists %d to %d values (the code space)", he.MinCodeSpace, he.MaxCodeSpace)
		}
		seen := map[string]bool{}
		for _, v := range req.Codes {
			if seen[v] || len(v) > 200 {
				return bad("codes must be distinct values of at most 200 bytes")
			}
			seen[v] = true
		}
		cols = append(cols, req.CodeColumn)
	default:
		if len(req.Features) == 0 || len(req.Features) > he.MaxFeatures {
			return bad("features names 1 to %d columns", he.MaxFeatures)
		}
		if req.CodeColumn != "" || len(req.Codes) > 0 {
			return bad("code_column and codes are for exact_count only")
		}
		cols = append(cols, req.Features...)
	}
	if c == he.CircuitRowScore && req.Polynomial != "" {
		p, err := he.ApprovedPolynomial(req.Polynomial)
		if err != nil {
			return bad("polynomial %q is not approved (identity, logistic3)", clipText(req.Polynomial))
		}
		out.poly = &p
	} else if req.Polynomial != "" {
		return bad("polynomial is for row_score only")
	}
	for _, col := range cols {
		if !identPattern.MatchString(col) {
			return bad("column %q: a plain column name is expected", clipText(col))
		}
	}
	if out.Table == "" {
		for _, t := range g.Workspace.Tables {
			if hasColumns(t, cols) {
				if out.Table != "" {
					return bad("several tables have these columns: name the table")
				}
				out.Table = t.Name
			}
		}
		if out.Table == "" {
			return bad("no table of the grant's workspace has all of the columns %s", strings.Join(cols, ", "))
		}
	}
	if !identPattern.MatchString(out.Table) {
		return bad("table %q: a plain table name is expected", clipText(out.Table))
	}
	for _, d := range []string{req.Keys, req.Inputs} {
		if !blob.ValidDigest(d) {
			return bad("keys and inputs are upload digests (sha256:…)")
		}
		if !sb.blobs.Has(d) {
			return heRequest{}, fault.E(fault.NotFound, "no upload %s: POST it to /v1/blobs first", d)
		}
	}
	return out, nil
}

func hasColumns(t catalog.WorkspaceTable, cols []string) bool {
	for _, c := range cols {
		if !slices.ContainsFunc(t.Columns, func(w catalog.WorkspaceColumn) bool { return strings.EqualFold(w.Name, c) }) {
			return false
		}
	}
	return true
}

func clipText(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// heQuery is the gated query of a homomorphic job: per group, its size and the sums of the
// features. The policy judges it like any SQL job (every column's use, the k threshold, DP),
// so the features must be columns a developer may aggregate, and the groups are the released
// ones. exact_count's code column is a filter: it must be a dimension.
func heQuery(r heRequest) string {
	var sel, keys []string
	for _, k := range r.GroupBy {
		sel = append(sel, duck.Ident(k))
		keys = append(keys, duck.Ident(k))
	}
	for _, f := range r.Features {
		sel = append(sel, fmt.Sprintf("sum(%s) AS %s", duck.Ident(f), duck.Ident("sum_"+f)))
	}
	sel = append(sel, "count(*) AS "+HESizeColumn)
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + duck.Ident(r.Table)
	if r.circuit == he.CircuitExactCount {
		q += " WHERE " + duck.Ident(r.CodeColumn) + " IS NOT NULL"
	}
	return q + " GROUP BY " + strings.Join(keys, ", ")
}

// RunHE runs a homomorphic job: the gated query computes the released groups (and for
// linear_score their feature sums); the circuit scores them under the developer's encrypted
// inputs; the result leaves encrypted, with the group keys and sizes beside it.
func (sb *Sandbox) RunHE(ctx context.Context, actor catalog.Principal, grantID string, req catalog.JobRequest) (*QueryResult, error) {
	g, _, err := sb.jobGrant(ctx, grantID)
	if err != nil {
		return nil, err
	}
	if g.Developer != actor.ID {
		return nil, fault.E(fault.NotFound, "no grant %q", grantID)
	}
	r, err := sb.checkHE(g, req)
	if err != nil {
		return nil, err
	}
	params := map[string]string{"circuit": r.Circuit, "params": r.Params, "table": r.Table, "group_by": strings.Join(r.GroupBy, ","),
		"keys": r.Keys, "inputs": r.Inputs}
	if len(r.Features) > 0 {
		params["features"] = strings.Join(r.Features, ",")
	}
	if r.Polynomial != "" {
		params["polynomial"] = r.Polynomial
	}
	if r.CodeColumn != "" {
		// The code list is kept as an upload of its own, so the job record names it by digest
		// and replay reads it back.
		b, _ := json.Marshal(r.Codes)
		d, err := sb.blobs.Put(bytes.NewReader(b), MaxBlobBytes)
		if err != nil {
			return nil, fault.Wrap(err, fault.Internal, "the code list could not be kept")
		}
		params["code_column"], params["codes"] = r.CodeColumn, d
	}
	return sb.runJob(ctx, actor, grantID, heQuery(r), false, jobSpec{Kind: "he", Params: params,
		Finish: func(ctx context.Context, job *catalog.Job, g catalog.Grant, path string, res *QueryResult) (*QueryResult, error) {
			defer res.Release()
			out, err := sb.finishHE(ctx, job, g, path, r, res)
			if out != nil {
				out.DP = res.DP // a DP grant's group sizes and sums were noised: say how
			}
			return out, err
		}})
}

// heSeed derives a job's homomorphic randomness from the sandbox secret: replay draws the same.
func (sb *Sandbox) heSeed(job string) []byte {
	m := hmac.New(sha256.New, sb.master)
	m.Write([]byte("inviso/he-seed/v1\x00" + job))
	return m.Sum(nil)
}

// released is the gated query's result, read: each group's key text and Arrow key values,
// its size and its feature sums.
type released struct {
	index map[string]int // group key text → group
	keys  []arrow.Array  // key columns of the released groups
	sizes []int64
	sums  [][]float64 // groups × features
}

func (r *released) release() {
	for _, a := range r.keys {
		a.Release()
	}
}

func readReleased(res *QueryResult, nkeys, nfeatures int) (*released, error) {
	// The groups in the order of their keys, whatever order the engine returned them in:
	// a group's place in the result must not change on replay.
	type group struct {
		key  string
		b    arrow.RecordBatch
		i    int
		size int64
		sums []float64
	}
	var groups []group
	for _, b := range res.Batches {
		if int(b.NumCols()) != nkeys+nfeatures+1 {
			return nil, errors.New("he: the gated result does not have the expected columns")
		}
		n, ok := b.Column(nkeys + nfeatures).(*array.Int64)
		if !ok {
			return nil, errors.New("he: the group size is not an integer")
		}
		for i := 0; i < int(b.NumRows()); i++ {
			row := make([]float64, nfeatures)
			for f := range row {
				row[f] = number(b.Column(nkeys+f), i)
			}
			groups = append(groups, group{key: keyText(b.Columns()[:nkeys], i), b: b, i: i, size: n.Value(i), sums: row})
		}
	}
	slices.SortFunc(groups, func(x, y group) int { return strings.Compare(x.key, y.key) })
	out := &released{index: map[string]int{}}
	builders := make([]array.Builder, nkeys)
	for k := range nkeys {
		builders[k] = array.NewBuilder(memory.DefaultAllocator, res.Schema.Field(k).Type)
		defer builders[k].Release()
	}
	for gi, g := range groups {
		out.index[g.key] = gi
		out.sizes = append(out.sizes, g.size)
		out.sums = append(out.sums, g.sums)
		for k := range nkeys {
			col := g.b.Column(k)
			if col.IsNull(g.i) {
				builders[k].AppendNull()
			} else if err := builders[k].AppendValueFromString(col.ValueStr(g.i)); err != nil {
				out.release()
				return nil, fmt.Errorf("he: group key: %w", err)
			}
		}
	}
	for k := range nkeys {
		out.keys = append(out.keys, builders[k].NewArray())
	}
	return out, nil
}

// keyText is a row's group key as text, NULL distinct from every string.
func keyText(cols []arrow.Array, i int) string {
	var b strings.Builder
	for _, c := range cols {
		if c.IsNull(i) {
			b.WriteString("\x00N")
		} else {
			v := c.ValueStr(i)
			fmt.Fprintf(&b, "\x00V%d:", len(v)) // length-prefixed: no two keys can run together
			b.WriteString(v)
		}
	}
	return b.String()
}

// number reads a numeric cell as float64 (NULL: 0).
func number(a arrow.Array, i int) float64 {
	if a.IsNull(i) {
		return 0
	}
	switch x := a.(type) {
	case *array.Int64:
		return float64(x.Value(i))
	case *array.Int32:
		return float64(x.Value(i))
	case *array.Float64:
		return x.Value(i)
	}
	var f float64 // HUGEINT sums arrive as decimals: their text is exact
	fmt.Sscan(a.ValueStr(i), &f)
	return f
}

// finishHE scores the released groups homomorphically and builds the encrypted result.
func (sb *Sandbox) finishHE(ctx context.Context, job *catalog.Job, g catalog.Grant, path string, r heRequest, res *QueryResult) (*QueryResult, error) {
	rel, err := readReleased(res, len(r.GroupBy), len(r.Features))
	if err != nil {
		return nil, err
	}
	defer rel.release()
	groups := len(rel.sizes)
	if groups == 0 {
		return nil, fault.E(fault.InvalidInput, "no group reached the grant's threshold: there is nothing to score")
	}
	if groups > r.set.MaxGroups() || (r.circuit == he.CircuitExactCount && groups > he.ExactCountCapacity(r.set, len(r.Codes))) {
		return nil, fault.E(fault.InvalidInput, "%d groups are more than parameter set %s holds for this circuit", groups, r.Params)
	}
	material, err := sb.blobs.Get(r.Keys, he.MaxMaterialBytes)
	if err != nil {
		return nil, heBlobError(err, "keys")
	}
	inputs, err := sb.blobs.Get(r.Inputs, he.MaxInputBytes)
	if err != nil {
		return nil, heBlobError(err, "inputs")
	}
	seed := sb.heSeed(job.ID)
	var out he.Result
	switch r.circuit {
	case he.CircuitLinearScore:
		out, err = he.LinearScore(r.set, material, inputs, rel.sums, seed)
	case he.CircuitRowScore:
		features, groupOf, rerr := sb.heRows(ctx, g, path, r, rel, len(r.Features))
		if rerr != nil {
			return nil, rerr
		}
		out, err = he.RowScore(r.set, material, inputs, features, groupOf, groups, r.poly, seed)
	case he.CircuitExactCount:
		codes, groupOf, rerr := sb.heCodes(ctx, g, path, r, rel)
		if rerr != nil {
			return nil, rerr
		}
		out, err = he.ExactCount(r.set, material, inputs, codes, groupOf, groups, seed)
	}
	if err != nil {
		return nil, heError(err)
	}
	enc, err := out.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return heResult(job, r, rel, enc, out.Digest())
}

func heBlobError(err error, what string) error {
	if errors.Is(err, blob.ErrTooLarge) {
		return fault.E(fault.TooLarge, "the %s upload is larger than this circuit accepts", what)
	}
	return fault.Wrap(err, fault.NotFound, "the %s upload cannot be read", what)
}

// heError turns the circuit's errors into coded ones: the developer's uploads are malformed or
// made for other parameters (their fault), or the evaluation failed (ours).
func heError(err error) error {
	switch {
	case errors.Is(err, he.ErrMalformed), errors.Is(err, he.ErrParamsMismatch), errors.Is(err, he.ErrInvalidArgument):
		return fault.Wrap(err, fault.InvalidInput, "the homomorphic inputs or keys are not usable with this circuit and parameter set (malformed, or made for other parameters)")
	case errors.Is(err, he.ErrInsecureParams), errors.Is(err, he.ErrUnknownParams):
		return fault.Wrap(err, fault.InvalidInput, "the parameter set is not allowed")
	}
	return fault.Wrap(err, fault.Internal, "the homomorphic evaluation failed")
}

// heRows reads, inside the sandbox, each row's features and group (rows of groups that were
// not released are left out). Rows never leave: only per-group aggregates meet a ciphertext.
func (sb *Sandbox) heRows(ctx context.Context, g catalog.Grant, path string, r heRequest, rel *released, nf int) ([][]float64, []int, error) {
	features := make([][]float64, nf)
	var groupOf []int
	err := sb.scanRows(ctx, g, path, r, r.Features, func(group int, b arrow.RecordBatch, i int) {
		groupOf = append(groupOf, group)
		for f := range nf {
			features[f] = append(features[f], number(b.Column(len(r.GroupBy)+f), i))
		}
	}, rel)
	return features, groupOf, err
}

// heCodes reads each row's code (its value's place in the developer's code list) and group.
// The developer's selection is secret, so any one (group, code) cell could be what it counts:
// every cell must hold at least k people itself, and the rows of smaller cells count nowhere.
func (sb *Sandbox) heCodes(ctx context.Context, g catalog.Grant, path string, r heRequest, rel *released) ([]uint64, []int, error) {
	code := make(map[string]uint64, len(r.Codes))
	for i, c := range r.Codes {
		code[c] = uint64(i)
	}
	unit := ""
	for _, t := range g.Workspace.Tables {
		if strings.EqualFold(t.Name, r.Table) {
			for _, c := range t.Columns {
				if c.Unit {
					unit = c.Name
				}
			}
		}
	}
	if unit == "" {
		return nil, nil, fault.E(fault.InvalidInput, "table %s has no privacy unit", r.Table)
	}
	type cell struct {
		group int
		code  uint64
	}
	var cells []cell
	people := map[cell]map[int64]bool{}
	nk := len(r.GroupBy)
	err := sb.scanRows(ctx, g, path, r, []string{r.CodeColumn, unit}, func(group int, b arrow.RecordBatch, i int) {
		col, u := b.Column(nk), b.Column(nk+1)
		if col.IsNull(i) || u.IsNull(i) {
			return
		}
		c, ok := code[col.ValueStr(i)]
		if !ok {
			return // a value outside the developer's code list is in no count
		}
		id, ok := u.(*array.Int64)
		if !ok {
			return
		}
		k := cell{group, c}
		if people[k] == nil {
			people[k] = map[int64]bool{}
		}
		people[k][id.Value(i)] = true
		cells = append(cells, k)
	}, rel)
	if err != nil {
		return nil, nil, err
	}
	var codes []uint64
	var groupOf []int
	for _, k := range cells {
		if len(people[k]) >= g.K {
			codes = append(codes, k.code)
			groupOf = append(groupOf, k.group)
		}
	}
	return codes, groupOf, nil
}

// scanRows streams the group keys and the named columns of every row of the job's table
// through fn, with the row's released group.
func (sb *Sandbox) scanRows(ctx context.Context, g catalog.Grant, path string, r heRequest, cols []string, fn func(group int, b arrow.RecordBatch, i int), rel *released) error {
	var sel []string
	for _, c := range append(slices.Clone(r.GroupBy), cols...) {
		sel = append(sel, duck.Ident(c))
	}
	// A fixed row order: the circuit's floating-point moment sums depend on it, and replay
	// must reproduce them bit for bit.
	tree, err := sb.parser.Parse(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+duck.Ident(r.Table)+" ORDER BY ALL")
	if err != nil {
		return err
	}
	text, err := sb.parser.Deparse(ctx, tree)
	if err != nil {
		return err
	}
	nk := len(r.GroupBy)
	return sb.engine.Query(ctx, path, g.Workspace.Digest, text, func(*arrow.Schema) error { return nil },
		func(b arrow.RecordBatch) error {
			for i := 0; i < int(b.NumRows()); i++ {
				if group, ok := rel.index[keyText(b.Columns()[:nk], i)]; ok {
					fn(group, b, i)
				}
			}
			return nil
		})
}

// heResult is what a homomorphic job releases: per group its keys, its size and its place in
// the result, and the serialized result itself (one value, dictionary-encoded).
func heResult(job *catalog.Job, r heRequest, rel *released, enc []byte, encDigest string) (*QueryResult, error) {
	mem := memory.DefaultAllocator
	groups := len(rel.sizes)
	var fields []arrow.Field
	var cols []arrow.Array
	for i, k := range r.GroupBy {
		fields = append(fields, arrow.Field{Name: k, Type: rel.keys[i].DataType(), Nullable: true})
		rel.keys[i].Retain()
		cols = append(cols, rel.keys[i])
	}
	nb := array.NewInt64Builder(mem)
	slb := array.NewInt32Builder(mem)
	for i, n := range rel.sizes {
		nb.Append(n)
		slb.Append(int32(i))
	}
	cols = append(cols, nb.NewArray(), slb.NewArray())
	nb.Release()
	slb.Release()
	fields = append(fields, arrow.Field{Name: HESizeColumn, Type: arrow.PrimitiveTypes.Int64}, arrow.Field{Name: HESlotColumn, Type: arrow.PrimitiveTypes.Int32})
	plain := &QueryResult{Schema: arrow.NewSchema(fields, nil), Batches: []arrow.RecordBatch{array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(groups))}}
	plainDigest, err := resultDigest(plain)
	plain.Release()
	if err != nil {
		for _, c := range cols {
			c.Release()
		}
		return nil, err
	}
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.Binary}
	db := array.NewDictionaryBuilder(mem, dt).(*array.BinaryDictionaryBuilder)
	for range groups {
		if err := db.Append(enc); err != nil {
			db.Release()
			return nil, err
		}
	}
	cols = append(cols, db.NewArray())
	db.Release()
	fields = append(fields, arrow.Field{Name: HECiphertextColumn, Type: dt})
	md := arrow.NewMetadata([]string{"inviso.he.circuit", "inviso.he.params", "inviso.he.result"}, []string{r.Circuit, r.Params, encDigest})
	schema := arrow.NewSchema(fields, &md)
	rec := array.NewRecordBatch(schema, cols, int64(groups))
	for _, c := range cols {
		c.Release()
	}
	h := sha256.Sum256([]byte("inviso/he-result/v1\n" + plainDigest + "\n" + encDigest))
	job.ResultDigest = "sha256:" + hex.EncodeToString(h[:])
	job.Rows = int64(groups)
	return &QueryResult{Job: job.ID, Schema: schema, Batches: []arrow.RecordBatch{rec}, Rows: int64(groups)}, nil
}

// heRequestOf is the request a recorded homomorphic job was run with.
func heRequestOf(sb *Sandbox, j catalog.Job) catalog.JobRequest {
	p := j.Params
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	req := catalog.JobRequest{Kind: "he", Circuit: p["circuit"], Params: p["params"], Table: p["table"], GroupBy: split(p["group_by"]),
		Features: split(p["features"]), Keys: p["keys"], Inputs: p["inputs"], Polynomial: p["polynomial"], CodeColumn: p["code_column"]}
	if d := p["codes"]; d != "" {
		if b, err := sb.blobs.Get(d, MaxBlobBytes); err == nil {
			json.Unmarshal(b, &req.Codes)
		}
	}
	return req
}
