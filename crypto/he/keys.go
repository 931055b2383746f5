package he

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/ring"
	"github.com/tuneinsight/lattigo/v6/ring/ringqp"
	"github.com/tuneinsight/lattigo/v6/utils"
)

// Key directory layout written by WriteDir.
const (
	SecretKeyFile = "secret.key" // mode 0600; never leaves the developer's machine
	PublicKeyFile = "public.key" // mode 0644
)

// ClientKeys is a developer's key pair for one job. The secret key never leaves the client:
// nothing in this package serializes it except WriteDir, and the server side accepts no
// secret key in any form. Generate a fresh pair per job (see doc.go, IND-CPA-D).
type ClientKeys struct {
	set ParamSet
	sk  *rlwe.SecretKey
	pk  *rlwe.PublicKey
}

// KeyGen generates a fresh key pair for a named set, with randomness from crypto/rand.
func KeyGen(set ParamSet) (keys *ClientKeys, err error) {
	if set.Scheme() == 0 {
		return nil, fmt.Errorf("%w: zero ParamSet (use Lookup)", ErrInvalidArgument)
	}
	defer recoverInternal("keygen", &err)
	kgen := rlwe.NewKeyGenerator(set.rlwe)
	sk, pk := kgen.GenKeyPairNew()
	return &ClientKeys{set: set, sk: sk, pk: pk}, nil
}

// Set is the parameter set the keys belong to.
func (k *ClientKeys) Set() ParamSet { return k.set }

// WriteDir writes the key pair into dir (created 0700 if missing): the secret key with mode
// 0600 and the public key separately. Existing key files are not overwritten: one directory
// per job.
func (k *ClientKeys) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("he: write keys: %w", err)
	}
	if err := writeNew(filepath.Join(dir, SecretKeyFile), k.encodeSecret(), 0o600); err != nil {
		return err
	}
	return writeNew(filepath.Join(dir, PublicKeyFile), k.encodePublic(), 0o644)
}

func writeNew(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("he: write keys: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("he: write keys: %w", err)
	}
	return nil
}

// ReadDir reads a key pair written by WriteDir. A secret key file readable by group or
// others is refused, as ssh does.
func ReadDir(dir string) (keys *ClientKeys, err error) {
	defer recoverInternal("read keys", &err)
	skPath := filepath.Join(dir, SecretKeyFile)
	info, err := os.Stat(skPath)
	if err != nil {
		return nil, fmt.Errorf("he: read keys: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %o, want 0600", ErrInvalidArgument, skPath, info.Mode().Perm())
	}
	skBytes, err := os.ReadFile(skPath)
	if err != nil {
		return nil, fmt.Errorf("he: read keys: %w", err)
	}
	pkBytes, err := os.ReadFile(filepath.Join(dir, PublicKeyFile))
	if err != nil {
		return nil, fmt.Errorf("he: read keys: %w", err)
	}
	name, err := peekSet(skBytes)
	if err != nil {
		return nil, fmt.Errorf("he: read %s: %w", SecretKeyFile, err)
	}
	set, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	k := &ClientKeys{set: set, sk: rlwe.NewSecretKey(set.rlwe), pk: rlwe.NewPublicKey(set.rlwe)}
	if err := k.decodeQP(skBytes, kindSecretKey, []*ringqp.Poly{&k.sk.Value}); err != nil {
		return nil, fmt.Errorf("he: read %s: %w", SecretKeyFile, err)
	}
	if err := k.decodeQP(pkBytes, kindPublicKey, []*ringqp.Poly{&k.pk.Value[0], &k.pk.Value[1]}); err != nil {
		return nil, fmt.Errorf("he: read %s: %w", PublicKeyFile, err)
	}
	return k, nil
}

func (k *ClientKeys) encodeSecret() []byte {
	return encodeQP(k.set, kindSecretKey, []ringqp.Poly{k.sk.Value})
}

func (k *ClientKeys) encodePublic() []byte {
	return encodeQP(k.set, kindPublicKey, k.pk.Value[:])
}

func encodeQP(set ParamSet, kind blobKind, polys []ringqp.Poly) []byte {
	w := writer{}
	w.header(header{kind: kind, set: set.Name(), logN: set.LogN()})
	for _, p := range polys {
		writeQP(&w, p)
	}
	return w.b
}

