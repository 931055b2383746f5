package he

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Fixtures shared by the validation tests: a CKKS linear_score job and a BGV exact_count job.
var fixtures struct {
	once                sync.Once
	linear, linear14    client
	row, count, count32 client
	sums                [][]float64
	codes               []uint64
	groupOf             []int
	err                 error
}

func loadFixtures(t *testing.T) {
	t.Helper()
	fixtures.once.Do(func() {
		w := []float64{1, -2, 0.5}
		build := func(setName string, c Circuit, codeSpace int, enc func(*ClientKeys) (*Inputs, error)) client {
			cl, err := buildClient(setName, c, codeSpace, enc)
			if err != nil && fixtures.err == nil {
				fixtures.err = err
			}
			return cl
		}
		linear := func(k *ClientKeys) (*Inputs, error) { return EncryptLinearWeights(k, w) }
		fixtures.linear = build("ckks-n13", CircuitLinearScore, 0, linear)
		fixtures.linear14 = build("ckks-n14", CircuitLinearScore, 0, linear)
		fixtures.row = build("ckks-n13", CircuitRowScore, 0, func(k *ClientKeys) (*Inputs, error) { return EncryptRowWeights(k, w, 2) })
		for _, cs := range []struct {
			dst  *client
			size int
		}{{&fixtures.count, 8}, {&fixtures.count32, 32}} {
			*cs.dst = build("bgv-n14", CircuitExactCount, cs.size, func(k *ClientKeys) (*Inputs, error) {
				return EncryptSelection(k, []uint64{1, 2}, cs.size)
			})
		}
		fixtures.sums = [][]float64{{1, 2, 3}, {4, 5, 6}}
		rng := rand.New(rand.NewPCG(20, 21))
		fixtures.codes, fixtures.groupOf = countData(rng, 1000, 8, 4)
	})
	if fixtures.err != nil {
		t.Fatalf("fixtures: %v", fixtures.err)
	}
}

func setByte(b []byte, off int, v byte) []byte {
	c := bytes.Clone(b)
	c[off] = v
	return c
}

func setU16(b []byte, off int, v uint16) []byte {
	c := bytes.Clone(b)
	binary.LittleEndian.PutUint16(c[off:], v)
	return c
}

func TestMalformedLinearScoreRefused(t *testing.T) {
	t.Parallel()
	loadFixtures(t)
	set := lookup(t, "ckks-n13")
	good := fixtures.linear
	h := headerLen(set.Name())
	rng := rand.New(rand.NewPCG(22, 23))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	unreduced := bytes.Clone(good.inputs)
	binary.LittleEndian.PutUint64(unreduced[h+12:], ^uint64(0))
	// Offsets in an inputs body: features u16 @0, degree u8 @2, code space u32 @3, count
	// u16 @7, level u8 @9, scale exponent u16 @10, ciphertexts @12.
	cases := map[string]struct {
		material, inputs []byte
		sums             [][]float64
		want             error
	}{
		"empty inputs":            {good.material, nil, nil, ErrMalformed},
		"empty material":          {nil, good.inputs, nil, ErrMalformed},
		"random inputs":           {good.material, random, nil, ErrMalformed},
		"random material":         {random, good.inputs, nil, ErrMalformed},
		"truncated inputs":        {good.material, good.inputs[:len(good.inputs)-1], nil, ErrMalformed},
		"truncated material":      {good.material[:len(good.material)/2], good.inputs, nil, ErrMalformed},
		"trailing bytes":          {good.material, append(bytes.Clone(good.inputs), 0), nil, ErrMalformed},
		"header only":             {good.material, good.inputs[:h], nil, ErrMalformed},
		"bad magic":               {good.material, setByte(good.inputs, 0, 'X'), nil, ErrMalformed},
		"future version":          {good.material, setByte(good.inputs, 4, 9), nil, ErrMalformed},
		"material as inputs":      {good.material, good.material, nil, ErrMalformed},
		"unreduced coefficient":   {good.material, unreduced, nil, ErrMalformed},
		"wrong count":             {good.material, setU16(good.inputs, h+7, 4), nil, ErrMalformed},
		"zero features":           {good.material, setU16(good.inputs, h, 0), nil, ErrMalformed},
		"scale out of range":      {good.material, setU16(good.inputs, h+10, 4000), nil, ErrMalformed},
		"wrong level":             {good.material, setByte(good.inputs, h+9, 1), nil, ErrParamsMismatch},
		"wrong ring degree":       {good.material, setByte(good.inputs, h-2, 14), nil, ErrParamsMismatch},
		"inputs of another set":   {good.material, fixtures.linear14.inputs, nil, ErrParamsMismatch},
		"material of another set": {fixtures.linear14.material, good.inputs, nil, ErrParamsMismatch},
		"inputs for row_score":    {good.material, fixtures.row.inputs, nil, ErrParamsMismatch},
		"material for row_score":  {fixtures.row.material, good.inputs, nil, ErrParamsMismatch},
		"bgv inputs":              {good.material, fixtures.count.inputs, nil, ErrParamsMismatch},
		"sums of wrong width":     {good.material, good.inputs, [][]float64{{1, 2}}, ErrInvalidArgument},
		"no groups":               {good.material, good.inputs, [][]float64{}, ErrInvalidArgument},
		"too large":               {good.material, make([]byte, MaxInputBytes+1), nil, ErrMalformed},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sums := tc.sums
			if sums == nil {
				sums = fixtures.sums
			}
			_, err := LinearScore(set, tc.material, tc.inputs, sums, testSeed(1))
			wantErr(t, err, tc.want)
		})
	}
}

