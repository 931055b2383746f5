package contract

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Flatbuffer type ids of the Arrow types a stream may carry (Schema.fbs, union Type).
const (
	fbInt           = 2
	fbFloatingPoint = 3
	fbUtf8          = 5
	fbBool          = 6
)

// Flatbuffer message header ids (Message.fbs, union MessageHeader).
const (
	fbSchema      = 1
	fbRecordBatch = 3
)

// Bounds on metadata that Arrow would otherwise size allocations by.
const (
	maxKeyValues = 64
	maxString    = 64 << 10
)

var errMeta = errors.New("malformed message metadata")

// VerifyMetadata checks the flatbuffer metadata of one IPC message from an untrusted peer
// before Arrow parses it. Arrow's Go parser trusts its input: a forged vector length makes it
// allocate without bound (a fatal out-of-memory, not a panic). VerifyMetadata accepts only
// schema and record batch messages; schemas whose fields have only the types of AllowedTypes
// (by flatbuffer type id: Int, FloatingPoint, Utf8, Bool), no dictionaries and no children;
// uncompressed record batches; and bounded vectors and strings, all within the buffer.
func VerifyMetadata(b []byte) error {
	msg, err := root(b)
	if err != nil {
		return err
	}
	if err := keyValues(msg, 4); err != nil {
		return err
	}
	kind, err := msg.u8(1)
	if err != nil {
		return err
	}
	hdr, ok, err := msg.sub(2)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: no header", errMeta)
	}
	switch kind {
	case fbSchema:
		return verifySchema(hdr)
	case fbRecordBatch:
		return verifyBatch(hdr)
	}
	return fmt.Errorf("%w: message type %d is not allowed (only schemas and record batches)", errMeta, kind)
}

func verifySchema(s table) error {
	start, n, err := s.vector(1, 4, MaxColumns)
	if err != nil {
		return err
	}
	for i := range n {
		f, err := s.at(start + 4*i)
		if err != nil {
			return err
		}
		if err := verifyField(f); err != nil {
			return fmt.Errorf("field %d: %w", i+1, err)
		}
	}
	if err := keyValues(s, 2); err != nil {
		return err
	}
	_, _, err = s.vector(3, 8, 64)
	return err
}

func verifyField(f table) error {
	if err := f.str(0); err != nil {
		return err
	}
	tt, err := f.u8(2)
	if err != nil {
		return err
	}
	switch tt {
	case fbInt, fbFloatingPoint, fbUtf8, fbBool:
	default:
		return fmt.Errorf("%w: type id %d is not allowed", errMeta, tt)
	}
	if _, ok, err := f.sub(3); err != nil || !ok {
		return fmt.Errorf("%w: field type missing", errMeta)
	}
	if _, ok, err := f.sub(4); err != nil || ok {
		return fmt.Errorf("%w: dictionary-encoded fields are not allowed", errMeta)
	}
	if _, _, err := f.vector(5, 4, 0); err != nil {
		return fmt.Errorf("%w: nested fields are not allowed", errMeta)
	}
	return keyValues(f, 6)
}

func verifyBatch(r table) error {
	if _, _, err := r.vector(1, 16, MaxColumns); err != nil {
		return err
	}
	if _, _, err := r.vector(2, 16, 3*MaxColumns); err != nil {
		return err
	}
	if _, ok, err := r.sub(3); err != nil || ok {
		return fmt.Errorf("%w: compressed record batches are not allowed", errMeta)
	}
	_, _, err := r.vector(4, 8, 0)
	return err
}

func keyValues(t table, field int) error {
	start, n, err := t.vector(field, 4, maxKeyValues)
	if err != nil {
		return err
	}
	for i := range n {
		kv, err := t.at(start + 4*i)
		if err != nil {
			return err
		}
		if err := kv.str(0); err != nil {
			return err
		}
		if err := kv.str(1); err != nil {
			return err
		}
	}
	return nil
}

// table is a flatbuffer table whose vtable and inline part are within b.
type table struct {
	b          []byte
	pos        int // table start
	vt, vtSize int // vtable start and size
	size       int // inline size
}

func u32(b []byte, p int) (int, bool) {
	if p < 0 || p > len(b)-4 {
		return 0, false
	}
	return int(binary.LittleEndian.Uint32(b[p:])), true
}

func root(b []byte) (table, error) {
	off, ok := u32(b, 0)
	if !ok {
		return table{}, errMeta
	}
	return tableAt(b, off)
}

func tableAt(b []byte, p int) (table, error) {
	so, ok := u32(b, p)
	if !ok {
		return table{}, errMeta
	}
	vt := p - int(int32(so))
	if vt < 0 || vt > len(b)-4 {
		return table{}, errMeta
	}
	vtSize := int(binary.LittleEndian.Uint16(b[vt:]))
	size := int(binary.LittleEndian.Uint16(b[vt+2:]))
	if vtSize < 4 || vtSize%2 != 0 || vt+vtSize > len(b) || size < 4 || p+size > len(b) {
		return table{}, errMeta
	}
	return table{b: b, pos: p, vt: vt, vtSize: vtSize, size: size}, nil
}

// field returns where field i is, 0 if absent.
func (t table) field(i int) (int, error) {
	e := 4 + 2*i
	if e+2 > t.vtSize {
		return 0, nil
	}
	off := int(binary.LittleEndian.Uint16(t.b[t.vt+e:]))
	if off == 0 {
		return 0, nil
	}
	if off < 4 || off >= t.size {
		return 0, errMeta
	}
	return t.pos + off, nil
}

func (t table) u8(i int) (uint8, error) {
	p, err := t.field(i)
	if err != nil || p == 0 {
		return 0, err
	}
	return t.b[p], nil
}

// ref follows the offset stored in field i.
func (t table) ref(i int) (int, bool, error) {
	p, err := t.field(i)
	if err != nil || p == 0 {
		return 0, false, err
	}
	if p+4 > t.pos+t.size {
		return 0, false, errMeta
	}
	off, _ := u32(t.b, p)
	if off == 0 || p+off > len(t.b) {
		return 0, false, errMeta
	}
	return p + off, true, nil
}

// at reads the table an offset at p points to.
func (t table) at(p int) (table, error) {
	off, ok := u32(t.b, p)
	if !ok || off == 0 {
		return table{}, errMeta
	}
	return tableAt(t.b, p+off)
}

func (t table) sub(i int) (table, bool, error) {
	p, ok, err := t.ref(i)
	if err != nil || !ok {
		return table{}, false, err
	}
	s, err := tableAt(t.b, p)
	return s, err == nil, err
}

// vector checks the vector in field i (absent is empty): at most max elements of elem bytes,
// all within b. It returns where the elements start and how many there are.
func (t table) vector(i, elem, max int) (int, int, error) {
	p, ok, err := t.ref(i)
	if err != nil || !ok {
		return 0, 0, err
	}
	n, ok := u32(t.b, p)
	if !ok || n > max || p+4+n*elem > len(t.b) {
		return 0, 0, fmt.Errorf("%w: a vector is too long or out of bounds", errMeta)
	}
	return p + 4, n, nil
}

func (t table) str(i int) error {
	p, ok, err := t.ref(i)
	if err != nil || !ok {
		return err
	}
	n, ok := u32(t.b, p)
	if !ok || n > maxString || p+4+n > len(t.b) {
		return fmt.Errorf("%w: a string is too long or out of bounds", errMeta)
	}
	return nil
}