func writeQP(w *writer, p ringqp.Poly) {
	w.poly(p.Q, p.Q.Level())
	if p.P.Level() >= 0 {
		w.poly(p.P, p.P.Level())
	}
}

func (k *ClientKeys) decodeQP(b []byte, kind blobKind, polys []*ringqp.Poly) error {
	r := reader{b: b}
	if _, err := r.header(kind, k.set); err != nil {
		return err
	}
	n := k.set.N()
	want := headerLen(k.set.Name()) + len(polys)*qpBytes(n, k.set.rlwe.MaxLevelQ(), k.set.rlwe.MaxLevelP())
	if err := checkLen(kind.String(), len(b), want); err != nil {
		return err
	}
	for _, p := range polys {
		readQP(&r, k.set, p)
	}
	return r.done()
}

func qpBytes(n, levelQ, levelP int) int {
	size := polyBytes(n, levelQ)
	if levelP >= 0 {
		size += polyBytes(n, levelP)
	}
	return size
}

func readQP(r *reader, set ParamSet, p *ringqp.Poly) {
	r.poly(p.Q, set.rlwe.Q(), p.Q.Level())
	if p.P.Level() >= 0 {
		r.poly(p.P, set.rlwe.P(), p.P.Level())
	}
}

// EvalMaterial is what a developer uploads for a job besides its inputs: only the public
// material the job's circuit needs.
//
//   - linear_score, row_score (CKKS): the public key at level 2, used by the server only to
//     re-randomize the result. No relinearization key, no Galois key.
//   - exact_count (BGV): the public key at level 1 (re-randomization) and the Galois keys
//     for the log2(C') rotations of the layout (C' = code space rounded up to a power of
//     two), generated at level 2 where the rotations happen (levelP 0). No
//     relinearization key.
type EvalMaterial struct {
	set       ParamSet
	circuit   Circuit
	codeSpace int
	zero      [2]ring.Poly // public key restricted to zeroKeyLevel, NTT and Montgomery form
	galois    []*rlwe.GaloisKey
}

// EvaluationMaterial derives the evaluation material for circuit c. codeSpace is
// exact_count's number of codes and must be 0 for the other circuits.
func (k *ClientKeys) EvaluationMaterial(c Circuit, codeSpace int) (m *EvalMaterial, err error) {
	defer recoverInternal("evaluation material", &err)
	if err := checkCircuitShape(k.set, c, codeSpace); err != nil {
		return nil, err
	}
	level := zeroKeyLevel(k.set.Scheme())
	m = &EvalMaterial{set: k.set, circuit: c, codeSpace: codeSpace}
	for i := range m.zero {
		m.zero[i] = *k.pk.Value[i].Q.CopyNew()
		m.zero[i].Resize(level)
	}
	if c != CircuitExactCount {
		return m, nil
	}
	kgen := rlwe.NewKeyGenerator(k.set.rlwe)
	evk := galoisKeyParams()
	for _, el := range galoisElements(k.set, codeSpace) {
		m.galois = append(m.galois, kgen.GenGaloisKeyNew(el, k.sk, evk))
	}
	return m, nil
}

func checkCircuitShape(set ParamSet, c Circuit, codeSpace int) error {
	if !set.Supports(c) {
		return fmt.Errorf("%w: circuit %s does not run on set %s", ErrParamsMismatch, c, set.Name())
	}
	if c == CircuitExactCount {
		if codeSpace < MinCodeSpace || codeSpace > MaxCodeSpace {
			return fmt.Errorf("%w: code space %d outside [%d, %d]", ErrInvalidArgument, codeSpace, MinCodeSpace, MaxCodeSpace)
		}
	} else if codeSpace != 0 {
		return fmt.Errorf("%w: code space is only meaningful for exact_count", ErrInvalidArgument)
	}
	return nil
}

func galoisKeyParams() rlwe.EvaluationKeyParameters {
	return rlwe.EvaluationKeyParameters{LevelQ: utils.Pointy(bgvRotationLevel), LevelP: utils.Pointy(0)}
}

// galoisElements are the automorphisms exact_count needs, in canonical order.
func galoisElements(set ParamSet, codeSpace int) []uint64 {
	var els []uint64
	for _, k := range layoutFor(set.N(), codeSpace).rotations() {
		els = append(els, set.bgv.GaloisElementForColRotation(k))
	}
	els = append(els, set.bgv.GaloisElementForRowRotation())
	slices.Sort(els)
	return els
}

