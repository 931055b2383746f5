package he

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/ring"
	"github.com/tuneinsight/lattigo/v6/utils/sampling"
)

// Circuit privacy (see doc.go). Before a result leaves, the server
//
//  1. zeroes every position that is not an intended output (a plaintext mask),
//  2. adds a fresh encryption of zero under the developer's public key, so the result's
//     c1 is a fresh RLWE sample and carries nothing the developer put into its inputs,
//  3. adds flooding noise, uniform on [-2^b, 2^b) in every coefficient, with b chosen so the
//     statistical distance between the results for any two databases with the same
//     intended outputs is at most 2^-floodStatBits (for well-formed inputs),
//  4. rescales to the output level (a deterministic post-processing).
//
// All randomness comes from a keyed BLAKE2b XOF seeded by the sandbox (secret and job id), and
// every sampler is integer-only, so the same inputs and seed give a bit-identical result on
// any platform.
const (
	floodStatBits = 40
	// freshNoiseBits bounds |e| of a freshly encrypted input coefficient: Lattigo's Gaussian
	// sampler (sigma 3.2) truncates at 19.2 < 2^5; one bit of slack.
	freshNoiseBits = 6
	// bgvNoiseBits bounds the BGV noise coefficients before flooding (product with the
	// histogram, rescale, rotations, mask, rescale), a deterministic worst case.
	bgvNoiseBits = 20
	// cbdEta is the centered binomial parameter of the re-randomization error: variance
	// eta/2 = 10.5, standard deviation 3.24 (Lattigo's default error has 3.2).
	cbdEta = 21
)

// privacy switches exist for the attack tests only: the public entry points always use
// productionPrivacy.
type privacy struct {
	mask        bool
	rerandomize bool
	flood       bool
}

func productionPrivacy() privacy { return privacy{mask: true, rerandomize: true, flood: true} }

// newPRNG derives the job's deterministic randomness source. The circuit is mixed in so two
// circuits run with the same seed draw independent streams.
func newPRNG(seed []byte, c Circuit) (*sampling.KeyedPRNG, error) {
	if len(seed) < MinSeedBytes {
		return nil, fmt.Errorf("%w: seed is %d bytes, want at least %d", ErrInvalidArgument, len(seed), MinSeedBytes)
	}
	h := sha256.New()
	h.Write([]byte("inviso/crypto/he/v1 result randomness\x00"))
	h.Write([]byte{byte(c)})
	h.Write(seed)
	prng, err := sampling.NewKeyedPRNG(h.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("%w: prng: %v", ErrInternal, err)
	}
	return prng, nil
}

// sampler draws small integer polynomials from a PRNG, byte-exactly reproducible.
type sampler struct {
	r   io.Reader
	buf []byte
	err error
}

func (s *sampler) read(n int) []byte {
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	b := s.buf[:n]
	if s.err == nil {
		_, s.err = io.ReadFull(s.r, b)
	}
	return b
}

// ternary fills v with uniform values in {-1, 0, 1} (rejection sampling on bytes).
func (s *sampler) ternary(v []int64) {
	for i := 0; i < len(v); {
		for _, b := range s.read(len(v) - i) {
			if b >= 255 || i == len(v) {
				continue
			}
			v[i] = int64(b%3) - 1
			i++
		}
		if s.err != nil {
			return
		}
	}
}

// cbd fills v with a centered binomial distribution of parameter cbdEta.
func (s *sampler) cbd(v []int64) {
	const mask = 1<<cbdEta - 1
	raw := s.read(8 * len(v))
	for i := range v {
		x := binary.LittleEndian.Uint64(raw[8*i:])
		v[i] = int64(bits.OnesCount64(x&mask)) - int64(bits.OnesCount64((x>>cbdEta)&mask))
	}
}

// smallPoly writes the signed small coefficients v into p (coefficient domain) at level.
func smallPoly(p ring.Poly, moduli []uint64, level int, v []int64) {
	for l := 0; l <= level; l++ {
		q := moduli[l]
		for i, x := range v {
			if x >= 0 {
				p.Coeffs[l][i] = uint64(x)
			} else {
				p.Coeffs[l][i] = q - uint64(-x)
			}
		}
	}
}

