package he

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"
)

// DecodeLogPrecision: decrypted CKKS values are rounded to 2^-DecodeLogPrecision of the
// result's dynamic range (Q_in / 2^(E+1), where 2^E/(q1·q2) is the result scale). The
// flooding noise sits about 12 bits below that step, so the decoded values carry no bits
// of the ciphertext noise except at rounding ties. This is the rounding Lattigo's
// DecodePublic applies to slot-encoded values; results here are coefficient-encoded, which
// DecodePublic does not round, so Decrypt applies it itself.
const DecodeLogPrecision = 40

// Result is what leaves the sandbox for a homomorphic job: one ciphertext holding one value
// per group, masked, re-randomized and flooded. Only the developer's secret key decrypts it.
type Result struct {
	Set     string  // parameter set name
	Circuit Circuit // circuit that produced it
	Slots   int     // meaningful outputs: values 0..Slots-1 are the groups, in order
	// Ciphertext is the encoded result ciphertext: level u8 | scale exponent i32 | rescaled
	// levels u8 | BGV scale mod t u64 | c0 | c1.
	Ciphertext []byte
}

// resultScale describes the scale of a result ciphertext. CKKS: 2^exp / (q_1·…·q_divLevels)
// (the primes rescaled away); BGV: modT, the scale modulo t.
type resultScale struct {
	exp       int
	divLevels int
	modT      uint64
}

func encodeResultCT(ct *rlwe.Ciphertext, s resultScale) []byte {
	w := writer{}
	w.u8(uint8(ct.Level()))
	w.u32(uint32(int32(s.exp)))
	w.u8(uint8(s.divLevels))
	w.u64(s.modT)
	w.poly(ct.Value[0], ct.Level())
	w.poly(ct.Value[1], ct.Level())
	return w.b
}

const resultCTHeader = 14

// MarshalBinary encodes the result with the common header; Digest hashes exactly these bytes.
func (r Result) MarshalBinary() ([]byte, error) {
	spec, ok := specByName(r.Set)
	if !ok {
		return nil, fmt.Errorf("%w: %.32q", ErrUnknownParams, r.Set)
	}
	w := writer{b: make([]byte, 0, headerLen(spec.name)+4+len(r.Ciphertext))}
	w.header(header{kind: kindResult, set: spec.name, logN: spec.logN, circuit: r.Circuit})
	w.u32(uint32(r.Slots))
	w.b = append(w.b, r.Ciphertext...)
	return w.b, nil
}

