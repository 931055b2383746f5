package he

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/ring"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"
	"github.com/tuneinsight/lattigo/v6/schemes/ckks"
)

// Sentinel errors. Every error this package returns wraps exactly one of them, so callers
// (the jobs API, the CLI) map them to stable codes with errors.Is.
var (
	// ErrUnknownParams: the parameter set name is not one of the named sets.
	ErrUnknownParams = errors.New("he: unknown parameter set")
	// ErrInsecureParams: the parameters are outside the 128-bit HE-standard bounds.
	ErrInsecureParams = errors.New("he: insecure parameters")
	// ErrMalformed: key material, inputs or a result cannot be decoded (truncated, corrupt,
	// wrong count, out-of-range coefficients, too large).
	ErrMalformed = errors.New("he: malformed encoding")
	// ErrParamsMismatch: the material or inputs were built for another parameter set, ring
	// degree, circuit, level or shape than the job.
	ErrParamsMismatch = errors.New("he: parameters mismatch")
	// ErrInvalidArgument: the caller (not the developer's ciphertexts) passed unusable
	// arguments: empty groups, ragged rows, non-finite values, codes out of range, bad seed.
	ErrInvalidArgument = errors.New("he: invalid argument")
	// ErrInternal: Lattigo panicked on inputs that passed validation. The evaluation is
	// aborted; nothing is returned.
	ErrInternal = errors.New("he: internal error")
)

// Scheme is the homomorphic scheme of a parameter set.
type Scheme uint8

// Schemes.
const (
	CKKS Scheme = iota + 1 // approximate arithmetic over reals: linear_score, row_score
	BGV                    // exact arithmetic modulo a prime t: exact_count
)

func (s Scheme) String() string {
	switch s {
	case CKKS:
		return "ckks"
	case BGV:
		return "bgv"
	}
	return fmt.Sprintf("scheme(%d)", uint8(s))
}

// maxLogQP is the largest log2(QP) that keeps 128-bit classical security for a ring degree
// 2^logN with a uniform ternary secret and error of standard deviation ≈ 3.2: Table 1 of the
// Homomorphic Encryption Security Standard (Albrecht et al., HomomorphicEncryption.org,
// November 2018, "uniform ternary secret, 128-bit classical security"):
//
//	n      1024  2048  4096  8192  16384  32768
//	logQP    27    54   109   218    438    881
//
// Ring degrees outside the table are refused.
func maxLogQP(logN int) (int, bool) {
	switch logN {
	case 10:
		return 27, true
	case 11:
		return 54, true
	case 12:
		return 109, true
	case 13:
		return 218, true
	case 14:
		return 438, true
	case 15:
		return 881, true
	}
	return 0, false
}

// CheckSecurity reports whether a ring degree 2^logN with a total modulus of logQP bits is
// within the 128-bit HE-standard bound (see maxLogQP). It returns an error wrapping
// ErrInsecureParams otherwise.
func CheckSecurity(logN int, logQP float64) error {
	bound, ok := maxLogQP(logN)
	if !ok {
		return fmt.Errorf("%w: ring degree 2^%d is not in the HE-standard table (2^10..2^15)", ErrInsecureParams, logN)
	}
	if math.IsNaN(logQP) || logQP <= 0 || logQP > float64(bound) {
		return fmt.Errorf("%w: log2(QP)=%.1f exceeds %d, the 128-bit bound for ring degree 2^%d", ErrInsecureParams, logQP, bound, logN)
	}
	return nil
}

// ValidateParameters checks arbitrary Lattigo parameters against this package's security
// rules: ring degree and log2(QP) within the HE-standard 128-bit table, a uniform ternary
// secret (no sparse secrets) and a Gaussian error of standard deviation at least 3.2.
// Lattigo itself checks none of this.
func ValidateParameters(p rlwe.Parameters) error {
	if err := CheckSecurity(p.LogN(), p.LogQP()); err != nil {
		return err
	}
	xs, ok := p.Xs().(ring.Ternary)
	if !ok || xs.H != 0 || math.Abs(xs.P-2.0/3.0) > 1e-9 {
		return fmt.Errorf("%w: secret must be uniform ternary (P=2/3, no fixed Hamming weight)", ErrInsecureParams)
	}
	xe, ok := p.Xe().(ring.DiscreteGaussian)
	if !ok || xe.Sigma < rlwe.DefaultNoise || xe.Bound+1e-9 < 6*xe.Sigma {
		return fmt.Errorf("%w: error must be a discrete Gaussian with sigma >= %.1f", ErrInsecureParams, rlwe.DefaultNoise)
	}
	return nil
}

// setSpec is the literal definition of a named parameter set. The moduli are pinned (not
// generated at run time) so a name always means the same ring.
type setSpec struct {
	name   string
	scheme Scheme
	logN   int
	q, p   []uint64
	t      uint64 // BGV plaintext modulus
}

// Moduli: NTT-friendly primes of about 60 bits, generated once with
// rlwe.GenModuli(logN+1, …) and pinned. bgvT is the NTT-friendly prime 4294475777 ≈ 2^32,
// t ≡ 1 mod 2^15, so BGV slots work at ring degree 2^14 and counts up to (t-1)/2 decode exactly.
const bgvT = 4294475777

