package synth

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// Random streams. Each batch of each stream has its own PCG seeded from
// (seed, stream, batch), which is what makes parallel generation
// deterministic.
const (
	streamCore     = 1 // citizens' attributes that benefits depend on
	streamIdentity = 2 // citizens' names, phones, ID sequence numbers
	streamBenefits = 3
	streamPersonID = 4 // key of the person_id permutation
)

// splitmix64 is a bijective 64-bit mixer (Steele, Lea, Flood 2014).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// rng is a PCG stream with the few samplers the generator needs.
type rng struct {
	pcg *rand.PCG
	r   *rand.Rand // same stream, for NormFloat64
}

func newRNG(seed int64, stream, batch uint64) rng {
	a := splitmix64(uint64(seed) ^ splitmix64(stream<<40^batch))
	b := splitmix64(a ^ 0x5851f42d4c957f2d)
	p := rand.NewPCG(a, b)
	return rng{pcg: p, r: rand.New(p)}
}

// uint32n returns a uniform value in [0, n) (Lemire's multiply-shift; the
// bias for the small n used here is below 2^-20 and irrelevant).
func (g rng) uint32n(n uint32) uint32 {
	hi, _ := bits.Mul64(g.pcg.Uint64(), uint64(n))
	return uint32(hi)
}

// float64 returns a uniform value in [0, 1).
func (g rng) float64() float64 { return float64(g.pcg.Uint64()>>11) / (1 << 53) }

func (g rng) bernoulli(p float64) bool { return g.float64() < p }

func (g rng) norm() float64 { return g.r.NormFloat64() }

// alias is Vose's alias table for O(1) sampling from a discrete distribution.
type alias struct {
	prob  []uint32 // threshold on a 32-bit uniform; keep i below it
	alias []uint8
}

func newAlias(w []float64) alias {
	n := len(w)
	if n == 0 || n > 256 {
		panic("synth: alias table needs 1 to 256 weights") // programming error in data.go
	}
	var sum float64
	for _, x := range w {
		sum += x
	}
	scaled := make([]float64, n)
	var small, large []int
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	a := alias{prob: make([]uint32, n), alias: make([]uint8, n)}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.prob[s] = uint32(scaled[s] * (1 << 32))
		a.alias[s] = uint8(l)
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(small, large...) {
		a.prob[i] = math.MaxUint32
		a.alias[i] = uint8(i)
	}
	return a
}

func (a alias) sample(g rng) int {
	u := g.pcg.Uint64()
	i := int((u >> 32) * uint64(len(a.prob)) >> 32)
	if uint32(u) < a.prob[i] {
		return i
	}
	return int(a.alias[i])
}

// Dates are days since 1970-01-01, as in Arrow's date32.

// daysFromCivil returns the day number of a proleptic Gregorian date
// (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int32 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int32(era*146097 + doe - 719468)
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int32) (y, m, d int) {
	zz := int(z) + 719468
	era := zz / 146097
	if zz < 0 && zz%146097 != 0 {
		era--
	}
	doe := zz - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// putDigits writes v as exactly len(dst) decimal digits, zero-padded.
func putDigits(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// putISODate writes YYYY-MM-DD into dst[:10].
func putISODate(dst []byte, day int32) {
	y, m, d := civilFromDays(day)
	putDigits(dst[0:4], uint64(y))
	dst[4] = '-'
	putDigits(dst[5:7], uint64(m))
	dst[7] = '-'
	putDigits(dst[8:10], uint64(d))
}

// putYMD writes a YYYYMMDD number as YYYY-MM-DD into dst[:10].
func putYMD(dst []byte, ymd uint32) {
	putDigits(dst[0:4], uint64(ymd/10000))
	dst[4] = '-'
	putDigits(dst[5:7], uint64(ymd/100%100))
	dst[7] = '-'
	putDigits(dst[8:10], uint64(ymd%100))
}
