package he

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/tuneinsight/lattigo/v6/ring"
)

// Wire format. Every blob this package writes starts with the same header:
//
//	magic "IVHE" | version u8 | kind u8 | len(set) u8 | set | logN u8 | circuit u8
//
// followed by a kind-specific body of fixed-width little-endian fields and raw polynomial
// coefficients (one uint64 per coefficient, RNS limb by limb, NTT domain). Lattigo's own
// serialization is not used for anything that crosses the trust boundary: it trusts the
// lengths it reads and allocates accordingly. Here every length follows from the header
// and the named set, the total is checked before any allocation, and every coefficient is
// checked to be below its modulus.
const (
	magic      = "IVHE"
	version    = 1
	maxNameLen = 32
)

type blobKind uint8

const (
	kindMaterial blobKind = iota + 1
	kindInputs
	kindResult
	kindSecretKey
	kindPublicKey
)

func (k blobKind) String() string {
	switch k {
	case kindMaterial:
		return "evaluation material"
	case kindInputs:
		return "inputs"
	case kindResult:
		return "result"
	case kindSecretKey:
		return "secret key"
	case kindPublicKey:
		return "public key"
	}
	return "blob"
}

// header is the common prefix of every blob.
type header struct {
	kind    blobKind
	set     string
	logN    int
	circuit Circuit
}

// writer appends fixed-width fields to a byte slice.
type writer struct{ b []byte }

func (w *writer) u8(v uint8)   { w.b = append(w.b, v) }
func (w *writer) u16(v uint16) { w.b = binary.LittleEndian.AppendUint16(w.b, v) }
func (w *writer) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *writer) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }

func (w *writer) header(h header) {
	w.b = append(w.b, magic...)
	w.u8(version)
	w.u8(uint8(h.kind))
	w.u8(uint8(len(h.set)))
	w.b = append(w.b, h.set...)
	w.u8(uint8(h.logN))
	w.u8(uint8(h.circuit))
}

// poly appends the first level+1 RNS limbs of p.
func (w *writer) poly(p ring.Poly, level int) {
	start := len(w.b)
	w.b = slices.Grow(w.b, polyBytes(p.N(), level))[:start+polyBytes(p.N(), level)]
	dst := w.b[start:]
	for i := 0; i <= level; i++ {
		for _, c := range p.Coeffs[i] {
			binary.LittleEndian.PutUint64(dst, c)
			dst = dst[8:]
		}
	}
}

// reader consumes fixed-width fields; the first short read sticks as err.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.err = fmt.Errorf("%w: truncated", ErrMalformed)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if v := r.take(2); v != nil {
		return binary.LittleEndian.Uint16(v)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if v := r.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if v := r.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

// header reads and checks the common prefix against the expected kind and set. A blob for
// another set or ring degree is ErrParamsMismatch; anything unreadable is ErrMalformed.
func (r *reader) header(want blobKind, set ParamSet) (header, error) {
	if m := r.take(len(magic)); r.err != nil || string(m) != magic {
		return header{}, fmt.Errorf("%w: not an inviso HE %s (bad magic)", ErrMalformed, want)
	}
	if v := r.u8(); r.err == nil && v != version {
		return header{}, fmt.Errorf("%w: %s version %d, want %d", ErrMalformed, want, v, version)
	}
	h := header{kind: blobKind(r.u8())}
	name := r.take(int(r.u8()))
	h.set = string(name)
	h.logN = int(r.u8())
	h.circuit = Circuit(r.u8())
	if r.err != nil {
		return header{}, r.err
	}
	if h.kind != want {
		return header{}, fmt.Errorf("%w: got %s, want %s", ErrMalformed, h.kind, want)
	}
	if h.set != set.Name() {
		return header{}, fmt.Errorf("%w: %s built for set %.32q, job uses %s", ErrParamsMismatch, want, h.set, set.Name())
	}
	if h.logN != set.LogN() {
		return header{}, fmt.Errorf("%w: %s has ring degree 2^%d, set %s has 2^%d", ErrParamsMismatch, want, h.logN, set.Name(), set.LogN())
	}
	return h, nil
}

// peekSet returns the set name of a blob without validating the rest, so a client can look
// up the set a result or key file was made for.
func peekSet(b []byte) (string, error) {
	r := reader{b: b}
	if m := r.take(len(magic)); r.err != nil || string(m) != magic {
		return "", fmt.Errorf("%w: bad magic", ErrMalformed)
	}
	r.u8()
	r.u8()
	name := r.take(int(r.u8()))
	if r.err != nil {
		return "", r.err
	}
	return string(name), nil
}

// poly fills the first level+1 limbs of p from the stream, refusing coefficients that are
// not reduced modulo their prime.
func (r *reader) poly(p ring.Poly, moduli []uint64, level int) {
	n := len(p.Coeffs[0])
	for i := 0; i <= level; i++ {
		raw := r.take(8 * n)
		if r.err != nil {
			return
		}
		q := moduli[i]
		dst := p.Coeffs[i]
		for j := range dst {
			c := binary.LittleEndian.Uint64(raw[8*j:])
			if c >= q {
				r.err = fmt.Errorf("%w: coefficient not reduced modulo q_%d", ErrMalformed, i)
				return
			}
			dst[j] = c
		}
	}
}

// done reports trailing bytes as malformed.
func (r *reader) done() error {
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(r.b))
	}
	return nil
}

func headerLen(set string) int { return len(magic) + 3 + len(set) + 2 }

// polyBytes is the encoded size of a polynomial with level+1 limbs.
func polyBytes(n, level int) int { return 8 * n * (level + 1) }

// checkLen refuses a blob whose total length differs from the one its header implies,
// before anything is allocated for it.
func checkLen(what string, got, want int) error {
	if got != want {
		return fmt.Errorf("%w: %s is %d bytes, its header implies %d", ErrMalformed, what, got, want)
	}
	return nil
}
