package noise

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"testing"
)

var secret = bytes.Repeat([]byte{7}, SecretSize)

func gen(t testing.TB, lbl string) *Generator {
	t.Helper()
	g, err := NewGenerator(secret, lbl)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestLaplaceMoments draws many samples at several scales, integral and not, and compares the
// mean, the variance and P[Z = 0] with the theory within a few standard errors.
func TestLaplaceMoments(t *testing.T) {
	for name, sc := range map[string][2]int64{"b=3": {3, 1}, "b=2.5": {5, 2}, "b=0.4": {2, 5}, "b=40": {40, 1}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l, err := NewLaplace(big.NewInt(sc[0]), big.NewInt(sc[1]))
			if err != nil {
				t.Fatal(err)
			}
			g := gen(t, "moments/"+name)
			const n = 200_000
			var sum, sumsq float64
			zeros := 0
			for range n {
				z := float64(l.Sample(g))
				sum += z
				sumsq += z * z
				if z == 0 {
					zeros++
				}
			}
			mean := sum / n
			variance := sumsq/n - mean*mean
			want := l.Variance()
			if se := math.Sqrt(want / n); math.Abs(mean) > 5*se {
				t.Errorf("mean %.4f, want 0 ± %.4f", mean, 5*se)
			}
			// The variance of the sample variance is about (μ4 − σ⁴)/n; for Laplace-like tails μ4 ≈ 6σ⁴.
			if se := math.Sqrt(5*want*want/n) * 5; math.Abs(variance-want) > se {
				t.Errorf("variance %.4f, want %.4f ± %.4f", variance, want, se)
			}
			p := l.p()
			p0 := (1 - p) / (1 + p)
			if se := math.Sqrt(p0*(1-p0)/n) * 5; math.Abs(float64(zeros)/n-p0) > se {
				t.Errorf("P[Z=0] %.4f, want %.4f ± %.4f", float64(zeros)/n, p0, se)
			}
		})
	}
}

func TestBernoulliExp(t *testing.T) {
	g := gen(t, "bernoulli")
	for _, c := range [][2]int64{{1, 2}, {23, 10}, {0, 5}, {7, 7}} {
		const n = 100_000
		hits := 0
		for range n {
			if g.bernoulliExp(big.NewInt(c[0]), big.NewInt(c[1])) {
				hits++
			}
		}
		want := math.Exp(-float64(c[0]) / float64(c[1]))
		if se := math.Sqrt(want*(1-want)/n)*5 + 1e-9; math.Abs(float64(hits)/n-want) > se {
			t.Errorf("exp(-%d/%d): %.4f, want %.4f ± %.4f", c[0], c[1], float64(hits)/n, want, se)
		}
	}
}

func TestUniformBelowIsUnbiased(t *testing.T) {
	g := gen(t, "uniform")
	big3 := new(big.Int).Lsh(big.NewInt(3), 70) // beyond uint64: the byte path
	counts := [3]int{}
	third := new(big.Int).Lsh(big.NewInt(1), 70)
	const n = 60_000
	for range n {
		v := g.below(big3)
		counts[new(big.Int).Quo(v, third).Int64()]++
	}
	for i, c := range counts {
		if math.Abs(float64(c)-n/3) > 5*math.Sqrt(n*2/9.0) {
			t.Errorf("bucket %d: %d of %d", i, c, n)
		}
	}
}

func TestGeneratorIsKeyedAndReproducible(t *testing.T) {
	l, _ := ForEpsilon(1, 500_000)
	draw := func(secret []byte, lbl string) []int64 {
		g, err := NewGenerator(secret, lbl)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int64, 64)
		for i := range out {
			out[i] = l.Sample(g)
		}
		return out
	}
	a, b := draw(secret, "job_1"), draw(secret, "job_1")
	if !equal(a, b) {
		t.Fatal("the same secret and label gave different noise")
	}
	if equal(a, draw(secret, "job_2")) {
		t.Error("two labels gave the same noise")
	}
	other := bytes.Repeat([]byte{8}, SecretSize)
	if equal(a, draw(other, "job_1")) {
		t.Error("two secrets gave the same noise")
	}
}

func equal(a, b []int64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestRefusals(t *testing.T) {
	if _, err := NewGenerator(secret[:31], "x"); !errors.Is(err, ErrShortSecret) {
		t.Errorf("short secret: %v", err)
	}
	if _, err := NewGenerator(secret, ""); !errors.Is(err, ErrNoLabel) {
		t.Errorf("empty label: %v", err)
	}
	for name, c := range map[string]struct {
		delta uint64
		eps   int64
	}{"zero sensitivity": {0, 1}, "zero epsilon": {1, 0}, "negative epsilon": {1, -5}, "scale too large": {1 << 40, 1}} {
		if _, err := ForEpsilon(c.delta, c.eps); !errors.Is(err, ErrScale) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestIntervalAndThreshold checks the reported interval and threshold against the exact tail
// formula and against samples.
func TestIntervalAndThreshold(t *testing.T) {
	l, err := ForEpsilon(1, 250_000) // b = 4
	if err != nil {
		t.Fatal(err)
	}
	if l.Scale() != 4 {
		t.Fatalf("scale %v", l.Scale())
	}
	w := l.Interval(0.95)
	p := l.p()
	out := func(w int64) float64 { return 2 * math.Pow(p, float64(w+1)) / (1 + p) }
	if out(w) > 0.05 || out(w-1) <= 0.05 {
		t.Errorf("interval %d is not the smallest with coverage ≥ 95%%: miss %.4f at w, %.4f at w-1", w, out(w), out(w-1))
	}
	g := gen(t, "interval")
	inside := 0
	const n = 100_000
	for range n {
		if z := l.Sample(g); z >= -w && z <= w {
			inside++
		}
	}
	if cov := float64(inside) / n; cov < 0.95-0.005 {
		t.Errorf("empirical coverage %.4f below 95%%", cov)
	}
	for _, delta := range []float64{1e-5, 1e-7, 1e-9} {
		m := l.Threshold(delta)
		if l.TailAbove(m) > delta || l.TailAbove(m-1) <= delta {
			t.Errorf("threshold(%g) = %d: tail %.3g, tail below %.3g", delta, m, l.TailAbove(m), l.TailAbove(m-1))
		}
	}
}

func BenchmarkSample(b *testing.B) {
	for name, c := range map[string]struct {
		delta uint64
		eps   int64
	}{"count": {1, 100_000}, "sum": {1 << 16, 100_000}} {
		b.Run(name, func(b *testing.B) {
			l, err := ForEpsilon(c.delta, c.eps)
			if err != nil {
				b.Fatal(err)
			}
			g := gen(b, "bench")
			for b.Loop() {
				l.Sample(g)
			}
		})
	}
}
