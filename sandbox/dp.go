package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/crypto/noise"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/sqlgate"
)

// dpSettings are the contribution bounds of a DP job, with the seed that picks each person's
// groups when there are too many; the seed comes from the job's own noise stream.
func (sb *Sandbox) dpSettings(g catalog.Grant, job string) (sqlgate.DPSettings, error) {
	gen, err := noise.NewGenerator(sb.master, "bound/"+job)
	if err != nil {
		return sqlgate.DPSettings{}, err
	}
	return sqlgate.DPSettings{MaxGroups: int64(g.DP.MaxGroupsContributed), MaxRows: int64(g.DP.MaxRowsContributed), Seed: int64(gen.Uint64() >> 1)}, nil
}

// planDP plans a DP query for a job and fixes its noise; the plan's SQL becomes the job's
// rewritten query.
func (sb *Sandbox) planDP(ctx context.Context, job *catalog.Job, g catalog.Grant, tree *sqlgate.Tree, a *sqlgate.Analysis, schema sqlgate.Schema) (*sqlgate.DPPlan, dpMechanism, error) {
	set, err := sb.dpSettings(g, job.ID)
	if err != nil {
		return nil, dpMechanism{}, err
	}
	plan, err := sb.parser.PlanDP(ctx, tree, a, schema, set)
	if err != nil {
		return nil, dpMechanism{}, err
	}
	mech, err := dpMechanismOf(g, plan)
	if err != nil {
		return nil, dpMechanism{}, err
	}
	if job.Rewritten, err = sb.parser.DeparseFor(ctx, job.Principal, plan.Tree()); err != nil {
		return nil, dpMechanism{}, err
	}
	return plan, mech, nil
}

// dpMechanism is the noise of each measure of a plan, and the unit count a group must reach.
type dpMechanism struct {
	laplace   []noise.Laplace
	epsMicro  []int64
	threshold int64
}

// total is what the job spends: every measure's epsilon.
func (m dpMechanism) total() int64 {
	var t int64
	for _, e := range m.epsMicro {
		t += e
	}
	return t
}

func dpMechanismOf(g catalog.Grant, p *sqlgate.DPPlan) (dpMechanism, error) {
	// The query's epsilon is split evenly over its measures (sequential composition); the
	// rounding remainder goes to the unit count, so a query spends exactly its epsilon.
	per := g.DP.PerQueryMicro() / int64(len(p.Measures))
	m := dpMechanism{}
	for i, ms := range p.Measures {
		eps := per
		if i == 0 {
			eps += g.DP.PerQueryMicro() - per*int64(len(p.Measures))
		}
		l, err := noise.ForEpsilon(ms.Sensitivity, eps)
		if err != nil {
			return m, fault.E(fault.InvalidInput, "the query's noise would drown its answer (epsilon per aggregate %g, sensitivity %d): ask fewer aggregates, or tighten the clamp bounds", float64(per)/1e6, ms.Sensitivity).
				With(fault.Reason{Code: "dp_noise_too_large", Message: "the noise needed would drown the answer: ask for fewer aggregates"})
		}
		m.laplace = append(m.laplace, l)
		m.epsMicro = append(m.epsMicro, eps)
	}
	// A group's Measures[0] counts people (or rows, at most UnitCap per person). k people
	// make up to k·UnitCap of it; the threshold asks for that much (noisily), erring on the side of fewer groups.
	m.threshold = int64(g.K) * p.UnitCap
	if p.Keys > 0 {
		// A group only one person makes up has at most UnitCap, and passes with probability
		// at most delta/GroupsPerUnit; so at most delta over every group that person reaches:
		// the group keys themselves are safe to release.
		//
		// Delta is the grant's total: it is split evenly over the queries the budget allows,
		// so the threshold's failure probabilities add up to at most delta over the grant.
		queries := max(1, g.DP.TotalMicro()/max(1, g.DP.PerQueryMicro()))
		tau := p.UnitCap + m.laplace[0].Threshold(g.DP.Delta/float64(queries)/float64(p.GroupsPerUnit))
		m.threshold = max(m.threshold, tau)
	}
	return m, nil
}

