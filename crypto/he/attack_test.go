package he

import (
	"bytes"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// The developer holds the secret key and may craft its inputs. These tests play that
// developer against the real circuits, once with the production privacy steps and once with
// one switched off, so each test demonstrably fails if the step is removed.

// craftC1Channel rewrites the developer's inputs so that ciphertext target has c1 = q1·q2
// (mod Q) and every other ciphertext c1 = 0. Without re-randomization the result's c1 is then
// exactly P_target(X), the server's hidden plaintext operand for that input: the per-group
// aggregate the intended output only reveals in a weighted sum.
func craftC1Channel(t *testing.T, set ParamSet, c Circuit, inputs []byte, target int) []byte {
	t.Helper()
	in, err := ParseInputs(set, c, inputs)
	if err != nil {
		t.Fatal(err)
	}
	q := set.rlwe.Q()
	kappa := new(big.Int).Mul(new(big.Int).SetUint64(q[1]), new(big.Int).SetUint64(q[2]))
	for j, ct := range in.cts {
		for l := 0; l <= ckksInputLevel; l++ {
			v := uint64(0)
			if j == target { // the NTT of a constant polynomial is that constant everywhere
				v = new(big.Int).Mod(kappa, new(big.Int).SetUint64(q[l])).Uint64()
			}
			for i := range ct.Value[1].Coeffs[l] {
				ct.Value[1].Coeffs[l][i] = v
			}
		}
	}
	return mustMarshal(t, in)
}

// readC1 is the attack's read-out: the result's c1 coefficients 0..slots-1, centered and
// divided by the fixed-point factor 2^(E - e) (E from the result, e the developer's scale).
func readC1(t *testing.T, set ParamSet, res Result, inputScaleExp int) []float64 {
	t.Helper()
	ct, s, err := res.ciphertext(set)
	if err != nil {
		t.Fatal(err)
	}
	rq := set.rlwe.RingQ().AtLevel(0)
	rq.INTT(ct.Value[1], ct.Value[1])
	q0 := set.rlwe.Q()[0]
	out := make([]float64, res.Slots)
	for g := range out {
		c := ct.Value[1].Coeffs[0][g]
		v := float64(c)
		if c > q0/2 {
			v = -float64(q0 - c)
		}
		out[g] = math.Ldexp(v, inputScaleExp-s.exp)
	}
	return out
}

func correlation(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

func TestAttackC1ChannelLinearScore(t *testing.T) {
	t.Parallel()
	set := lookup(t, "ckks-n13")
	rng := rand.New(rand.NewPCG(7, 8))
	// 1000 groups: under independence the sample correlation has standard deviation ≈ 0.03.
	const features, groups, target = 4, 1000, 2
	x, groupOf := rowData(rng, 50_000, features, groups)
	sums := plainGroupSums(x, groupOf, groups)
	hidden := make([]float64, groups) // S[g][target]: never an intended output on its own
	for g := range hidden {
		hidden[g] = sums[g][target]
	}
	cl := linearClient(t, "ckks-n13", []float64{0.5, -1, 2, 0.25})
	crafted := craftC1Channel(t, set, CircuitLinearScore, cl.inputs, target)
	in, _ := ParseInputs(set, CircuitLinearScore, crafted)

	t.Run("without re-randomization the developer reads the hidden sums", func(t *testing.T) {
		res, err := linearScore(set, cl.material, crafted, sums, testSeed(9), privacy{mask: true, flood: true})
		if err != nil {
			t.Fatal(err)
		}
		got := readC1(t, set, res, in.scaleExp)
		for g := range hidden {
			if math.Abs(got[g]-hidden[g]) > 1e-9*math.Max(1, math.Abs(hidden[g])) {
				t.Fatalf("group %d: read %v, hidden %v: attack should succeed without re-randomization", g, got[g], hidden[g])
			}
		}
	})
	t.Run("with re-randomization it reads noise", func(t *testing.T) {
		res, err := LinearScore(set, cl.material, crafted, sums, testSeed(9))
		if err != nil {
			t.Fatal(err)
		}
		got := readC1(t, set, res, in.scaleExp)
		if r := correlation(got, hidden); math.Abs(r) > 0.2 {
			t.Fatalf("correlation with hidden sums %.3f: re-randomization failed", r)
		} else {
			t.Logf("correlation with hidden sums %.3f", r)
		}
	})
}

func TestAttackC1ChannelRowScoreMoments(t *testing.T) {
	t.Parallel()
	set := lookup(t, "ckks-n13")
	rng := rand.New(rand.NewPCG(10, 11))
	const features, groups = 3, 1000
	x, groupOf := rowData(rng, 50_000, features, groups)
	poly := Polynomial{Name: "test-quadratic", Coeffs: []float64{0, 1, 1}}
	ms := monomials(features, 2)
	target := 5 // a degree-2 monomial: its moment sum is hidden inside Σ p(x·w)
	moments := groupMoments(x, groupOf, groups, ms)
	hidden := make([]float64, groups)
	for g := range hidden {
		hidden[g] = moments[g][target] * poly.Coeffs[len(ms[target])] * multinomial(ms[target])
	}
	cl := rowClient(t, "ckks-n13", []float64{0.1, 0.2, -0.3}, 2)
	crafted := craftC1Channel(t, set, CircuitRowScore, cl.inputs, target)
	in, _ := ParseInputs(set, CircuitRowScore, crafted)

	res, err := rowScore(set, cl.material, crafted, x, groupOf, groups, &poly, testSeed(12), privacy{mask: true, flood: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := correlation(readC1(t, set, res, in.scaleExp), hidden); r < 0.999999 {
		t.Fatalf("without re-randomization the attack should read the moment sums, correlation %.6f", r)
	}
	res, err = RowScore(set, cl.material, crafted, x, groupOf, groups, &poly, testSeed(12))
	if err != nil {
		t.Fatal(err)
	}
	if r := correlation(readC1(t, set, res, in.scaleExp), hidden); math.Abs(r) > 0.2 {
		t.Fatalf("correlation %.3f with re-randomization", r)
	}
}

// TestNonOutputCoefficientsDecryptToZero: every coefficient beyond the groups decrypts to 0
// after the documented rounding; before rounding it is noise far below the decode step.
func TestNonOutputCoefficientsDecryptToZero(t *testing.T) {
	t.Parallel()
	set := lookup(t, "ckks-n13")
	rng := rand.New(rand.NewPCG(13, 14))
	x, groupOf := rowData(rng, 5_000, 3, 30)
	sums := plainGroupSums(x, groupOf, 30)
	cl := linearClient(t, "ckks-n13", []float64{1, 2, 3})
	res, err := LinearScore(set, cl.material, cl.inputs, sums, testSeed(15))
	if err != nil {
		t.Fatal(err)
	}
	ct, s, err := res.ciphertext(set)
	if err != nil {
		t.Fatal(err)
	}
	coeffs := decryptCoefficients(cl.keys, ct)
	all := decodeScores(set, coeffs, s)
	maxNoise := int64(0)
	for i := res.Slots; i < len(all); i++ {
		if all[i] != 0 {
			t.Fatalf("coefficient %d decodes to %v, want 0", i, all[i])
		}
		maxNoise = max(maxNoise, coeffs[i], -coeffs[i])
	}
	t.Logf("largest raw non-output coefficient: 2^%.1f of q0 = 2^%.1f", math.Log2(float64(maxNoise)), math.Log2(float64(set.rlwe.Q()[0])))
}

// TestAttackExactCountMask: the developer decrypts every slot of an exact_count result. With
// the mask, every slot but the outputs is exactly 0; without it the slots carry data.
func TestAttackExactCountMask(t *testing.T) {
	t.Parallel()
	set := lookup(t, "bgv-n14")
	rng := rand.New(rand.NewPCG(16, 17))
	const codeSpace, groups = 16, 20
	codes, groupOf := countData(rng, 20_000, codeSpace, groups)
	cl := countClient(t, []uint64{1, 3, 5}, codeSpace)
	decryptAll := func(res Result) []int64 {
		ct, s, err := res.ciphertext(set)
		if err != nil {
			t.Fatal(err)
		}
		all, err := decodeSlots(cl.keys, ct, s)
		if err != nil {
			t.Fatal(err)
		}
		return all
	}
	nonZero := func(all []int64) int {
		n := 0
		for _, v := range all[groups:] {
			if v != 0 {
				n++
			}
		}
		return n
	}
	res, err := ExactCount(set, cl.material, cl.inputs, codes, groupOf, groups, testSeed(18))
	if err != nil {
		t.Fatal(err)
	}
	if n := nonZero(decryptAll(res)); n != 0 {
		t.Fatalf("%d non-output slots are non-zero with the mask", n)
	}
	res, err = exactCount(set, cl.material, cl.inputs, codes, groupOf, groups, testSeed(18), privacy{rerandomize: true, flood: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := nonZero(decryptAll(res)); n == 0 {
		t.Fatal("without the mask non-output slots should carry data")
	} else {
		t.Logf("without the mask %d non-output slots carry data", n)
	}
}

// TestAttackExactCountRecompute: two databases give the same counts for the developer's
// selection but differ per code (which the developer must not learn). Without
// re-randomization the result is a deterministic function of the data, so the developer
// recomputes the circuit for each candidate and finds the one that matches bit for bit. With
// re-randomization (randomness from the sandbox's seed) no candidate matches.
func TestAttackExactCountRecompute(t *testing.T) {
	t.Parallel()
	set := lookup(t, "bgv-n14")
	const codeSpace, groups = 4, 3
	selected := []uint64{0, 1}
	// Same selected totals per group, different split between codes 0 and 1, and 2 and 3.
	codesA := []uint64{0, 0, 1, 2, 0, 3, 1, 1, 2}
	codesB := []uint64{1, 1, 0, 3, 1, 2, 0, 0, 3}
	groupOf := []int{0, 0, 0, 0, 1, 1, 2, 2, 2}
	if a, b := plainCounts(codesA, groupOf, groups, selected), plainCounts(codesB, groupOf, groups, selected); !equalInts(a, b) {
		t.Fatalf("fixture: intended outputs differ %v %v", a, b)
	}
	cl := countClient(t, selected, codeSpace)
	off := privacy{mask: true}
	simulate := func(codes []uint64) []byte {
		res, err := exactCount(set, cl.material, cl.inputs, codes, groupOf, groups, testSeed(0), off)
		if err != nil {
			t.Fatal(err)
		}
		return res.Ciphertext
	}
	simA, simB := simulate(codesA), simulate(codesB)
	if bytes.Equal(simA, simB) {
		t.Fatal("fixture: candidates indistinguishable even without re-randomization")
	}
	guess := func(real []byte) string {
		switch {
		case bytes.Equal(real, simA):
			return "A"
		case bytes.Equal(real, simB):
			return "B"
		}
		return "?"
	}
	res, err := exactCount(set, cl.material, cl.inputs, codesA, groupOf, groups, testSeed(19), off)
	if err != nil {
		t.Fatal(err)
	}
	if g := guess(res.Ciphertext); g != "A" {
		t.Fatalf("without re-randomization the developer should identify database A, got %s", g)
	}
	res, err = ExactCount(set, cl.material, cl.inputs, codesA, groupOf, groups, testSeed(19))
	if err != nil {
		t.Fatal(err)
	}
	if g := guess(res.Ciphertext); g != "?" {
		t.Fatalf("with re-randomization the developer identified database %s", g)
	}
}

func countData(rng *rand.Rand, rows, codeSpace, groups int) ([]uint64, []int) {
	codes := make([]uint64, rows)
	groupOf := make([]int, rows)
	for r := range codes {
		codes[r] = uint64(rng.IntN(codeSpace))
		groupOf[r] = rng.IntN(groups)
	}
	return codes, groupOf
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