// Digest is "sha256:<hex>" of MarshalBinary, for the job log. Replaying a job with the same
// inputs and seed reproduces it.
func (r Result) Digest() string {
	b, err := r.MarshalBinary()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ParseResult decodes a result produced by MarshalBinary and checks its shape against its
// named set.
func ParseResult(b []byte) (res Result, err error) {
	defer recoverInternal("parse result", &err)
	if len(b) > MaxResultBytes {
		return Result{}, fmt.Errorf("%w: result is %d bytes, limit %d", ErrMalformed, len(b), MaxResultBytes)
	}
	name, err := peekSet(b)
	if err != nil {
		return Result{}, err
	}
	set, err := Lookup(name)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	r := reader{b: b}
	h, err := r.header(kindResult, set)
	if err != nil {
		return Result{}, err
	}
	slots := int(r.u32())
	if r.err != nil {
		return Result{}, r.err
	}
	res = Result{Set: set.Name(), Circuit: h.circuit, Slots: slots, Ciphertext: append([]byte(nil), r.b...)}
	if _, _, err := res.ciphertext(set); err != nil {
		return Result{}, err
	}
	return res, nil
}

// ciphertext decodes and checks the result ciphertext for set.
func (r Result) ciphertext(set ParamSet) (*rlwe.Ciphertext, resultScale, error) {
	if !set.Supports(r.Circuit) {
		return nil, resultScale{}, fmt.Errorf("%w: %s result on set %s", ErrParamsMismatch, r.Circuit, set.Name())
	}
	if r.Slots < 1 || r.Slots > set.MaxGroups() {
		return nil, resultScale{}, fmt.Errorf("%w: %d result slots", ErrMalformed, r.Slots)
	}
	rd := reader{b: r.Ciphertext}
	level := int(rd.u8())
	s := resultScale{exp: int(int32(rd.u32())), divLevels: int(rd.u8()), modT: rd.u64()}
	if rd.err != nil {
		return nil, resultScale{}, rd.err
	}
	want := resultScale{divLevels: ckksInputLevel - ckksResultLevel}
	wantLevel := ckksResultLevel
	if set.Scheme() == BGV {
		want, wantLevel = resultScale{}, bgvResultLevel
		if s.modT == 0 || s.modT >= set.PlaintextModulus() {
			return nil, resultScale{}, fmt.Errorf("%w: result scale out of range", ErrMalformed)
		}
	} else if s.modT != 0 || s.exp < -4096 || s.exp > 4096 {
		return nil, resultScale{}, fmt.Errorf("%w: result scale out of range", ErrMalformed)
	}
	if level != wantLevel || s.divLevels != want.divLevels || (set.Scheme() == BGV && s.exp != 0) {
		return nil, resultScale{}, fmt.Errorf("%w: result at level %d, want %d", ErrParamsMismatch, level, wantLevel)
	}
	n := set.N()
	if err := checkLen("result ciphertext", len(r.Ciphertext), resultCTHeader+2*polyBytes(n, level)); err != nil {
		return nil, resultScale{}, err
	}
	ct := rlwe.NewCiphertext(set.rlwe, 1, level)
	rd.poly(ct.Value[0], set.rlwe.Q(), level)
	rd.poly(ct.Value[1], set.rlwe.Q(), level)
	if err := rd.done(); err != nil {
		return nil, resultScale{}, err
	}
	return ct, s, nil
}

// DecryptScores decrypts a linear_score or row_score result: one value per group, rounded to
// 2^-DecodeLogPrecision of the result's dynamic range. With inputs from this package the
// error is below 2^-36·B, where B = max_j|w_j| · Σ_j max_g|S[g][j]| (row_score: the moment
// sums scaled by the polynomial's coefficients) is the bound the encodings are sized for.
//
// Use a fresh key pair per job and never send decrypted values back to the platform: CKKS
// decryptions reveal information about the secret key (IND-CPA-D, Li and Micciancio 2021).
func DecryptScores(keys *ClientKeys, res Result) (out []float64, err error) {
	defer recoverInternal("decrypt", &err)
	set, ct, s, err := resultFor(keys, res)
	if err != nil {
		return nil, err
	}
	if set.Scheme() != CKKS {
		return nil, fmt.Errorf("%w: %s result holds counts; use DecryptCounts", ErrParamsMismatch, res.Circuit)
	}
	coeffs := decryptCoefficients(keys, ct)
	return decodeScores(set, coeffs[:res.Slots], s), nil
}

// DecryptCounts decrypts an exact_count result: one exact count per group.
func DecryptCounts(keys *ClientKeys, res Result) (out []int64, err error) {
	defer recoverInternal("decrypt", &err)
	set, ct, s, err := resultFor(keys, res)
	if err != nil {
		return nil, err
	}
	if set.Scheme() != BGV {
		return nil, fmt.Errorf("%w: %s result holds scores; use DecryptScores", ErrParamsMismatch, res.Circuit)
	}
	all, err := decodeSlots(keys, ct, s)
	if err != nil {
		return nil, err
	}
	return all[:res.Slots], nil
}

func resultFor(keys *ClientKeys, res Result) (ParamSet, *rlwe.Ciphertext, resultScale, error) {
	set := keys.set
	if res.Set != set.Name() {
		return ParamSet{}, nil, resultScale{}, fmt.Errorf("%w: result for set %.32q, keys for %s", ErrParamsMismatch, res.Set, set.Name())
	}
	ct, s, err := res.ciphertext(set)
	if err != nil {
		return ParamSet{}, nil, resultScale{}, err
	}
	return set, ct, s, nil
}

// decryptCoefficients returns the centered plaintext coefficients of a level-0 ciphertext.
func decryptCoefficients(keys *ClientKeys, ct *rlwe.Ciphertext) []int64 {
	params := keys.set.rlwe
	pt := rlwe.NewDecryptor(params, keys.sk).DecryptNew(ct)
	rq := params.RingQ().AtLevel(0)
	if pt.IsNTT {
		rq.INTT(pt.Value, pt.Value)
	}
	q := params.Q()[0]
	out := make([]int64, params.N())
	for i, c := range pt.Value.Coeffs[0] {
		if c > q/2 {
			out[i] = -int64(q - c)
		} else {
			out[i] = int64(c)
		}
	}
	return out
}

// decodeScores maps level-0 coefficients to values: c · (q_1·q_2) / 2^E, rounded to the
// decode step.
func decodeScores(set ParamSet, coeffs []int64, s resultScale) []float64 {
	qIn := set.modulusAtLevel(s.divLevels)
	div := new(big.Int).Quo(qIn, set.modulusAtLevel(0)) // q_1·…·q_divLevels
	stepExp := (qIn.BitLen() - 1) - s.exp - 1 - DecodeLogPrecision
	out := make([]float64, len(coeffs))
	var x big.Int
	f := new(big.Float).SetPrec(256)
	for i, c := range coeffs {
		x.Mul(x.SetInt64(c), div)
		f.SetInt(&x)
		f.SetMantExp(f, -s.exp)
		v, _ := f.Float64()
		out[i] = math.Ldexp(math.Round(math.Ldexp(v, -stepExp)), stepExp)
	}
	return out
}

// decodeSlots decrypts a BGV result and decodes every slot as a signed residue modulo t.
func decodeSlots(keys *ClientKeys, ct *rlwe.Ciphertext, s resultScale) ([]int64, error) {
	params := keys.set.bgv
	bct := bgv.NewCiphertext(params, 1, ct.Level())
	bct.Value = ct.Value
	bct.Scale = rlwe.NewScaleModT(float64(s.modT), params.PlaintextModulus())
	pt := rlwe.NewDecryptor(params, keys.sk).DecryptNew(bct)
	out := make([]int64, params.N())
	if err := bgv.NewEncoder(params).Decode(pt, out); err != nil {
		return nil, fmt.Errorf("%w: decode: %v", ErrInternal, err)
	}
	return out, nil
}