// executeDP runs a DP plan: the engine computes the bounded measures per group, then each
// gets its noise (the job's own stream, so replay draws the same), groups under the noisy
// threshold are dropped, and the outputs are computed from the noisy measures only.
func (sb *Sandbox) executeDP(ctx context.Context, job *catalog.Job, g catalog.Grant, path string, p *sqlgate.DPPlan, mech dpMechanism) (*QueryResult, error) {
	t0 := time.Now()
	var schema *arrow.Schema
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	err := sb.engine.Query(ctx, path, g.Workspace.Digest, job.Rewritten,
		func(s *arrow.Schema) error { schema = s; return nil },
		func(b arrow.RecordBatch) error { b.Retain(); batches = append(batches, b); return nil })
	job.Timings["execute"] = time.Since(t0).Microseconds()
	if err != nil {
		return nil, err
	}
	if schema == nil || schema.NumFields() != p.Keys+len(p.Measures) {
		return nil, errors.New("dp: the engine's result does not have the plan's columns; nothing is released")
	}
	gen, err := noise.NewGenerator(sb.master, "noise/"+job.ID)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	nm := len(p.Measures)
	var noisy [][]int64                   // kept groups' noisy measures
	keys := make([][]arrow.Array, p.Keys) // slices of the kept groups' keys, released below
	defer func() {
		for _, ks := range keys {
			for _, a := range ks {
				a.Release()
			}
		}
	}()
	var groups, suppressed int64
	for _, b := range batches {
		cols := make([]*array.Int64, nm)
		for i := range cols {
			c, ok := b.Column(p.Keys + i).(*array.Int64)
			if !ok {
				return nil, fmt.Errorf("dp: measure %d is %s, want int64", i, b.Column(p.Keys+i).DataType())
			}
			cols[i] = c
		}
		runStart := -1
		flush := func(end int) {
			if runStart >= 0 {
				for k := range keys {
					keys[k] = append(keys[k], array.NewSlice(b.Column(k), int64(runStart), int64(end)))
				}
			}
			runStart = -1
		}
		for r := 0; r < int(b.NumRows()); r++ {
			groups++
			vals := make([]int64, nm)
			for i, c := range cols { // every group draws all its noise, kept or not
				vals[i] = satAdd(c.Value(r), mech.laplace[i].Sample(gen))
			}
			if vals[0] < mech.threshold {
				suppressed++
				flush(r)
				continue
			}
			noisy = append(noisy, vals)
			if runStart < 0 {
				runStart = r
			}
		}
		flush(int(b.NumRows()))
	}
	info := &catalog.DPInfo{Noise: dpNoise(p, mech), Threshold: mech.threshold}
	res, err := dpRecord(schema, p, keys, noisy, info.Noise)
	if err != nil {
		return nil, err
	}
	res.Job = job.ID
	res.Suppressed = suppressed
	res.DP = info
	digest, err := resultDigest(res)
	if err != nil {
		res.Release()
		return nil, err
	}
	spend := &catalog.DPSpend{Threshold: mech.threshold}
	for i, m := range p.Measures {
		spend.EpsilonMicro += mech.epsMicro[i]
		name := string(m.Kind)
		if m.Column.Column != "" {
			name += "(" + m.Column.Table + "." + m.Column.Column + ")"
		}
		spend.Measures = append(spend.Measures, catalog.DPMeasure{Name: name, Sensitivity: m.Sensitivity, Quantum: m.Quantum,
			EpsilonMicro: mech.epsMicro[i], Scale: mech.laplace[i].Scale() * m.Quantum})
	}
	job.Timings["noise"] = time.Since(t1).Microseconds()
	job.State, job.Rows, job.Groups, job.Suppressed, job.ResultDigest, job.DP = catalog.JobReleased, res.Rows, groups, suppressed, digest, spend
	return res, nil
}

// satAdd adds without wrapping around.
func satAdd(a, b int64) int64 {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return s
}

