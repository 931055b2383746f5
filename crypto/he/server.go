package he

import (
	"fmt"
	"io"
	"math"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/ring"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"
)

// LinearScore runs linear_score: for each group g it returns Σ_i S[g][i]·w_i, where S are the
// per-group feature sums the sandbox computed through the gated SQL path (already
// k-thresholded) and w the developer's encrypted weights. material and inputs are the
// developer's uploaded blobs; seed (≥ 32 bytes, derived from the sandbox secret and the job
// id) drives all randomness, so the same call reproduces the same result bytes.
//
// Cost: one NTT and two pointwise products per feature, no rotation, no relinearization.
func LinearScore(set ParamSet, material, inputs []byte, groupSums [][]float64, seed []byte) (Result, error) {
	return linearScore(set, material, inputs, groupSums, seed, productionPrivacy())
}

func linearScore(set ParamSet, material, inputs []byte, groupSums [][]float64, seed []byte, priv privacy) (res Result, err error) {
	defer recoverInternal("linear_score", &err)
	job, err := openJob(set, CircuitLinearScore, material, inputs, seed)
	if err != nil {
		return Result{}, err
	}
	if err := checkMatrix(groupSums, job.in.features, set.MaxGroups()); err != nil {
		return Result{}, fmt.Errorf("linear_score: %w", err)
	}
	return job.ckksDot(groupSums, nil, priv)
}

// RowScore runs row_score: for each group g it returns Σ_{rows r in g} p(x_r·w), with x_r the
// row's features (columnar: features[i][r]), groupOf[r] its group in [0, groups), p an
// approved polynomial (nil means the identity) and w the developer's encrypted weights.
//
// Rows are never packed into ciphertext slots (see doc.go): the sandbox computes, per group
// and in plaintext, the moment sums Σ_r x_r^α for every monomial α of degree ≤ deg p and
// scales them by p's public coefficients; the ciphertexts hold the monomials w^α. The only
// data that meets a developer ciphertext is therefore per-group aggregates. No relinearization
// or Galois key is needed, whatever the degree.
func RowScore(set ParamSet, material, inputs []byte, features [][]float64, groupOf []int, groups int, poly *Polynomial, seed []byte) (Result, error) {
	return rowScore(set, material, inputs, features, groupOf, groups, poly, seed, productionPrivacy())
}

func rowScore(set ParamSet, material, inputs []byte, features [][]float64, groupOf []int, groups int, poly *Polynomial, seed []byte, priv privacy) (res Result, err error) {
	defer recoverInternal("row_score", &err)
	p := Polynomial{Name: "identity", Coeffs: []float64{0, 1}}
	if poly != nil {
		p = *poly
	}
	if err := p.validate(); err != nil {
		return Result{}, err
	}
	job, err := openJob(set, CircuitRowScore, material, inputs, seed)
	if err != nil {
		return Result{}, err
	}
	if p.Degree() != job.in.degree {
		return Result{}, fmt.Errorf("%w: inputs cover degree %d, polynomial %q has degree %d", ErrParamsMismatch, job.in.degree, p.Name, p.Degree())
	}
	if err := checkRows(features, job.in.features, groupOf, groups, set.MaxGroups()); err != nil {
		return Result{}, fmt.Errorf("row_score: %w", err)
	}
	ms := monomials(job.in.features, job.in.degree)
	values := groupMoments(features, groupOf, groups, ms)
	skip := make([]bool, len(ms))
	for j, m := range ms {
		a := 0.0
		if len(m) < len(p.Coeffs) {
			a = p.Coeffs[len(m)]
		}
		skip[j] = a == 0 // public: the polynomial has no term of this degree
		for g := range values {
			values[g][j] *= a * multinomial(m)
		}
	}
	return job.ckksDot(values, skip, priv)
}

