package he

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// Replay: the sandbox derives the seed from its secret and the job id, so re-running a job
// must reproduce the result (and its digest in the job log) bit for bit.

func TestDeterministicLinearScore(t *testing.T) {
	t.Parallel()
	loadFixtures(t)
	set := lookup(t, "ckks-n13")
	run := func(seed byte) Result {
		res, err := LinearScore(set, fixtures.linear.material, fixtures.linear.inputs, fixtures.sums, testSeed(seed))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b, c := run(1), run(1), run(2)
	if !bytes.Equal(a.Ciphertext, b.Ciphertext) || a.Digest() != b.Digest() {
		t.Fatal("same seed, different result")
	}
	if bytes.Equal(a.Ciphertext, c.Ciphertext) || a.Digest() == c.Digest() {
		t.Fatal("different seeds, same result: randomness is not used")
	}
	da, err := DecryptScores(fixtures.linear.keys, a)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := DecryptScores(fixtures.linear.keys, c)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(da, dc) {
		t.Fatalf("different seeds decrypt differently: %v vs %v", da, dc)
	}
}

func TestDeterministicExactCount(t *testing.T) {
	t.Parallel()
	loadFixtures(t)
	set := lookup(t, "bgv-n14")
	run := func(seed byte) Result {
		res, err := ExactCount(set, fixtures.count.material, fixtures.count.inputs, fixtures.codes, fixtures.groupOf, 4, testSeed(seed))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b, c := run(1), run(1), run(2)
	if a.Digest() != b.Digest() {
		t.Fatal("same seed, different result")
	}
	if a.Digest() == c.Digest() {
		t.Fatal("different seeds, same result")
	}
	da, _ := DecryptCounts(fixtures.count.keys, a)
	dc, _ := DecryptCounts(fixtures.count.keys, c)
	if want := plainCounts(fixtures.codes, fixtures.groupOf, 4, []uint64{1, 2}); !slices.Equal(da, want) || !slices.Equal(dc, want) {
		t.Fatalf("decrypted %v and %v, want %v", da, dc, want)
	}
}

// TestDeterministicAcrossCoreCounts: row_score's moment sums run in parallel; the result
// must not depend on how many cores the replaying machine has. Not parallel: it changes
// GOMAXPROCS.
func TestDeterministicAcrossCoreCounts(t *testing.T) {
	loadFixtures(t)
	set := lookup(t, "ckks-n13")
	rng := rand.New(rand.NewPCG(30, 31))
	x, groupOf := rowData(rng, 300_000, 3, 10)
	poly := Polynomial{Name: "q", Coeffs: []float64{0, 1, 1}}
	digest := func(procs int) string {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		res, err := RowScore(set, fixtures.row.material, fixtures.row.inputs, x, groupOf, 10, &poly, testSeed(3))
		if err != nil {
			t.Fatal(err)
		}
		return res.Digest()
	}
	if one, many := digest(1), digest(8); one != many {
		t.Fatalf("digest with 1 core %s, with 8 %s", one, many)
	}
}