// dpRecord builds the released record: the kept groups' keys, and each aggregate computed
// from noisy measures only.
func dpRecord(engine *arrow.Schema, p *sqlgate.DPPlan, keys [][]arrow.Array, noisy [][]int64, info map[string]catalog.NoiseInfo) (*QueryResult, error) {
	mem := memory.DefaultAllocator
	var fields []arrow.Field
	var cols []arrow.Array
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, o := range p.Outputs {
		if o.Group >= 0 {
			f := engine.Field(o.Group)
			var col arrow.Array
			if len(keys[o.Group]) == 0 {
				col = array.MakeArrayOfNull(mem, f.Type, 0)
			} else {
				c, err := array.Concatenate(keys[o.Group], mem)
				if err != nil {
					return nil, err
				}
				col = c
			}
			fields = append(fields, arrow.Field{Name: o.Name, Type: f.Type, Nullable: true})
			cols = append(cols, col)
			continue
		}
		md := noiseMetadata(info[o.Name])
		if o.Function == "count" {
			b := array.NewInt64Builder(mem)
			for _, v := range noisy {
				b.Append(max(0, v[o.Measures[0]]))
			}
			fields = append(fields, arrow.Field{Name: o.Name, Type: arrow.PrimitiveTypes.Int64, Nullable: true, Metadata: md})
			cols = append(cols, b.NewArray())
			b.Release()
			continue
		}
		b := array.NewFloat64Builder(mem)
		for _, v := range noisy {
			x, ok := dpValue(o, p, v)
			if ok {
				b.Append(x)
			} else {
				b.AppendNull()
			}
		}
		fields = append(fields, arrow.Field{Name: o.Name, Type: arrow.PrimitiveTypes.Float64, Nullable: true, Metadata: md})
		cols = append(cols, b.NewArray())
		b.Release()
	}
	schema := arrow.NewSchema(fields, nil)
	res := &QueryResult{Schema: schema, Rows: int64(len(noisy))}
	if len(noisy) > 0 {
		res.Batches = []arrow.RecordBatch{array.NewRecordBatch(schema, cols, int64(len(noisy)))}
	}
	return res, nil
}

// dpValue computes a sum, average or variance from a group's noisy measures; false means the
// noisy count is too small for it to be defined (NULL).
func dpValue(o sqlgate.DPOutput, p *sqlgate.DPPlan, v []int64) (float64, bool) {
	sumOf := func(i int) float64 { return float64(v[o.Measures[i]]) * p.Measures[o.Measures[i]].Quantum }
	switch o.Function {
	case "sum":
		return sumOf(0), true
	case "avg":
		n := v[o.Measures[1]]
		if n <= 0 {
			return 0, false
		}
		return sumOf(0) / float64(n), true
	}
	s, q, n := sumOf(0), sumOf(1), float64(v[o.Measures[2]])
	den := n
	if o.Function == "var_samp" || o.Function == "stddev_samp" {
		den = n - 1
	}
	if n <= 0 || den <= 0 {
		return 0, false
	}
	variance := max(0, (q-s*s/n)/den)
	if o.Function == "stddev_samp" || o.Function == "stddev_pop" {
		return math.Sqrt(variance), true
	}
	return variance, true
}

// dpNoise describes each output's noise.
func dpNoise(p *sqlgate.DPPlan, mech dpMechanism) map[string]catalog.NoiseInfo {
	of := func(i int) *catalog.NoiseInfo {
		q := p.Measures[i].Quantum
		return &catalog.NoiseInfo{Mechanism: "discrete_laplace", Epsilon: float64(mech.epsMicro[i]) / 1e6, Scale: mech.laplace[i].Scale() * q,
			CI95: float64(mech.laplace[i].Interval(0.95)) * q}
	}
	out := map[string]catalog.NoiseInfo{}
	for _, o := range p.Outputs {
		switch {
		case o.Group >= 0:
		case o.Function == "count" || o.Function == "sum":
			out[o.Name] = *of(o.Measures[0])
		default:
			ni := catalog.NoiseInfo{Mechanism: "discrete_laplace", Parts: map[string]*catalog.NoiseInfo{}}
			for _, i := range o.Measures {
				part := of(i)
				ni.Epsilon += part.Epsilon
				ni.Parts[string(p.Measures[i].Kind)] = part
			}
			out[o.Name] = ni
		}
	}
	return out
}

// noiseMetadata is the noise of a column as Arrow field metadata, so a saved result file
// still says which columns are noisy.
func noiseMetadata(n catalog.NoiseInfo) arrow.Metadata {
	b, _ := json.Marshal(n)
	return arrow.NewMetadata([]string{"inviso.noise"}, []string{string(b)})
}