// uniformBits fills p (coefficient domain, at level) with independent integers uniform on
// [-2^b, 2^b), reduced modulo each prime.
func (s *sampler) uniformBits(p ring.Poly, moduli []uint64, level, b int) {
	limbs := (b + 1 + 63) / 64
	topBits := uint(b + 1 - 64*(limbs-1))
	n := len(p.Coeffs[0])
	raw := s.read(8 * limbs * n)
	offsets := make([]uint64, level+1) // 2^b mod q_l
	for l := range offsets {
		offsets[l] = pow2Mod(b, moduli[l])
	}
	for i := 0; i < n; i++ {
		limb := raw[8*limbs*i:]
		for l := 0; l <= level; l++ {
			q := moduli[l]
			var r uint64
			for k := limbs - 1; k >= 0; k-- { // most significant limb first
				x := binary.LittleEndian.Uint64(limb[8*k:])
				if k == limbs-1 && topBits < 64 {
					x &= 1<<topBits - 1
				}
				r = bits.Rem64(r, x, q)
			}
			// r = U mod q with U uniform on [0, 2^(b+1)); the sample is U - 2^b.
			if r >= offsets[l] {
				r -= offsets[l]
			} else {
				r = r + q - offsets[l]
			}
			p.Coeffs[l][i] = r
		}
	}
}

func pow2Mod(b int, q uint64) uint64 {
	r := uint64(1) % q
	for range b {
		hi, lo := bits.Mul64(r, 2)
		r = bits.Rem64(hi, lo, q)
	}
	return r
}

// rerandomize adds to ct (NTT domain, at the zero key's level) a fresh public-key encryption of
// zero, (u·pk0 + e0, u·pk1 + e1), and, if floodBits > 0, flooding noise on c0. Nothing here
// depends on the data: it only hides what the ciphertext already carries.
func rerandomize(params rlwe.Parameters, ct *rlwe.Ciphertext, zero [2]ring.Poly, prng io.Reader, doZero bool, floodBits int) error {
	level := ct.Level()
	if zero[0].Level() != level || ct.Degree() != 1 || !ct.IsNTT {
		return fmt.Errorf("%w: re-randomization at level %d with a key at level %d", ErrInternal, level, zero[0].Level())
	}
	rq := params.RingQ().AtLevel(level)
	moduli := params.Q()
	n := params.N()
	s := &sampler{r: prng}
	small := make([]int64, n)
	tmp := rq.NewPoly()
	if doZero {
		s.ternary(small)
		smallPoly(tmp, moduli, level, small)
		rq.NTT(tmp, tmp)
		rq.MulCoeffsMontgomeryThenAdd(tmp, zero[0], ct.Value[0])
		rq.MulCoeffsMontgomeryThenAdd(tmp, zero[1], ct.Value[1])
		for i := 0; i < 2; i++ {
			s.cbd(small)
			smallPoly(tmp, moduli, level, small)
			rq.NTT(tmp, tmp)
			rq.Add(ct.Value[i], tmp, ct.Value[i])
		}
	}
	if floodBits > 0 {
		s.uniformBits(tmp, moduli, level, floodBits)
		rq.NTT(tmp, tmp)
		rq.Add(ct.Value[0], tmp, ct.Value[0])
	}
	if s.err != nil {
		return fmt.Errorf("%w: prng: %v", ErrInternal, s.err)
	}
	return nil
}

// floodBitsFor is b such that N·2^noiseBits / 2^(b+1) ≤ 2^-floodStatBits: the statistical
// distance, over all N coefficients, between the flooded noise and the flooding alone.
func floodBitsFor(logN, noiseBits int) int {
	return floodStatBits + logN + noiseBits - 1
}

// recoverInternal turns a panic inside Lattigo into an ErrInternal error at the package
// boundary. The panic value is not included: it could describe internal state.
func recoverInternal(op string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %s aborted", ErrInternal, op)
	}
}
