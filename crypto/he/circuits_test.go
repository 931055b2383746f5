package he

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The precision the package documents for CKKS results: |error| ≤ 2^-36·B. Tests allow 2^-30.
const ckksTol = 0x1p-30

func TestLinearScoreMatchesPlaintext(t *testing.T) {
	t.Parallel()
	for _, setName := range []string{"ckks-n13", "ckks-n14"} {
		t.Run(setName, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(1, 2))
			const features, groups = 8, 100
			rows := 200_000
			if testing.Short() {
				rows = 20_000
			}
			x, groupOf := rowData(rng, rows, features, groups)
			for i := range x { // incomes-like magnitudes on one feature
				if i == 0 {
					for r := range x[i] {
						x[i][r] = 30_000 + 10_000*x[i][r]
					}
				}
			}
			sums := plainGroupSums(x, groupOf, groups)
			w := randWeights(rng, features)
			w[0] = 1e-4
			cl := linearClient(t, setName, w)
			res, err := LinearScore(lookup(t, setName), cl.material, cl.inputs, sums, testSeed(1))
			if err != nil {
				t.Fatalf("LinearScore: %v", err)
			}
			got, err := DecryptScores(cl.keys, res)
			if err != nil {
				t.Fatalf("DecryptScores: %v", err)
			}
			checkClose(t, got, plainLinear(sums, w), scoreBound(sums, w), ckksTol)
		})
	}
}

// scoreBound is B = max|w| · Σ_j max_g |values[g][j]|.
func scoreBound(values [][]float64, w []float64) float64 {
	maxW := 0.0
	for _, v := range w {
		maxW = math.Max(maxW, math.Abs(v))
	}
	return maxW * sumOfColumnMax(values)
}

func TestRowScoreMatchesPlaintext(t *testing.T) {
	t.Parallel()
	logistic, err := ApprovedPolynomial("logistic3")
	if err != nil {
		t.Fatal(err)
	}
	identity, _ := ApprovedPolynomial("identity")
	quad := Polynomial{Name: "test-quadratic", Coeffs: []float64{1, -0.5, 0.25}}
	cases := map[string]struct {
		poly *Polynomial
		want Polynomial
	}{
		"linear (nil polynomial)": {nil, identity},
		"logistic3":               {&logistic, logistic},
		"quadratic":               {&quad, quad},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(3, 4))
			const features, groups = 8, 100
			rows := 100_000
			if testing.Short() {
				rows = 10_000
			}
			x, groupOf := rowData(rng, rows, features, groups)
			w := randWeights(rng, features)
			for i := range w {
				w[i] *= 0.3
			}
			cl := rowClient(t, "ckks-n13", w, tc.want.Degree())
			res, err := RowScore(lookup(t, "ckks-n13"), cl.material, cl.inputs, x, groupOf, groups, tc.poly, testSeed(2))
			if err != nil {
				t.Fatalf("RowScore: %v", err)
			}
			got, err := DecryptScores(cl.keys, res)
			if err != nil {
				t.Fatalf("DecryptScores: %v", err)
			}
			want := plainRowScore(x, groupOf, groups, w, tc.want)
			checkClose(t, got, want, rowBound(x, groupOf, groups, w, tc.want), ckksTol)
		})
	}
}

// rowBound is the documented bound B for row_score: max_α|w^α| · Σ_α max_g |a_|α|·multinom(α)·M_g,α|.
func rowBound(x [][]float64, groupOf []int, groups int, w []float64, p Polynomial) float64 {
	ms := monomials(len(w), p.Degree())
	values := groupMoments(x, groupOf, groups, ms)
	maxW := 0.0
	for j, m := range ms {
		maxW = math.Max(maxW, math.Abs(m.value(w)))
		for g := range values {
			a := 0.0
			if len(m) < len(p.Coeffs) {
				a = p.Coeffs[len(m)]
			}
			values[g][j] *= a * multinomial(m)
		}
	}
	return maxW * sumOfColumnMax(values)
}

func TestExactCountIsExact(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	const codeSpace, groups = 50, 40
	rows := 300_000
	if testing.Short() {
		rows = 120_000
	}
	codes := make([]uint64, rows)
	groupOf := make([]int, rows)
	for r := range codes {
		codes[r] = uint64(rng.IntN(codeSpace))
		groupOf[r] = rng.IntN(groups)
		if r < 50_000 { // one group far above 32767, the 65537 overflow point
			groupOf[r] = 7
			codes[r] = uint64(r % 3)
		}
	}
	selected := []uint64{0, 1, 2, 17, 33, 49}
	cl := countClient(t, selected, codeSpace)
	res, err := ExactCount(lookup(t, "bgv-n14"), cl.material, cl.inputs, codes, groupOf, groups, testSeed(3))
	if err != nil {
		t.Fatalf("ExactCount: %v", err)
	}
	got, err := DecryptCounts(cl.keys, res)
	if err != nil {
		t.Fatalf("DecryptCounts: %v", err)
	}
	want := plainCounts(codes, groupOf, groups, selected)
	for g := range want {
		if got[g] != want[g] {
			t.Fatalf("group %d: got %d, want %d", g, got[g], want[g])
		}
	}
	if want[7] <= 32767 {
		t.Fatalf("test data should exceed 32767 in group 7, has %d", want[7])
	}
	t.Logf("group 7 count %d decoded exactly", got[7])
}

func plainCounts(codes []uint64, groupOf []int, groups int, selected []uint64) []int64 {
	sel := map[uint64]bool{}
	for _, c := range selected {
		sel[c] = true
	}
	out := make([]int64, groups)
	for r, c := range codes {
		if sel[c] {
			out[groupOf[r]]++
		}
	}
	return out
}
