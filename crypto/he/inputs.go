package he

import (
	"fmt"
	"math"
	"math/big"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/ring"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"
)

// CKKS fixed-point layout (see doc.go, "Encodings"). The server turns each plaintext value
// into an integer of at most fixedPointBits bits (after a power-of-two normalization) so the
// plaintext×ciphertext products are exact; the client scales its weights so that any
// per-group result stays 2^headroomBits below the input modulus.
const (
	fixedPointBits = 52
	headroomBits   = 4
	maxAbsWeight   = 0x1p60
)

// Inputs is an encrypted inputs bundle: the developer's weights (linear_score), weight
// monomials (row_score) or code selection (exact_count), one job's worth.
type Inputs struct {
	set       ParamSet
	circuit   Circuit
	features  int
	degree    int
	codeSpace int
	scaleExp  int // CKKS: every ciphertext has scale 2^scaleExp
	cts       []*rlwe.Ciphertext
}

// Circuit is the circuit the inputs were encrypted for.
func (in *Inputs) Circuit() Circuit { return in.circuit }

// Len is the number of ciphertexts.
func (in *Inputs) Len() int { return len(in.cts) }

// EncryptLinearWeights encrypts one weight per feature for linear_score: each as a constant
// polynomial (the weight replicated in every slot) at the CKKS input level, under the secret
// key. The server multiplies them by plaintext group sums and adds; no evaluation key is
// needed.
func EncryptLinearWeights(keys *ClientKeys, weights []float64) (in *Inputs, err error) {
	defer recoverInternal("encrypt weights", &err)
	if len(weights) < 1 || len(weights) > MaxFeatures {
		return nil, fmt.Errorf("%w: %d weights, want 1..%d", ErrInvalidArgument, len(weights), MaxFeatures)
	}
	return encryptConstants(keys, CircuitLinearScore, len(weights), 1, weights)
}

// EncryptRowWeights encrypts, for row_score with a polynomial of the given degree, every
// monomial w^α of the weights with |α| ≤ degree (C(features+degree, degree) ciphertexts).
// The server combines them with per-group moment sums Σ_rows x^α and the polynomial's public
// coefficients, so Σ_rows p(x·w) needs neither relinearization nor Galois keys. Use degree
// 1 for a linear row score.
func EncryptRowWeights(keys *ClientKeys, weights []float64, degree int) (in *Inputs, err error) {
	defer recoverInternal("encrypt weights", &err)
	if len(weights) < 1 || len(weights) > MaxFeatures {
		return nil, fmt.Errorf("%w: %d weights, want 1..%d", ErrInvalidArgument, len(weights), MaxFeatures)
	}
	if degree < 1 || degree > MaxPolyDegree {
		return nil, fmt.Errorf("%w: degree %d, want 1..%d", ErrInvalidArgument, degree, MaxPolyDegree)
	}
	if monomialCount(len(weights), degree) < 0 {
		return nil, fmt.Errorf("%w: %d features at degree %d need more than %d ciphertexts", ErrInvalidArgument, len(weights), degree, MaxInputCiphertexts)
	}
	ms := monomials(len(weights), degree)
	values := make([]float64, len(ms))
	for i, m := range ms {
		values[i] = m.value(weights)
	}
	return encryptConstants(keys, CircuitRowScore, len(weights), degree, values)
}

func encryptConstants(keys *ClientKeys, c Circuit, features, degree int, values []float64) (*Inputs, error) {
	set := keys.set
	if !set.Supports(c) {
		return nil, fmt.Errorf("%w: circuit %s does not run on set %s", ErrParamsMismatch, c, set.Name())
	}
	maxAbs := 0.0
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > maxAbsWeight {
			return nil, fmt.Errorf("%w: weights must be finite and at most 2^60 in magnitude", ErrInvalidArgument)
		}
		maxAbs = math.Max(maxAbs, math.Abs(v))
	}
	in := &Inputs{set: set, circuit: c, features: features, degree: degree, scaleExp: inputScaleExp(set, maxAbs)}
	enc := rlwe.NewEncryptor(set.rlwe, keys.sk)
	for _, v := range values {
		pt := constantPlaintext(set, v, in.scaleExp)
		ct := rlwe.NewCiphertext(set.rlwe, 1, ckksInputLevel)
		if err := enc.Encrypt(pt, ct); err != nil {
			return nil, fmt.Errorf("%w: encrypt: %v", ErrInternal, err)
		}
		in.cts = append(in.cts, ct)
	}
	return in, nil
}

