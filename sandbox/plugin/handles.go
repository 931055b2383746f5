package plugin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
)

// HandleKeySize is the size of RunSpec.HandleKey.
const HandleKeySize = 32

// handles maps row positions to opaque int64 handles and back: a keyed four-round Feistel
// network on 64 bits, a bijection whatever the round function. A handle is valid when its
// inverse is a position already issued. The handles hide nothing a plugin cannot see anyway
// (the order of its input); they keep row identities job-local and make invented handles
// fail.
type handles struct {
	k [4]uint32
}

func newHandles(key []byte) (handles, []byte, error) {
	if key == nil {
		key = make([]byte, HandleKeySize)
		if _, err := rand.Read(key); err != nil {
			return handles{}, nil, err
		}
	}
	if len(key) != HandleKeySize {
		return handles{}, nil, ErrBadInput
	}
	sum := sha256.Sum256(append([]byte("inviso plugin row handles v1\x00"), key...))
	var h handles
	for i := range h.k {
		h.k[i] = binary.LittleEndian.Uint32(sum[4*i:])
	}
	return h, key, nil
}

func round(x, k uint32) uint32 {
	x ^= k
	x *= 0x9e3779b1
	x ^= x >> 15
	x *= 0x85ebca77
	x ^= x >> 13
	return x
}

// handle returns the handle of position i.
func (h handles) handle(i uint64) int64 {
	l, r := uint32(i>>32), uint32(i)
	for _, k := range h.k {
		l, r = r, l^round(r, k)
	}
	return int64(uint64(l)<<32 | uint64(r))
}

// position returns the position whose handle is v.
func (h handles) position(v int64) uint64 {
	l, r := uint32(uint64(v)>>32), uint32(uint64(v))
	for i := len(h.k) - 1; i >= 0; i-- {
		l, r = r^round(l, h.k[i]), l
	}
	return uint64(l)<<32 | uint64(r)
}
