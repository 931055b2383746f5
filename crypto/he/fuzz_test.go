package he

import (
	"errors"
	"testing"
)

// The decoders face developer-controlled bytes. Whatever the input they must return a value
// or an error wrapping ErrMalformed or ErrParamsMismatch: never panic (ErrInternal would mean
// a panic was recovered) and never allocate beyond what the length checks allow.
//
//	go test -run '^$' -fuzz FuzzDecodeInputs ./crypto/he/

type decodeTarget struct {
	set ParamSet
	c   Circuit
}

func decodeTargets(f *testing.F) []decodeTarget {
	var out []decodeTarget
	for _, name := range SetNames() {
		set := lookup(f, name)
		for _, c := range []Circuit{CircuitLinearScore, CircuitRowScore, CircuitExactCount} {
			if set.Supports(c) {
				out = append(out, decodeTarget{set, c})
			}
		}
	}
	return out
}

func checkDecodeErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrParamsMismatch) {
		t.Fatalf("unexpected error class: %v", err)
	}
}

func FuzzDecodeInputs(f *testing.F) {
	targets := decodeTargets(f)
	cl := newClient(f, "ckks-n13", CircuitLinearScore, 0, func(k *ClientKeys) (*Inputs, error) {
		return EncryptLinearWeights(k, []float64{1})
	})
	f.Add(cl.inputs)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, tg := range targets {
			in, err := ParseInputs(tg.set, tg.c, b)
			checkDecodeErr(t, err)
			if err == nil && in.Len() == 0 {
				t.Fatal("accepted inputs without ciphertexts")
			}
		}
	})
}

func FuzzDecodeMaterial(f *testing.F) {
	targets := decodeTargets(f)
	cl := newClient(f, "ckks-n13", CircuitRowScore, 0, func(k *ClientKeys) (*Inputs, error) {
		return EncryptRowWeights(k, []float64{1}, 1)
	})
	f.Add(cl.material)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, tg := range targets {
			_, err := ParseEvalMaterial(tg.set, tg.c, b)
			checkDecodeErr(t, err)
		}
	})
}

func FuzzParseResult(f *testing.F) {
	cl := newClient(f, "ckks-n13", CircuitLinearScore, 0, func(k *ClientKeys) (*Inputs, error) {
		return EncryptLinearWeights(k, []float64{1})
	})
	res, err := LinearScore(lookup(f, "ckks-n13"), cl.material, cl.inputs, [][]float64{{3}}, testSeed(1))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(mustMarshal(f, res))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := ParseResult(b)
		checkDecodeErr(t, err)
		if err == nil {
			if _, err := DecryptScores(cl.keys, res); err != nil {
				checkDecodeErr(t, err)
			}
		}
	})
}