func specs() []setSpec {
	n13 := []uint64{1152921504606830593, 1152921504606748673, 1152921504606994433}
	n14 := []uint64{1152921504606748673, 1152921504606683137, 1152921504606584833, 1152921504607338497}
	n14p := []uint64{1152921504605962241}
	return []setSpec{
		// logQP ≈ 180 ≤ 218. No P: the CKKS circuits use no key switching.
		{name: "ckks-n13", scheme: CKKS, logN: 13, q: n13},
		// logQP ≈ 180 ≤ 438: more output coefficients (groups), same moduli shape.
		{name: "ckks-n14", scheme: CKKS, logN: 14, q: n14[:3]},
		// logQP ≈ 300 ≤ 438. Four levels: product, rotations+mask, flooding, output.
		{name: "bgv-n14", scheme: BGV, logN: 14, q: n14, p: n14p, t: bgvT},
	}
}

// SetNames lists the named parameter sets, sorted.
func SetNames() []string {
	var names []string
	for _, s := range specs() {
		names = append(names, s.name)
	}
	slices.Sort(names)
	return names
}

// DefaultSetName is the set used when a job does not name one.
func DefaultSetName(c Circuit) string {
	if c == CircuitExactCount {
		return "bgv-n14"
	}
	return "ckks-n13"
}

// ParamSet is a named, validated 128-bit parameter set. The zero value is unusable; obtain
// one from Lookup.
type ParamSet struct {
	spec setSpec
	rlwe rlwe.Parameters
	ckks ckks.Parameters
	bgv  bgv.Parameters
}

// Lookup returns the named parameter set. Unknown names are refused with ErrUnknownParams;
// a set that fails ValidateParameters (which would be a bug in the table) with
// ErrInsecureParams.
//
// Lookup builds the set's rings (5-25 ms); keep the ParamSet rather than looking it up per
// call. A ParamSet is immutable and safe for concurrent use.
func Lookup(name string) (ParamSet, error) {
	s, ok := specByName(name)
	if !ok {
		return ParamSet{}, fmt.Errorf("%w: %.32q (known: %v)", ErrUnknownParams, name, SetNames())
	}
	return build(s)
}

func specByName(name string) (setSpec, bool) {
	for _, s := range specs() {
		if s.name == name {
			return s, true
		}
	}
	return setSpec{}, false
}

func build(s setSpec) (ParamSet, error) {
	ps := ParamSet{spec: s}
	var err error
	switch s.scheme {
	case CKKS:
		ps.ckks, err = ckks.NewParametersFromLiteral(ckks.ParametersLiteral{
			LogN: s.logN, Q: s.q, P: s.p,
			Xs: ring.Ternary{P: 2.0 / 3.0}, Xe: rlwe.DefaultXe, LogDefaultScale: 40,
		})
		ps.rlwe = ps.ckks.Parameters
	case BGV:
		ps.bgv, err = bgv.NewParametersFromLiteral(bgv.ParametersLiteral{
			LogN: s.logN, Q: s.q, P: s.p,
			Xs: ring.Ternary{P: 2.0 / 3.0}, Xe: rlwe.DefaultXe, PlaintextModulus: s.t,
		})
		ps.rlwe = ps.bgv.Parameters
	}
	if err != nil {
		return ParamSet{}, fmt.Errorf("%w: building %s: %v", ErrInsecureParams, s.name, err)
	}
	if err := ValidateParameters(ps.rlwe); err != nil {
		return ParamSet{}, fmt.Errorf("%s: %w", s.name, err)
	}
	return ps, nil
}

// Name is the set's name, e.g. "ckks-n13".
func (p ParamSet) Name() string { return p.spec.name }

// Scheme is CKKS or BGV.
func (p ParamSet) Scheme() Scheme { return p.spec.scheme }

// LogN is log2 of the ring degree.
func (p ParamSet) LogN() int { return p.spec.logN }

// N is the ring degree.
func (p ParamSet) N() int { return 1 << p.spec.logN }

// LogQP is log2 of the full modulus, the quantity the security table bounds.
func (p ParamSet) LogQP() float64 { return p.rlwe.LogQP() }

// PlaintextModulus is BGV's t (0 for CKKS).
func (p ParamSet) PlaintextModulus() uint64 { return p.spec.t }

// MaxExactCount is the largest count exact_count returns exactly: (t-1)/2, since results are
// decoded as signed residues modulo t. 0 for CKKS sets.
func (p ParamSet) MaxExactCount() int64 {
	if p.spec.scheme != BGV {
		return 0
	}
	return int64((p.spec.t - 1) / 2)
}

// MaxGroups is the largest number of groups a single result ciphertext carries: one
// coefficient per group for CKKS; for BGV it depends on the code space (see
// ExactCountCapacity).
func (p ParamSet) MaxGroups() int {
	if p.spec.scheme == BGV {
		return p.N() / 2
	}
	return p.N()
}

// Supports reports whether circuit c runs on this set.
func (p ParamSet) Supports(c Circuit) bool {
	switch c {
	case CircuitLinearScore, CircuitRowScore:
		return p.spec.scheme == CKKS
	case CircuitExactCount:
		return p.spec.scheme == BGV
	}
	return false
}

// modulusAtLevel returns q_0·…·q_level.
func (p ParamSet) modulusAtLevel(level int) *big.Int {
	return new(big.Int).Set(p.rlwe.RingQ().ModulusAtLevel[level])
}