// ExactCount runs exact_count: for each group g it returns the exact number of rows of g whose
// code (codes[r] in [0, codeSpace)) is in the developer's encrypted selection. The operator
// never learns which codes are selected.
//
// Layout (C' = code space rounded up to a power of two, G' = N/C'): the sandbox builds the
// plaintext histogram with slot c·G'+g = #rows of group g with code c, multiplies it slotwise
// by the replicated selection, sums the C' code blocks with log2(C')-1 column rotations and
// one row swap (every slot of a group's column then holds the same full sum: no partial
// per-code sum survives anywhere), masks all slots but 0..groups-1, re-randomizes, floods at
// level 1 and rescales. The plaintext modulus t bounds results: at most set.MaxExactCount().
func ExactCount(set ParamSet, material, inputs []byte, codes []uint64, groupOf []int, groups int, seed []byte) (Result, error) {
	return exactCount(set, material, inputs, codes, groupOf, groups, seed, productionPrivacy())
}

func exactCount(set ParamSet, material, inputs []byte, codes []uint64, groupOf []int, groups int, seed []byte, priv privacy) (res Result, err error) {
	defer recoverInternal("exact_count", &err)
	job, err := openJob(set, CircuitExactCount, material, inputs, seed)
	if err != nil {
		return Result{}, err
	}
	if job.m.codeSpace != job.in.codeSpace {
		return Result{}, fmt.Errorf("%w: material for code space %d, inputs for %d", ErrParamsMismatch, job.m.codeSpace, job.in.codeSpace)
	}
	layout := layoutFor(set.N(), job.in.codeSpace)
	if err := checkCodes(codes, groupOf, groups, job.in.codeSpace, layout.stride, set.MaxExactCount()); err != nil {
		return Result{}, fmt.Errorf("exact_count: %w", err)
	}
	return job.bgvCount(layout, histogram(codes, groupOf, layout, set.N()), groups, priv)
}

// job holds a validated request.
type job struct {
	set  ParamSet
	c    Circuit
	m    *EvalMaterial
	in   *Inputs
	prng io.Reader
}

func openJob(set ParamSet, c Circuit, material, inputs []byte, seed []byte) (*job, error) {
	if !set.Supports(c) {
		return nil, fmt.Errorf("%w: circuit %s does not run on set %q", ErrParamsMismatch, c, set.Name())
	}
	prng, err := newPRNG(seed, c)
	if err != nil {
		return nil, err
	}
	m, err := ParseEvalMaterial(set, c, material)
	if err != nil {
		return nil, fmt.Errorf("%s: evaluation material: %w", c, err)
	}
	in, err := ParseInputs(set, c, inputs)
	if err != nil {
		return nil, fmt.Errorf("%s: inputs: %w", c, err)
	}
	return &job{set: set, c: c, m: m, in: in, prng: prng}, nil
}

// ckksDot computes, in CKKS coefficient encoding, the ciphertext whose coefficient g is
// Σ_j values[g][j]·w_j, w_j being the constant encrypted in input ciphertext j.
//
// The plaintext operand of input j is the integer polynomial P_j(X) = Σ_g round(values[g][j]
// ·2^(fixedPointBits-k)) X^g, with 2^k ≥ Σ_j max_g |values[g][j]|; P_j is zero outside the
// output coefficients 0..groups-1, so it is its own mask. The products are exact: no
// encoding error depends on the data. Then re-randomize and flood at the input level and
// rescale twice to level 0. Inputs with skip[j] set (a public zero coefficient) are left
// out; which inputs are skipped never depends on the data.
func (j *job) ckksDot(values [][]float64, skip []bool, priv privacy) (Result, error) {
	set, params := j.set, j.set.rlwe
	groups := len(values)
	level := ckksInputLevel
	k := ceilLog2(sumOfColumnMax(values))
	rq := params.RingQ().AtLevel(level)
	acc := rlwe.NewCiphertext(params, 1, level)
	p := rq.NewPoly()
	col := make([]int64, groups)
	for jj, ct := range j.in.cts {
		if skip != nil && skip[jj] {
			continue
		}
		for g := range values {
			col[g] = int64(math.Round(math.Ldexp(values[g][jj], fixedPointBits-k)))
		}
		p.Zero()
		smallPoly(p, params.Q(), level, col)
		rq.NTT(p, p)
		rq.MForm(p, p)
		rq.MulCoeffsMontgomeryThenAdd(ct.Value[0], p, acc.Value[0])
		rq.MulCoeffsMontgomeryThenAdd(ct.Value[1], p, acc.Value[1])
	}
	noiseBits := freshNoiseBits + fixedPointBits + ceilLog2(float64(groups)) + 1
	if err := j.privatize(acc, noiseBits, priv); err != nil {
		return Result{}, err
	}
	for l := level; l > ckksResultLevel; l-- {
		rescale(params.RingQ().AtLevel(l), acc)
	}
	body := encodeResultCT(acc, resultScale{exp: j.in.scaleExp + fixedPointBits - k, divLevels: level - ckksResultLevel})
	return Result{Set: set.Name(), Circuit: j.c, Slots: groups, Ciphertext: body}, nil
}

