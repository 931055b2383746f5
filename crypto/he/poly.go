package he

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Polynomial is an approved low-degree polynomial p(s) = Σ_k Coeffs[k]·s^k that row_score
// applies to each row's score s = x·w before summing per group.
type Polynomial struct {
	Name   string
	Coeffs []float64
}

// Degree is the index of the highest non-zero coefficient (0 for the zero polynomial).
func (p Polynomial) Degree() int {
	for k := len(p.Coeffs) - 1; k > 0; k-- {
		if p.Coeffs[k] != 0 {
			return k
		}
	}
	return 0
}

func (p Polynomial) validate() error {
	if d := p.Degree(); d < 1 || d > MaxPolyDegree {
		return fmt.Errorf("%w: polynomial %q has degree %d, want 1..%d", ErrInvalidArgument, p.Name, d, MaxPolyDegree)
	}
	for _, c := range p.Coeffs {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return fmt.Errorf("%w: polynomial %q has a non-finite coefficient", ErrInvalidArgument, p.Name)
		}
	}
	return nil
}

// Eval evaluates p at s (the plaintext reference).
func (p Polynomial) Eval(s float64) float64 {
	var v float64
	for k := len(p.Coeffs) - 1; k >= 0; k-- {
		v = v*s + p.Coeffs[k]
	}
	return v
}

// ApprovedPolynomial returns one of the fixed polynomials a grant may allow:
//
//   - "identity": p(s) = s (row_score is then linear).
//   - "logistic3": the degree-3 least-squares approximation of the logistic function on
//     [-8, 8], p(s) = 0.5 + 0.15012·s − 0.001593·s³ (Kim, Song, Kim, Lee and Cheon, "Logistic
//     regression model training based on the approximate homomorphic encryption", BMC
//     Medical Genomics 2018).
func ApprovedPolynomial(name string) (Polynomial, error) {
	switch name {
	case "identity":
		return Polynomial{Name: name, Coeffs: []float64{0, 1}}, nil
	case "logistic3":
		return Polynomial{Name: name, Coeffs: []float64{0.5, 0.15012, 0, -0.001593}}, nil
	}
	return Polynomial{}, fmt.Errorf("%w: polynomial %q is not approved (identity, logistic3)", ErrInvalidArgument, name)
}

// monomial is a multiset of feature indices in non-decreasing order: {0, 0, 3} is x0²·x3.
type monomial []int

// monomials lists every monomial of degree 0..degree in features variables, by degree then
// lexicographically. The client encrypts w^α in this order; the server multiplies each by the
// group moment sums Σ_rows x^α. C(features+degree, degree) entries.
func monomials(features, degree int) []monomial {
	out := []monomial{{}}
	var rec func(prefix monomial, start, left int)
	rec = func(prefix monomial, start, left int) {
		if left == 0 {
			out = append(out, append(monomial(nil), prefix...))
			return
		}
		for i := start; i < features; i++ {
			rec(append(prefix, i), i, left-1)
		}
	}
	for d := 1; d <= degree; d++ {
		rec(nil, 0, d)
	}
	return out
}

// monomialCount is C(f+d, d), the length of monomials(f, d), or -1 beyond MaxInputCiphertexts.
func monomialCount(f, d int) int {
	c := 1
	for i := 1; i <= d; i++ {
		c = c * (f + i) / i
		if c > MaxInputCiphertexts {
			return -1
		}
	}
	return c
}

// multinomial is |α|! / Π_i α_i!, the coefficient of w^α·x^α in (x·w)^|α|.
func multinomial(m monomial) float64 {
	v := factorial(len(m))
	for i := 0; i < len(m); {
		j := i
		for j < len(m) && m[j] == m[i] {
			j++
		}
		v /= factorial(j - i)
		i = j
	}
	return v
}

func factorial(n int) float64 {
	v := 1.0
	for i := 2; i <= n; i++ {
		v *= float64(i)
	}
	return v
}

// value is Π_{i∈m} x_i.
func (m monomial) value(x []float64) float64 {
	v := 1.0
	for _, i := range m {
		v *= x[i]
	}
	return v
}

// groupMoments returns M[g][j] = Σ_{rows r in g} x_r^{ms[j]}. Rows are split into a number
// of chunks that depends only on the shape (never on the core count) and chunk sums are
// merged in order, so the floating-point result, and hence the result ciphertext, is the same
// on every machine.
func groupMoments(features [][]float64, groupOf []int, groups int, ms []monomial) [][]float64 {
	nm := len(ms)
	parent, last := monomialTree(ms)
	rows := len(groupOf)
	chunks := min(16, max(1, rows/65536), max(1, (64<<20)/(groups*nm)))
	size := (rows + chunks - 1) / chunks
	partial := make([][]float64, chunks)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for c := range chunks {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			lo, hi := c*size, min(rows, (c+1)*size)
			partial[c] = chunkMoments(features, groupOf, groups, parent, last, lo, hi)
		}()
	}
	wg.Wait()
	out := make([][]float64, groups)
	for g := range out {
		out[g] = make([]float64, nm)
		for c := range partial {
			for j, v := range partial[c][g*nm : (g+1)*nm] {
				out[g][j] += v
			}
		}
	}
	return out
}

// monomialTree gives, for each monomial but the first (the constant), the index of the
// monomial without its last factor and that factor.
func monomialTree(ms []monomial) (parent, last []int) {
	index := make(map[string]int, len(ms))
	key := func(m monomial) string { return fmt.Sprint([]int(m)) }
	for i, m := range ms {
		index[key(m)] = i
	}
	parent, last = make([]int, len(ms)), make([]int, len(ms))
	for i, m := range ms {
		if len(m) > 0 {
			parent[i] = index[key(m[:len(m)-1])]
			last[i] = m[len(m)-1]
		}
	}
	return parent, last
}

func chunkMoments(features [][]float64, groupOf []int, groups int, parent, last []int, lo, hi int) []float64 {
	nm := len(parent)
	sums := make([]float64, groups*nm)
	x := make([]float64, len(features))
	vals := make([]float64, nm)
	vals[0] = 1
	for r := lo; r < hi; r++ {
		for i, col := range features {
			x[i] = col[r]
		}
		for j := 1; j < nm; j++ {
			// The conversion forces rounding of the product, so no platform fuses it with the
			// addition below (Go allows fused multiply-add across statements): replay must be
			// bit-identical everywhere.
			vals[j] = float64(vals[parent[j]] * x[last[j]])
		}
		acc := sums[groupOf[r]*nm : (groupOf[r]+1)*nm]
		for j, v := range vals {
			acc[j] += v
		}
	}
	return sums
}
