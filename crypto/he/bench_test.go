package he

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// Benchmarks of the sandbox side (server time only: client key generation and encryption
// are set up outside the timer), each beside the same computation in plain Go.
//
//	go test -run '^$' -bench . -benchtime 3x ./crypto/he/
//	INVISO_HE_BENCH_ROWS=100000 go test -run '^$' -bench RowScore ./crypto/he/
//
// Metrics: key_bytes (evaluation material), input_bytes, result_bytes.

const benchFeatures, benchGroups = 8, 100

func benchRows(b *testing.B) int {
	if v := os.Getenv("INVISO_HE_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("INVISO_HE_BENCH_ROWS=%q", v)
		}
		return n
	}
	return 1_000_000
}

func reportSizes(b *testing.B, cl client, res Result) {
	out, _ := res.MarshalBinary()
	b.ReportMetric(float64(len(cl.material)), "key_bytes")
	b.ReportMetric(float64(len(cl.inputs)), "input_bytes")
	b.ReportMetric(float64(len(out)), "result_bytes")
}

// BenchmarkLinearScore: 100 groups × 8 features, after the plaintext GROUP BY.
func BenchmarkLinearScore(b *testing.B) {
	rng := rand.New(rand.NewPCG(40, 41))
	set := lookup(b, "ckks-n13")
	x, groupOf := rowData(rng, 100_000, benchFeatures, benchGroups)
	sums := plainGroupSums(x, groupOf, benchGroups)
	cl := linearClient(b, "ckks-n13", randWeights(rng, benchFeatures))
	var res Result
	b.ResetTimer()
	for b.Loop() {
		var err error
		if res, err = LinearScore(set, cl.material, cl.inputs, sums, testSeed(1)); err != nil {
			b.Fatal(err)
		}
	}
	reportSizes(b, cl, res)
}

func BenchmarkLinearScorePlaintext(b *testing.B) {
	rng := rand.New(rand.NewPCG(40, 41))
	x, groupOf := rowData(rng, 100_000, benchFeatures, benchGroups)
	sums := plainGroupSums(x, groupOf, benchGroups)
	w := randWeights(rng, benchFeatures)
	b.ResetTimer()
	for b.Loop() {
		_ = plainLinear(sums, w)
	}
}

// BenchmarkRowScore: 1,000,000 rows × 8 features × 100 groups (INVISO_HE_BENCH_ROWS
// overrides the rows), linear and through the degree-3 logistic approximation.
func BenchmarkRowScore(b *testing.B) {
	rng := rand.New(rand.NewPCG(42, 43))
	set := lookup(b, "ckks-n13")
	x, groupOf := rowData(rng, benchRows(b), benchFeatures, benchGroups)
	w := randWeights(rng, benchFeatures)
	logistic, _ := ApprovedPolynomial("logistic3")
	for _, tc := range []struct {
		name string
		poly *Polynomial
		deg  int
	}{{"linear", nil, 1}, {"logistic3", &logistic, 3}} {
		b.Run(tc.name, func(b *testing.B) {
			cl := rowClient(b, "ckks-n13", w, tc.deg)
			var res Result
			b.ResetTimer()
			for b.Loop() {
				var err error
				if res, err = RowScore(set, cl.material, cl.inputs, x, groupOf, benchGroups, tc.poly, testSeed(1)); err != nil {
					b.Fatal(err)
				}
			}
			reportSizes(b, cl, res)
		})
	}
}

func BenchmarkRowScorePlaintext(b *testing.B) {
	rng := rand.New(rand.NewPCG(42, 43))
	x, groupOf := rowData(rng, benchRows(b), benchFeatures, benchGroups)
	w := randWeights(rng, benchFeatures)
	identity, _ := ApprovedPolynomial("identity")
	logistic, _ := ApprovedPolynomial("logistic3")
	for _, p := range []Polynomial{identity, logistic} {
		b.Run(p.Name, func(b *testing.B) {
			for b.Loop() {
				_ = plainRowScore(x, groupOf, benchGroups, w, p)
			}
		})
	}
}

// BenchmarkExactCount: 1,000,000 rows, 100 codes, 100 groups on bgv-n14.
func BenchmarkExactCount(b *testing.B) {
	const codeSpace = 100
	rng := rand.New(rand.NewPCG(44, 45))
	set := lookup(b, "bgv-n14")
	codes, groupOf := countData(rng, benchRows(b), codeSpace, benchGroups)
	cl := countClient(b, []uint64{3, 14, 15, 92}, codeSpace)
	var res Result
	b.ResetTimer()
	for b.Loop() {
		var err error
		if res, err = ExactCount(set, cl.material, cl.inputs, codes, groupOf, benchGroups, testSeed(1)); err != nil {
			b.Fatal(err)
		}
	}
	reportSizes(b, cl, res)
}

func BenchmarkExactCountPlaintext(b *testing.B) {
	rng := rand.New(rand.NewPCG(44, 45))
	codes, groupOf := countData(rng, benchRows(b), 100, benchGroups)
	for b.Loop() {
		_ = plainCounts(codes, groupOf, benchGroups, []uint64{3, 14, 15, 92})
	}
}