// privatize re-randomizes and floods ct at its current level (see privacy.go).
func (j *job) privatize(ct *rlwe.Ciphertext, noiseBits int, priv privacy) error {
	flood := 0
	if priv.flood {
		flood = floodBitsFor(j.set.LogN(), noiseBits)
	}
	return rerandomize(j.set.rlwe, ct, j.m.zero, j.prng, priv.rerandomize, flood)
}

func rescale(rq *ring.Ring, ct *rlwe.Ciphertext) {
	buf := rq.NewPoly()
	for i := range ct.Value {
		rq.DivRoundByLastModulusNTT(ct.Value[i], buf, ct.Value[i])
	}
	ct.Resize(ct.Degree(), rq.Level()-1)
}

func sumOfColumnMax(values [][]float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := 0.0
	for jj := range values[0] {
		m := 0.0
		for g := range values {
			m = math.Max(m, math.Abs(values[g][jj]))
		}
		s += m
	}
	return s
}

// bgvCount evaluates exact_count's circuit on the histogram plaintext.
func (j *job) bgvCount(layout codeLayout, hist []uint64, groups int, priv privacy) (Result, error) {
	params := j.set.bgv
	eval := bgv.NewEvaluator(params, rlwe.NewMemEvaluationKeySet(nil, j.m.galois...))
	enc := bgv.NewEncoder(params)
	ptH := bgv.NewPlaintext(params, bgvInputLevel)
	if err := enc.Encode(hist, ptH); err != nil {
		return Result{}, fmt.Errorf("%w: encode histogram: %v", ErrInternal, err)
	}
	ct, err := eval.MulNew(j.in.cts[0], ptH)
	if err != nil {
		return Result{}, fmt.Errorf("%w: product: %v", ErrInternal, err)
	}
	if err := eval.Rescale(ct, ct); err != nil {
		return Result{}, fmt.Errorf("%w: rescale: %v", ErrInternal, err)
	}
	if err := sumCodeBlocks(eval, ct, layout); err != nil {
		return Result{}, err
	}
	if priv.mask {
		if err := applyMask(eval, enc, params, ct, groups); err != nil {
			return Result{}, err
		}
	}
	if err := eval.Rescale(ct, ct); err != nil {
		return Result{}, fmt.Errorf("%w: rescale: %v", ErrInternal, err)
	}
	if err := j.privatize(ct, bgvNoiseBits, priv); err != nil {
		return Result{}, err
	}
	if err := eval.Rescale(ct, ct); err != nil {
		return Result{}, fmt.Errorf("%w: rescale: %v", ErrInternal, err)
	}
	body := encodeResultCT(ct, resultScale{modT: ct.Scale.Uint64()})
	return Result{Set: j.set.Name(), Circuit: j.c, Slots: groups, Ciphertext: body}, nil
}

// sumCodeBlocks adds the C'/2 code blocks of each row cyclically, then the two rows, so every
// slot c·G'+g ends up with Σ_c hist·sel for its group g.
func sumCodeBlocks(eval *bgv.Evaluator, ct *rlwe.Ciphertext, layout codeLayout) error {
	for _, k := range layout.rotations() {
		rot, err := eval.RotateColumnsNew(ct, k)
		if err != nil {
			return fmt.Errorf("%w: rotation: %v", ErrInternal, err)
		}
		if err := eval.Add(ct, rot, ct); err != nil {
			return fmt.Errorf("%w: add: %v", ErrInternal, err)
		}
	}
	rot, err := eval.RotateRowsNew(ct)
	if err != nil {
		return fmt.Errorf("%w: row rotation: %v", ErrInternal, err)
	}
	if err := eval.Add(ct, rot, ct); err != nil {
		return fmt.Errorf("%w: add: %v", ErrInternal, err)
	}
	return nil
}