func TestMalformedExactCountRefused(t *testing.T) {
	t.Parallel()
	loadFixtures(t)
	set := lookup(t, "bgv-n14")
	good := fixtures.count
	h := headerLen(set.Name())
	// Material body: code space u32 @0, Galois key count u8 @4, public key @5, then per key
	// its Galois element u64 and gadget polynomials.
	galoisAt := h + 5 + 2*polyBytes(set.N(), zeroKeyLevel(BGV))
	wrongElement := bytes.Clone(good.material)
	binary.LittleEndian.PutUint64(wrongElement[galoisAt:], 3)
	cases := map[string]struct {
		material, inputs []byte
		codes            []uint64
		want             error
	}{
		"missing Galois key":      {setByte(good.material, h+4, 1), good.inputs, nil, ErrMalformed},
		"wrong Galois element":    {wrongElement, good.inputs, nil, ErrParamsMismatch},
		"code space mismatch":     {fixtures.count32.material, good.inputs, nil, ErrParamsMismatch},
		"truncated material":      {good.material[:len(good.material)-8], good.inputs, nil, ErrMalformed},
		"truncated inputs":        {good.material, good.inputs[:100], nil, ErrMalformed},
		"ckks material":           {fixtures.linear.material, good.inputs, nil, ErrParamsMismatch},
		"ckks inputs":             {good.material, fixtures.linear.inputs, nil, ErrParamsMismatch},
		"code outside code space": {good.material, good.inputs, []uint64{8}, ErrInvalidArgument},
		"too large material":      {make([]byte, MaxMaterialBytes+1), good.inputs, nil, ErrMalformed},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			codes, groupOf := fixtures.codes, fixtures.groupOf
			if tc.codes != nil {
				codes, groupOf = tc.codes, []int{0}
			}
			_, err := ExactCount(set, tc.material, tc.inputs, codes, groupOf, 4, testSeed(1))
			wantErr(t, err, tc.want)
		})
	}
}

