package he

import "fmt"

// Circuit names one of the fixed, reviewed circuits.
type Circuit uint8

// Circuits. Their string forms are the job API's "circuit" values.
const (
	CircuitLinearScore Circuit = iota + 1 // per group: Σ_i S_{g,i}·w_i over plaintext group sums (CKKS)
	CircuitRowScore                       // per group: Σ_rows p(x·w) for an approved polynomial p (CKKS)
	CircuitExactCount                     // per group: #rows whose code is in a secret selection (BGV)
)

func (c Circuit) String() string {
	switch c {
	case CircuitLinearScore:
		return "linear_score"
	case CircuitRowScore:
		return "row_score"
	case CircuitExactCount:
		return "exact_count"
	}
	return fmt.Sprintf("circuit(%d)", uint8(c))
}

// ParseCircuit maps an API name ("linear_score", …) to a Circuit.
func ParseCircuit(name string) (Circuit, error) {
	for _, c := range []Circuit{CircuitLinearScore, CircuitRowScore, CircuitExactCount} {
		if c.String() == name {
			return c, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown circuit %q", ErrInvalidArgument, name)
}

// Size limits. Decoders check a blob's length against them before allocating anything.
const (
	// MaxMaterialBytes bounds evaluation material (bgv-n14 with 10 Galois keys ≈ 31 MiB).
	MaxMaterialBytes = 48 << 20
	// MaxInputBytes bounds an inputs bundle (256 ciphertexts at ckks-n14 ≈ 192 MiB).
	MaxInputBytes = 200 << 20
	// MaxResultBytes bounds a result (one ciphertext at level 0 plus a header).
	MaxResultBytes = 1 << 20
	// MaxFeatures bounds the weights of linear_score and row_score.
	MaxFeatures = 64
	// MaxPolyDegree bounds row_score's polynomial. Degree d sends one ciphertext per
	// monomial of degree ≤ d in the features.
	MaxPolyDegree = 3
	// MaxInputCiphertexts bounds the ciphertexts of one inputs bundle (monomials for
	// row_score: 8 features at degree 3 is 165).
	MaxInputCiphertexts = 256
	// MinCodeSpace and MaxCodeSpace bound exact_count's code space.
	MinCodeSpace = 2
	MaxCodeSpace = 1024
	// MinSeedBytes is the shortest accepted randomness seed.
	MinSeedBytes = 32
)

// Levels. CKKS inputs sit at the top of a 3-prime chain; the product needs no rescale
// (coefficient encoding, see doc.go), flooding happens at level 2 and two rescales bring the
// result to level 0. BGV inputs sit at level 3; level 2 holds the rotations and the mask,
// flooding happens at level 1 and one rescale brings the result to level 0.
const (
	ckksInputLevel   = 2
	ckksResultLevel  = 0
	bgvInputLevel    = 3
	bgvRotationLevel = 2
	bgvFloodLevel    = 1
	bgvResultLevel   = 0
)

func inputLevel(s Scheme) int {
	if s == BGV {
		return bgvInputLevel
	}
	return ckksInputLevel
}

// zeroKeyLevel is the level of the public key the server uses to re-randomize results.
func zeroKeyLevel(s Scheme) int {
	if s == BGV {
		return bgvFloodLevel
	}
	return ckksInputLevel
}

// codeLayout describes exact_count's slot layout for a code space: C' = the code space
// rounded up to a power of two (at least 2) and G' = N/C' slots per code block. Slot
// c·G' + g holds code c of group g.
type codeLayout struct {
	codes  int // C'
	stride int // G'
}

func layoutFor(n, codeSpace int) codeLayout {
	c := 2
	for c < codeSpace {
		c <<= 1
	}
	return codeLayout{codes: c, stride: n / c}
}

// rotations lists the column rotations exact_count uses: G'·2^j for 2^j < C'/2. Together
// with the row swap they sum every code block of a group.
func (l codeLayout) rotations() []int {
	var r []int
	for j := 1; j < l.codes/2; j <<= 1 {
		r = append(r, l.stride*j)
	}
	return r
}

// ExactCountCapacity is the largest number of groups exact_count handles for a code space on
// set p (0 if p is not a BGV set or the code space is out of range).
func ExactCountCapacity(p ParamSet, codeSpace int) int {
	if p.Scheme() != BGV || codeSpace < MinCodeSpace || codeSpace > MaxCodeSpace {
		return 0
	}
	return layoutFor(p.N(), codeSpace).stride
}