// inputScaleExp picks the client scale 2^e so that |Σ_j w_j·P_j[g]| ≤ max|w|·2^fixedPointBits
// times 2^e stays below Q/2^headroomBits at the input level.
func inputScaleExp(set ParamSet, maxAbs float64) int {
	logQ := set.modulusAtLevel(ckksInputLevel).BitLen() - 1
	return logQ - headroomBits - fixedPointBits - ceilLog2(maxAbs)
}

// ceilLog2 is ⌈log2 x⌉ for x > 0, and 0 for x = 0.
func ceilLog2(x float64) int {
	if x == 0 {
		return 0
	}
	frac, exp := math.Frexp(x)
	if frac == 0.5 {
		return exp - 1
	}
	return exp
}

// constantPlaintext encodes round(v·2^e) as the constant coefficient of a CKKS plaintext
// (coefficient encoding: the value is replicated in every slot).
func constantPlaintext(set ParamSet, v float64, e int) *rlwe.Plaintext {
	pt := rlwe.NewPlaintext(set.rlwe, ckksInputLevel)
	pt.Scale = rlwe.NewScale(math.Ldexp(1, e))
	pt.IsBatched = false
	x := roundScaled(v, e)
	setCoefficient(pt.Value, set.rlwe.Q(), ckksInputLevel, 0, x)
	set.rlwe.RingQ().AtLevel(ckksInputLevel).NTT(pt.Value, pt.Value)
	return pt
}

// roundScaled is round(v·2^e) as an exact big integer.
func roundScaled(v float64, e int) *big.Int {
	f := new(big.Float).SetPrec(0).SetFloat64(v)
	f.SetMantExp(f, e)
	if f.Sign() >= 0 {
		f.Add(f, big.NewFloat(0.5))
	} else {
		f.Sub(f, big.NewFloat(0.5))
	}
	x, _ := f.Int(nil) // truncation toward zero after ±0.5 is round-half-away
	return x
}

// setCoefficient writes the integer x as coefficient i of p (coefficient domain), modulo
// each prime.
func setCoefficient(p ring.Poly, moduli []uint64, level, i int, x *big.Int) {
	var r big.Int
	for l := 0; l <= level; l++ {
		r.Mod(x, new(big.Int).SetUint64(moduli[l]))
		p.Coeffs[l][i] = r.Uint64()
	}
}

// EncryptSelection encrypts exact_count's selection vector: 1 for each code in selected, 0
// for the other codes of [0, codeSpace). Layout: with C' the code space rounded up to a
// power of two and G' = N/C', slot c·G'+g holds sel[c] for every g < G' (the selection
// replicated once per group position). Which codes are selected stays secret from the
// operator.
func EncryptSelection(keys *ClientKeys, selected []uint64, codeSpace int) (in *Inputs, err error) {
	defer recoverInternal("encrypt selection", &err)
	set := keys.set
	if err := checkCircuitShape(set, CircuitExactCount, codeSpace); err != nil {
		return nil, err
	}
	layout := layoutFor(set.N(), codeSpace)
	values := make([]uint64, set.N())
	for _, c := range selected {
		if c >= uint64(codeSpace) {
			return nil, fmt.Errorf("%w: selected code %d outside [0, %d)", ErrInvalidArgument, c, codeSpace)
		}
		for g := 0; g < layout.stride; g++ {
			values[int(c)*layout.stride+g] = 1
		}
	}
	pt := bgv.NewPlaintext(set.bgv, bgvInputLevel)
	if err := bgv.NewEncoder(set.bgv).Encode(values, pt); err != nil {
		return nil, fmt.Errorf("%w: encode: %v", ErrInternal, err)
	}
	ct := bgv.NewCiphertext(set.bgv, 1, bgvInputLevel)
	if err := rlwe.NewEncryptor(set.rlwe, keys.sk).Encrypt(pt, ct); err != nil {
		return nil, fmt.Errorf("%w: encrypt: %v", ErrInternal, err)
	}
	return &Inputs{set: set, circuit: CircuitExactCount, codeSpace: codeSpace, cts: []*rlwe.Ciphertext{ct}}, nil
}