// applyMask keeps slots 0..groups-1 (row 0) and zeroes every other slot.
func applyMask(eval *bgv.Evaluator, enc *bgv.Encoder, params bgv.Parameters, ct *rlwe.Ciphertext, groups int) error {
	mask := make([]uint64, params.N())
	for g := 0; g < groups; g++ {
		mask[g] = 1
	}
	pt := bgv.NewPlaintext(params, ct.Level())
	if err := enc.Encode(mask, pt); err != nil {
		return fmt.Errorf("%w: encode mask: %v", ErrInternal, err)
	}
	if err := eval.Mul(ct, pt, ct); err != nil {
		return fmt.Errorf("%w: mask: %v", ErrInternal, err)
	}
	return nil
}

func histogram(codes []uint64, groupOf []int, layout codeLayout, n int) []uint64 {
	h := make([]uint64, n)
	for r, c := range codes {
		h[int(c)*layout.stride+groupOf[r]]++
	}
	return h
}

// Argument checks. They run before any evaluation and never echo data values.

func checkMatrix(values [][]float64, cols, maxRows int) error {
	if len(values) < 1 || len(values) > maxRows {
		return fmt.Errorf("%w: %d groups, want 1..%d", ErrInvalidArgument, len(values), maxRows)
	}
	for g, row := range values {
		if len(row) != cols {
			return fmt.Errorf("%w: group %d has %d sums, inputs have %d features", ErrInvalidArgument, g, len(row), cols)
		}
		if err := checkFinite(row); err != nil {
			return fmt.Errorf("group %d: %w", g, err)
		}
	}
	return nil
}

func checkFinite(v []float64) error {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 0x1p500 {
			return fmt.Errorf("%w: non-finite or out-of-range value", ErrInvalidArgument)
		}
	}
	return nil
}

func checkGroups(groupOf []int, groups, maxGroups int) error {
	if groups < 1 || groups > maxGroups {
		return fmt.Errorf("%w: %d groups, want 1..%d", ErrInvalidArgument, groups, maxGroups)
	}
	for r, g := range groupOf {
		if g < 0 || g >= groups {
			return fmt.Errorf("%w: row %d has group %d outside [0, %d)", ErrInvalidArgument, r, g, groups)
		}
	}
	return nil
}

func checkRows(features [][]float64, nFeatures int, groupOf []int, groups, maxGroups int) error {
	if len(features) != nFeatures {
		return fmt.Errorf("%w: %d feature columns, inputs have %d", ErrInvalidArgument, len(features), nFeatures)
	}
	for i, col := range features {
		if len(col) != len(groupOf) {
			return fmt.Errorf("%w: feature %d has %d rows, groupOf has %d", ErrInvalidArgument, i, len(col), len(groupOf))
		}
		if err := checkFinite(col); err != nil {
			return fmt.Errorf("feature %d: %w", i, err)
		}
	}
	return checkGroups(groupOf, groups, maxGroups)
}

func checkCodes(codes []uint64, groupOf []int, groups, codeSpace, maxGroups int, maxCount int64) error {
	if len(codes) != len(groupOf) {
		return fmt.Errorf("%w: %d codes, %d group assignments", ErrInvalidArgument, len(codes), len(groupOf))
	}
	if int64(len(codes)) > maxCount {
		return fmt.Errorf("%w: %d rows exceed the largest exact count %d", ErrInvalidArgument, len(codes), maxCount)
	}
	for r, c := range codes {
		if c >= uint64(codeSpace) {
			return fmt.Errorf("%w: row %d has a code outside [0, %d)", ErrInvalidArgument, r, codeSpace)
		}
	}
	return checkGroups(groupOf, groups, maxGroups)
}
