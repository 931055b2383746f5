package he_test

import (
	"bytes"
	"fmt"

	"github.com/inviso/inviso/crypto/he"
)

// The whole flow of a linear_score job: the developer keeps its model (weights) secret from
// the operator, the operator keeps the rows from the developer.
func Example() {
	// Developer: a fresh key pair for this job, the evaluation material and the encrypted
	// weights to upload. The secret key stays here.
	set, _ := he.Lookup("ckks-n13")
	keys, _ := he.KeyGen(set)
	material, _ := keys.EvaluationMaterial(he.CircuitLinearScore, 0)
	weights, _ := he.EncryptLinearWeights(keys, []float64{0.002, -150}) // income, defaults
	materialBlob, _ := material.MarshalBinary()
	inputsBlob, _ := weights.MarshalBinary()

	// Sandbox: per-district sums from the gated SQL path (k-thresholded), then the circuit.
	// The seed comes from the sandbox secret and the job id.
	sums := [][]float64{
		{41_000_000, 120}, // district 0: Σ income, Σ defaults
		{18_500_000, 75},
		{9_250_000, 12},
	}
	seed := bytes.Repeat([]byte{7}, he.MinSeedBytes)
	res, err := he.LinearScore(set, materialBlob, inputsBlob, sums, seed)
	if err != nil {
		fmt.Println(err)
		return
	}

	// Developer: decrypt the per-district scores.
	scores, _ := he.DecryptScores(keys, res)
	for g, s := range scores {
		fmt.Printf("district %d: %.2f\n", g, s)
	}
	// Output:
	// district 0: 64000.00
	// district 1: 25750.00
	// district 2: 16700.00
}