func TestBadArgumentsRefused(t *testing.T) {
	t.Parallel()
	loadFixtures(t)
	ckksSet, bgvSet := lookup(t, "ckks-n13"), lookup(t, "bgv-n14")
	x := [][]float64{{1, 2}, {3, 4}, {5, 6}}
	logistic, _ := ApprovedPolynomial("logistic3")
	cubic := Polynomial{Name: "too high", Coeffs: []float64{0, 0, 0, 0, 1}}
	cases := map[string]func() error{
		"short seed": func() error {
			_, err := LinearScore(ckksSet, fixtures.linear.material, fixtures.linear.inputs, fixtures.sums, []byte("short"))
			return err
		},
		"set does not run circuit": func() error {
			_, err := LinearScore(bgvSet, fixtures.linear.material, fixtures.linear.inputs, fixtures.sums, testSeed(1))
			return err
		},
		"group out of range": func() error {
			_, err := RowScore(ckksSet, fixtures.row.material, fixtures.row.inputs, x, []int{0, 5}, 2, &Polynomial{Name: "q", Coeffs: []float64{0, 1, 1}}, testSeed(1))
			return err
		},
		"ragged features": func() error {
			_, err := RowScore(ckksSet, fixtures.row.material, fixtures.row.inputs, [][]float64{{1}, {2, 3}, {4, 5}}, []int{0, 1}, 2, &Polynomial{Name: "q", Coeffs: []float64{0, 1, 1}}, testSeed(1))
			return err
		},
		"polynomial degree above the limit": func() error {
			_, err := RowScore(ckksSet, fixtures.row.material, fixtures.row.inputs, x, []int{0, 1}, 2, &cubic, testSeed(1))
			return err
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			err := run()
			if err == nil {
				t.Fatal("accepted")
			}
			wantErr(t, err, map[bool]error{true: ErrParamsMismatch, false: ErrInvalidArgument}[name == "set does not run circuit"])
		})
	}
	// Inputs encrypted for degree 2, job polynomial of degree 3.
	_, err := RowScore(ckksSet, fixtures.row.material, fixtures.row.inputs, x, []int{0, 1}, 2, &logistic, testSeed(1))
	wantErr(t, err, ErrParamsMismatch)
}

func TestParseResultRefusesGarbage(t *testing.T) {
	t.Parallel()
	loadFixtures(t)
	res, err := LinearScore(lookup(t, "ckks-n13"), fixtures.linear.material, fixtures.linear.inputs, fixtures.sums, testSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	b := mustMarshal(t, res)
	back, err := ParseResult(b)
	if err != nil {
		t.Fatalf("round trip: %v", err)
	}
	if back.Digest() != res.Digest() {
		t.Fatal("digest changed in a round trip")
	}
	for name, bad := range map[string][]byte{
		"empty":     nil,
		"truncated": b[:len(b)-3],
		"trailing":  append(bytes.Clone(b), 1),
		"unknown set": func() []byte {
			c := bytes.Clone(b)
			copy(c[7:], "zzzz")
			return c
		}(),
	} {
		if _, err := ParseResult(bad); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			wantErr(t, err, ErrMalformed)
		}
	}
	// A result decrypted with keys of another set is refused, not misdecoded.
	if _, err := DecryptScores(fixtures.linear14.keys, res); err == nil {
		t.Fatal("decrypted a ckks-n13 result with ckks-n14 keys")
	}
	if _, err := DecryptCounts(fixtures.linear.keys, res); err == nil {
		t.Fatal("decoded scores as counts")
	}
}

func TestKeysDirectory(t *testing.T) {
	t.Parallel()
	loadFixtures(t)
	dir := filepath.Join(t.TempDir(), "job-keys")
	keys := fixtures.linear.keys
	if err := keys.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, SecretKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("secret key mode %o, want 0600", info.Mode().Perm())
	}
	if err := keys.WriteDir(dir); err == nil {
		t.Fatal("WriteDir overwrote existing keys")
	}
	back, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := LinearScore(lookup(t, "ckks-n13"), fixtures.linear.material, fixtures.linear.inputs, fixtures.sums, testSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecryptScores(back, res)
	if err != nil {
		t.Fatal(err)
	}
	if want := plainLinear(fixtures.sums, []float64{1, -2, 0.5}); got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("keys read back decrypt %v, want %v", got, want)
	}
	// Material derived from keys read back is byte-identical in its public key part.
	m1, _ := keys.EvaluationMaterial(CircuitLinearScore, 0)
	m2, _ := back.EvaluationMaterial(CircuitLinearScore, 0)
	if !bytes.Equal(mustMarshal(t, m1), mustMarshal(t, m2)) {
		t.Fatal("public key changed through WriteDir/ReadDir")
	}
	if err := os.Chmod(filepath.Join(dir, SecretKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadDir(dir)
	wantErr(t, err, ErrInvalidArgument)
	if err := os.Chmod(filepath.Join(dir, SecretKeyFile), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, PublicKeyFile), []byte("IVHE junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadDir(dir)
	wantErr(t, err, ErrMalformed)
}
