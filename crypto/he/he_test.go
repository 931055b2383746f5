package he

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// Shared fixtures. Key generation for bgv-n14 (Galois keys) costs about a second, so tests
// that only read a fixture share it; tests that need their own keys make them.

func lookup(t testing.TB, name string) ParamSet {
	t.Helper()
	set, err := Lookup(name)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", name, err)
	}
	return set
}

func testSeed(b byte) []byte { return bytes.Repeat([]byte{b}, MinSeedBytes) }

func mustMarshal(t testing.TB, m interface{ MarshalBinary() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary: %v", err)
	}
	return b
}

// client is a developer's side of one job: keys, material and inputs blobs.
type client struct {
	keys     *ClientKeys
	material []byte
	inputs   []byte
}

func newClient(t testing.TB, setName string, c Circuit, codeSpace int, encrypt func(*ClientKeys) (*Inputs, error)) client {
	t.Helper()
	cl, err := buildClient(setName, c, codeSpace, encrypt)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func buildClient(setName string, c Circuit, codeSpace int, encrypt func(*ClientKeys) (*Inputs, error)) (client, error) {
	set, err := Lookup(setName)
	if err != nil {
		return client{}, err
	}
	keys, err := KeyGen(set)
	if err != nil {
		return client{}, err
	}
	m, err := keys.EvaluationMaterial(c, codeSpace)
	if err != nil {
		return client{}, err
	}
	in, err := encrypt(keys)
	if err != nil {
		return client{}, err
	}
	mb, err := m.MarshalBinary()
	if err != nil {
		return client{}, err
	}
	ib, err := in.MarshalBinary()
	if err != nil {
		return client{}, err
	}
	return client{keys: keys, material: mb, inputs: ib}, nil
}

func linearClient(t testing.TB, setName string, w []float64) client {
	return newClient(t, setName, CircuitLinearScore, 0, func(k *ClientKeys) (*Inputs, error) {
		return EncryptLinearWeights(k, w)
	})
}

func rowClient(t testing.TB, setName string, w []float64, degree int) client {
	return newClient(t, setName, CircuitRowScore, 0, func(k *ClientKeys) (*Inputs, error) {
		return EncryptRowWeights(k, w, degree)
	})
}

func countClient(t testing.TB, selected []uint64, codeSpace int) client {
	return newClient(t, "bgv-n14", CircuitExactCount, codeSpace, func(k *ClientKeys) (*Inputs, error) {
		return EncryptSelection(k, selected, codeSpace)
	})
}

func randWeights(rng *rand.Rand, n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	return w
}

// rowData generates columnar features and group assignments.
func rowData(rng *rand.Rand, rows, features, groups int) ([][]float64, []int) {
	x := make([][]float64, features)
	for i := range x {
		x[i] = make([]float64, rows)
		for r := range x[i] {
			x[i][r] = rng.NormFloat64() * float64(i+1)
		}
	}
	g := make([]int, rows)
	for r := range g {
		g[r] = rng.IntN(groups)
	}
	return x, g
}

func plainGroupSums(x [][]float64, groupOf []int, groups int) [][]float64 {
	s := make([][]float64, groups)
	for g := range s {
		s[g] = make([]float64, len(x))
	}
	for i, col := range x {
		for r, v := range col {
			s[groupOf[r]][i] += v
		}
	}
	return s
}

func plainLinear(sums [][]float64, w []float64) []float64 {
	out := make([]float64, len(sums))
	for g, row := range sums {
		for i, v := range row {
			out[g] += v * w[i]
		}
	}
	return out
}

func plainRowScore(x [][]float64, groupOf []int, groups int, w []float64, p Polynomial) []float64 {
	out := make([]float64, groups)
	for r, g := range groupOf {
		s := 0.0
		for i := range x {
			s += x[i][r] * w[i]
		}
		out[g] += p.Eval(s)
	}
	return out
}

// checkClose asserts |got-want| ≤ tol·bound for each value.
func checkClose(t *testing.T, got, want []float64, bound, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		worst = math.Max(worst, math.Abs(got[i]-want[i]))
	}
	if worst > tol*bound {
		t.Fatalf("max error %.3g exceeds %.3g (= %.3g × bound %.3g)", worst, tol*bound, tol, bound)
	}
	t.Logf("max error %.3g, bound %.3g, relative %.3g (log2 %.1f)", worst, bound, worst/bound, math.Log2(worst/bound+1e-300))
}

func wantErr(t *testing.T, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want %v", err, sentinel)
	}
}