// MarshalBinary encodes the bundle: header, shape (features, degree, code space, count,
// level, scale exponent), then the ciphertexts.
func (in *Inputs) MarshalBinary() ([]byte, error) {
	level := inputLevel(in.set.Scheme())
	w := writer{b: make([]byte, 0, headerLen(in.set.Name())+12+len(in.cts)*2*polyBytes(in.set.N(), level))}
	w.header(header{kind: kindInputs, set: in.set.Name(), logN: in.set.LogN(), circuit: in.circuit})
	w.u16(uint16(in.features))
	w.u8(uint8(in.degree))
	w.u32(uint32(in.codeSpace))
	w.u16(uint16(len(in.cts)))
	w.u8(uint8(level))
	w.u16(uint16(in.scaleExp))
	for _, ct := range in.cts {
		w.poly(ct.Value[0], level)
		w.poly(ct.Value[1], level)
	}
	return w.b, nil
}

// ParseInputs decodes and validates an inputs bundle for set and circuit c: header, shape,
// count, level, scale and size, and that every coefficient is reduced.
func ParseInputs(set ParamSet, c Circuit, b []byte) (in *Inputs, err error) {
	defer recoverInternal("parse inputs", &err)
	if len(b) > MaxInputBytes {
		return nil, fmt.Errorf("%w: inputs are %d bytes, limit %d", ErrMalformed, len(b), MaxInputBytes)
	}
	r := reader{b: b}
	h, err := r.header(kindInputs, set)
	if err != nil {
		return nil, err
	}
	if h.circuit != c {
		return nil, fmt.Errorf("%w: inputs are for %s, job runs %s", ErrParamsMismatch, h.circuit, c)
	}
	in = &Inputs{set: set, circuit: c}
	in.features = int(r.u16())
	in.degree = int(r.u8())
	in.codeSpace = int(r.u32())
	count := int(r.u16())
	level := int(r.u8())
	in.scaleExp = int(r.u16())
	if r.err != nil {
		return nil, r.err
	}
	if err := in.checkShape(count); err != nil {
		return nil, err
	}
	if want := inputLevel(set.Scheme()); level != want {
		return nil, fmt.Errorf("%w: inputs at level %d, circuit needs level %d", ErrParamsMismatch, level, want)
	}
	n := set.N()
	if err := checkLen("inputs", len(b), headerLen(set.Name())+12+count*2*polyBytes(n, level)); err != nil {
		return nil, err
	}
	for range count {
		ct := in.newCiphertext()
		r.poly(ct.Value[0], set.rlwe.Q(), level)
		r.poly(ct.Value[1], set.rlwe.Q(), level)
		in.cts = append(in.cts, ct)
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return in, nil
}

// checkShape validates the declared shape against the circuit and the ciphertext count.
func (in *Inputs) checkShape(count int) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s inputs: "+format, append([]any{ErrMalformed, in.circuit}, args...)...)
	}
	switch in.circuit {
	case CircuitLinearScore, CircuitRowScore:
		if in.features < 1 || in.features > MaxFeatures {
			return bad("%d features, want 1..%d", in.features, MaxFeatures)
		}
		if in.codeSpace != 0 {
			return bad("code space set")
		}
		want := in.features
		if in.circuit == CircuitRowScore {
			if in.degree < 1 || in.degree > MaxPolyDegree {
				return bad("degree %d, want 1..%d", in.degree, MaxPolyDegree)
			}
			want = monomialCount(in.features, in.degree)
		} else if in.degree != 1 {
			return bad("degree %d, want 1", in.degree)
		}
		if want < 0 || count != want {
			return bad("%d ciphertexts, shape needs %d", count, want)
		}
		logQ := in.set.modulusAtLevel(ckksInputLevel).BitLen() - 1
		if in.scaleExp < 1 || in.scaleExp > logQ {
			return bad("scale 2^%d outside [2^1, 2^%d]", in.scaleExp, logQ)
		}
	case CircuitExactCount:
		if in.features != 0 || in.degree != 0 || in.scaleExp != 0 {
			return bad("features, degree or scale set")
		}
		if in.codeSpace < MinCodeSpace || in.codeSpace > MaxCodeSpace {
			return bad("code space %d outside [%d, %d]", in.codeSpace, MinCodeSpace, MaxCodeSpace)
		}
		if count != 1 {
			return bad("%d ciphertexts, want 1", count)
		}
	default:
		return bad("unknown circuit")
	}
	return nil
}

func (in *Inputs) newCiphertext() *rlwe.Ciphertext {
	if in.set.Scheme() == BGV {
		return bgv.NewCiphertext(in.set.bgv, 1, bgvInputLevel)
	}
	ct := rlwe.NewCiphertext(in.set.rlwe, 1, ckksInputLevel)
	ct.Scale = rlwe.NewScale(math.Ldexp(1, in.scaleExp))
	ct.IsBatched = false
	return ct
}