// MarshalBinary encodes the material for upload.
func (m *EvalMaterial) MarshalBinary() ([]byte, error) {
	w := writer{}
	w.header(header{kind: kindMaterial, set: m.set.Name(), logN: m.set.LogN(), circuit: m.circuit})
	w.u32(uint32(m.codeSpace))
	w.u8(uint8(len(m.galois)))
	level := zeroKeyLevel(m.set.Scheme())
	for _, p := range m.zero {
		w.poly(p, level)
	}
	for _, gk := range m.galois {
		w.u64(gk.GaloisElement)
		for _, row := range gk.Value {
			for _, vec := range row {
				for _, p := range vec {
					writeQP(&w, p)
				}
			}
		}
	}
	return w.b, nil
}

// Circuit is the circuit the material was made for.
func (m *EvalMaterial) Circuit() Circuit { return m.circuit }

// CodeSpace is exact_count's code space (0 otherwise).
func (m *EvalMaterial) CodeSpace() int { return m.codeSpace }

// ParseEvalMaterial decodes and validates uploaded material for set and circuit c: the
// header, the size, the public key's level and coefficients, and that the Galois keys are
// exactly the ones the circuit uses, at the level it uses them.
func ParseEvalMaterial(set ParamSet, c Circuit, b []byte) (m *EvalMaterial, err error) {
	defer recoverInternal("parse evaluation material", &err)
	if len(b) > MaxMaterialBytes {
		return nil, fmt.Errorf("%w: evaluation material is %d bytes, limit %d", ErrMalformed, len(b), MaxMaterialBytes)
	}
	r := reader{b: b}
	h, err := r.header(kindMaterial, set)
	if err != nil {
		return nil, err
	}
	if h.circuit != c {
		return nil, fmt.Errorf("%w: evaluation material is for %s, job runs %s", ErrParamsMismatch, h.circuit, c)
	}
	codeSpace := int(r.u32())
	nGalois := int(r.u8())
	if r.err != nil {
		return nil, r.err
	}
	if err := checkCircuitShape(set, c, codeSpace); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var wantEls []uint64
	if c == CircuitExactCount {
		wantEls = galoisElements(set, codeSpace)
	}
	if nGalois != len(wantEls) {
		return nil, fmt.Errorf("%w: %d Galois keys, circuit uses %d", ErrMalformed, nGalois, len(wantEls))
	}
	n, level := set.N(), zeroKeyLevel(set.Scheme())
	want := headerLen(set.Name()) + 5 + 2*polyBytes(n, level) + nGalois*(8+galoisKeyBytes(set))
	if err := checkLen("evaluation material", len(b), want); err != nil {
		return nil, err
	}
	m = &EvalMaterial{set: set, circuit: c, codeSpace: codeSpace}
	for i := range m.zero {
		m.zero[i] = ring.NewPoly(n, level)
		r.poly(m.zero[i], set.rlwe.Q(), level)
	}
	for _, el := range wantEls {
		gk, err := readGaloisKey(&r, set, el)
		if err != nil {
			return nil, err
		}
		m.galois = append(m.galois, gk)
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return m, nil
}

func galoisKeyBytes(set ParamSet) int {
	dnum := set.rlwe.BaseRNSDecompositionVectorSize(bgvRotationLevel, 0)
	return dnum * 2 * qpBytes(set.N(), bgvRotationLevel, 0)
}

func readGaloisKey(r *reader, set ParamSet, wantEl uint64) (*rlwe.GaloisKey, error) {
	if el := r.u64(); r.err == nil && el != wantEl {
		return nil, fmt.Errorf("%w: Galois element %d, want %d (keys must be exactly the circuit's, sorted)", ErrParamsMismatch, el, wantEl)
	}
	gk := rlwe.NewGaloisKey(set.rlwe, galoisKeyParams())
	gk.GaloisElement = wantEl
	gk.NthRoot = set.rlwe.RingQ().NthRoot()
	for _, row := range gk.Value {
		if len(row) != 1 {
			return nil, fmt.Errorf("%w: unexpected gadget shape", ErrInternal)
		}
		for _, vec := range row {
			for i := range vec {
				readQP(r, set, &vec[i])
			}
		}
	}
	return gk, r.err
}
