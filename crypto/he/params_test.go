package he

import (
	"math/big"
	"testing"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/ring"
)

func TestNamedSetsAreSecure(t *testing.T) {
	t.Parallel()
	for _, name := range SetNames() {
		set := lookup(t, name)
		bound, _ := maxLogQP(set.LogN())
		if set.LogQP() > float64(bound) {
			t.Errorf("%s: logQP %.1f > %d", name, set.LogQP(), bound)
		}
		if err := ValidateParameters(set.rlwe); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		t.Logf("%s: %s, N=2^%d, logQP=%.1f ≤ %d", name, set.Scheme(), set.LogN(), set.LogQP(), bound)
	}
}

func TestBGVPlaintextModulus(t *testing.T) {
	t.Parallel()
	set := lookup(t, "bgv-n14")
	tm := set.PlaintextModulus()
	if !new(big.Int).SetUint64(tm).ProbablyPrime(32) {
		t.Fatalf("t=%d is not prime", tm)
	}
	if tm%uint64(2*set.N()) != 1 {
		t.Fatalf("t=%d is not 1 mod 2N: slots would not work", tm)
	}
	if tm == 65537 || uint64(set.MaxExactCount())*2 >= tm {
		t.Fatalf("t=%d, max exact count %d: need t > 2·max", tm, set.MaxExactCount())
	}
	t.Logf("t=%d, exact counts up to %d", tm, set.MaxExactCount())
}

func TestUnknownSetsRefused(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "ckks-n12", "bgv-n13", "CKKS-N13", "ckks-n13 "} {
		_, err := Lookup(name)
		wantErr(t, err, ErrUnknownParams)
	}
}

func TestCheckSecurity(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		logN   int
		logQP  float64
		secure bool
	}{
		"n13 at the bound":         {13, 218, true},
		"n14 at the bound":         {14, 438, true},
		"n12 with logQP 200":       {12, 200, false},
		"n13 with logQP 300":       {13, 300, false},
		"n14 just over the bound":  {14, 438.5, false},
		"ring degree not in table": {16, 100, false},
		"tiny ring":                {9, 10, false},
	}
	for name, tc := range cases {
		err := CheckSecurity(tc.logN, tc.logQP)
		if tc.secure && err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !tc.secure {
			if err == nil {
				t.Errorf("%s: accepted", name)
			} else {
				wantErr(t, err, ErrInsecureParams)
			}
		}
	}
}

// TestValidateParametersRefusesInsecureLattigoSets builds real Lattigo parameter sets that
// Lattigo itself accepts and shows the validator refuses them.
func TestValidateParametersRefusesInsecureLattigoSets(t *testing.T) {
	t.Parallel()
	cases := map[string]rlwe.ParametersLiteral{
		"logN=12, logQP=200": {LogN: 12, LogQ: []int{50, 50, 50}, LogP: []int{50}},
		"logN=13, logQP=300": {LogN: 13, LogQ: []int{60, 60, 60, 60}, LogP: []int{60}},
		"sparse secret":      {LogN: 13, LogQ: []int{60, 60}, Xs: ring.Ternary{H: 64}},
		"small error":        {LogN: 13, LogQ: []int{60, 60}, Xe: ring.DiscreteGaussian{Sigma: 1, Bound: 6}},
	}
	for name, lit := range cases {
		p, err := rlwe.NewParametersFromLiteral(lit)
		if err != nil {
			t.Fatalf("%s: lattigo refused: %v", name, err)
		}
		wantErr(t, ValidateParameters(p), ErrInsecureParams)
	}
	ok, err := rlwe.NewParametersFromLiteral(rlwe.ParametersLiteral{LogN: 13, LogQ: []int{60, 60, 60}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateParameters(ok); err != nil {
		t.Fatalf("secure set refused: %v", err)
	}
}

func TestCircuitNames(t *testing.T) {
	t.Parallel()
	for _, c := range []Circuit{CircuitLinearScore, CircuitRowScore, CircuitExactCount} {
		got, err := ParseCircuit(c.String())
		if err != nil || got != c {
			t.Fatalf("ParseCircuit(%q) = %v, %v", c, got, err)
		}
		if set := lookup(t, DefaultSetName(c)); !set.Supports(c) {
			t.Fatalf("default set %s does not support %s", set.Name(), c)
		}
	}
	_, err := ParseCircuit("sum")
	wantErr(t, err, ErrInvalidArgument)
}

func TestMonomials(t *testing.T) {
	t.Parallel()
	for f := 1; f <= 8; f++ {
		for d := 1; d <= 3; d++ {
			if got, want := len(monomials(f, d)), monomialCount(f, d); got != want {
				t.Fatalf("f=%d d=%d: %d monomials, count %d", f, d, got, want)
			}
		}
	}
	if got := multinomial(monomial{0, 0, 1}); got != 3 {
		t.Fatalf("multinomial(x0²x1) = %v, want 3", got)
	}
}
