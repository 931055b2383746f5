package noise

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"math/rand/v2"
)

// SecretSize is the least number of bytes of the secret a Generator is keyed with.
const SecretSize = 32

// label separates this construction's keys from every other use of the sandbox's secret.
const label = "inviso/noise/v1\x00"

// MaxScale is the largest noise scale (in the integer units noise is added in) a Laplace
// accepts: beyond it the released value would be all noise, and samples could leave int64.
const MaxScale = 1 << 50

// Errors.
var (
	ErrShortSecret = errors.New("noise: the secret must be at least 32 bytes")
	ErrNoLabel     = errors.New("noise: empty label")
	ErrScale       = errors.New("noise: invalid noise scale")
)

// Generator is a keyed, deterministic source of uniform bits. It is not safe for concurrent use.
type Generator struct {
	r   *rand.ChaCha8
	buf []byte
}

// NewGenerator returns the generator of one label (a job id) under the sandbox's secret.
func NewGenerator(secret []byte, lbl string) (*Generator, error) {
	if len(secret) < SecretSize {
		return nil, ErrShortSecret
	}
	if lbl == "" {
		return nil, ErrNoLabel
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	m.Write([]byte(lbl))
	var seed [32]byte
	m.Sum(seed[:0])
	return &Generator{r: rand.NewChaCha8(seed)}, nil
}

// Uint64 returns 64 uniform bits.
func (g *Generator) Uint64() uint64 { return g.r.Uint64() }

// below returns a uniform integer in [0, n) by rejection (no modulo bias); n > 0.
func (g *Generator) below(n *big.Int) *big.Int {
	if n.IsUint64() {
		return new(big.Int).SetUint64(g.belowUint64(n.Uint64()))
	}
	nbits := n.BitLen()
	nbytes := (nbits + 7) / 8
	if cap(g.buf) < nbytes {
		g.buf = make([]byte, nbytes)
	}
	b := g.buf[:nbytes]
	mask := byte(0xff >> (8*nbytes - nbits))
	v := new(big.Int)
	for {
		g.r.Read(b)
		b[0] &= mask
		if v.SetBytes(b).Cmp(n) < 0 {
			return v
		}
	}
}

func (g *Generator) belowUint64(n uint64) uint64 {
	mask := uint64(math.MaxUint64) >> bits.LeadingZeros64(n-1)
	if n == 1 {
		return 0
	}
	for {
		if v := g.r.Uint64() & mask; v < n {
			return v
		}
	}
}

// bernoulli returns true with probability num/den (0 ≤ num ≤ den, den > 0).
func (g *Generator) bernoulli(num, den *big.Int) bool { return g.below(den).Cmp(num) < 0 }

var one = big.NewInt(1)

// bernoulliExp returns true with probability exp(−num/den), num ≥ 0, den > 0 (CKS20, Alg. 1
// and its extension to γ > 1).
func (g *Generator) bernoulliExp(num, den *big.Int) bool {
	n := new(big.Int).Set(num)
	for n.Cmp(den) > 0 {
		if !g.bernoulliExpUnit(one, one) {
			return false
		}
		n.Sub(n, den)
	}
	return g.bernoulliExpUnit(n, den)
}

// bernoulliExpUnit is bernoulliExp for num/den in [0, 1]: K ← 1; while Bernoulli(γ/K), K++;
// true iff K is odd.
func (g *Generator) bernoulliExpUnit(num, den *big.Int) bool {
	k := int64(1)
	d := new(big.Int)
	kk := new(big.Int)
	for {
		d.Mul(den, kk.SetInt64(k))
		if !g.bernoulli(num, d) {
			break
		}
		k++
	}
	return k%2 == 1
}

// Laplace is the discrete Laplace distribution on the integers with scale b = t/s:
// P[Z = z] ∝ exp(−|z|·s/t).
type Laplace struct {
	t, s *big.Int
	b    float64 // t/s, for reporting only
}

// NewLaplace returns the discrete Laplace distribution of scale t/s (t, s > 0), refusing a
// scale above MaxScale.
func NewLaplace(t, s *big.Int) (Laplace, error) {
	if t == nil || s == nil || t.Sign() <= 0 || s.Sign() <= 0 {
		return Laplace{}, fmt.Errorf("%w: the scale must be a positive fraction", ErrScale)
	}
	if new(big.Int).Quo(t, s).Cmp(big.NewInt(MaxScale)) > 0 {
		return Laplace{}, fmt.Errorf("%w: scale above 2^50", ErrScale)
	}
	b, _ := new(big.Rat).SetFrac(t, s).Float64()
	return Laplace{t: new(big.Int).Set(t), s: new(big.Int).Set(s), b: b}, nil
}

// ForEpsilon is the mechanism for an integer aggregate of L1 sensitivity delta under a privacy
// loss of epsMicro millionths: scale delta·10⁶/epsMicro, exactly.
func ForEpsilon(delta uint64, epsMicro int64) (Laplace, error) {
	if delta == 0 || epsMicro <= 0 {
		return Laplace{}, fmt.Errorf("%w: sensitivity and epsilon must be positive", ErrScale)
	}
	t := new(big.Int).Mul(new(big.Int).SetUint64(delta), big.NewInt(1_000_000))
	return NewLaplace(t, big.NewInt(epsMicro))
}

// Sample draws one value (CKS20, Algorithm 2).
func (l Laplace) Sample(g *Generator) int64 {
	x := new(big.Int)
	y := new(big.Int)
	for {
		u := g.below(l.t)
		if !g.bernoulliExp(u, l.t) {
			continue
		}
		v := int64(0)
		for g.bernoulliExpUnit(one, one) {
			v++
		}
		x.Mul(l.t, big.NewInt(v))
		x.Add(x, u)
		y.Quo(x, l.s)
		neg := g.belowUint64(2) == 1
		if neg && y.Sign() == 0 {
			continue
		}
		if !y.IsInt64() {
			continue // beyond 2^63 at a scale ≤ 2^50: probability below e^-8000
		}
		if neg {
			return -y.Int64()
		}
		return y.Int64()
	}
}

// Scale is b = t/s, as a float (for reporting).
func (l Laplace) Scale() float64 { return l.b }

// p is exp(−1/b), the ratio of successive probabilities.
func (l Laplace) p() float64 { return math.Exp(-1 / l.b) }

// Variance is 2p/(1−p)², p = exp(−1/b).
func (l Laplace) Variance() float64 {
	p := l.p()
	return 2 * p / ((1 - p) * (1 - p))
}

// TailAbove is P[Z ≥ m] = p^m/(1+p) for m ≥ 1.
func (l Laplace) TailAbove(m int64) float64 {
	if m <= 0 {
		return 1
	}
	p := l.p()
	return math.Pow(p, float64(m)) / (1 + p)
}

// Interval is the smallest w with P[|Z| ≤ w] ≥ level (0 < level < 1): the half-width of the
// central interval that holds the noise with that probability. P[|Z| > w] = 2p^(w+1)/(1+p).
func (l Laplace) Interval(level float64) int64 {
	p := l.p()
	if p == 0 {
		return 0
	}
	w := math.Ceil(math.Log((1-level)*(1+p)/2)/math.Log(p)) - 1
	if w < 0 {
		w = 0
	}
	for w > 0 && 2*math.Pow(p, w)/(1+p) <= 1-level { // float rounding: keep w the smallest
		w--
	}
	for 2*math.Pow(p, w+1)/(1+p) > 1-level {
		w++
	}
	return int64(w)
}

// Threshold is the smallest m ≥ 1 with P[Z ≥ m] ≤ delta: a quantity whose true value is 1
// passes "value + Z ≥ 1 + m" with probability at most delta.
func (l Laplace) Threshold(delta float64) int64 {
	p := l.p()
	if p == 0 {
		return 1
	}
	m := math.Max(1, math.Ceil(math.Log(delta*(1+p))/math.Log(p)))
	for l.TailAbove(int64(m)) > delta {
		m++
	}
	return int64(m)
}
