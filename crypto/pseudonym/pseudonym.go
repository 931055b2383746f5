package pseudonym

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
)

// MasterSize is the size in bytes of the sandbox's master secret.
const MasterSize = 32

// label is the domain separator of key derivation, version 1.
const label = "inviso/pseudonym/v1\x00"

// Errors of DeriveKey.
var (
	// ErrShortMaster means the master secret has fewer than MasterSize bytes.
	ErrShortMaster = errors.New("pseudonym: master secret must be 32 bytes")
	// ErrNoGrant means the grant id is empty.
	ErrNoGrant = errors.New("pseudonym: empty grant id")
)

// Key is one grant's pseudonym key. The zero Key is not a key: IsZero reports it, and the
// workspace builder refuses it.
type Key [32]byte

// DeriveKey returns the key of a grant: HMAC-SHA-256(master, "inviso/pseudonym/v1\x00" + grantID).
// It refuses a master secret shorter than MasterSize bytes (a short or empty secret would let
// anyone who knows a grant id compute its pseudonyms of guessable ids) and an empty grant id.
func DeriveKey(master []byte, grantID string) (Key, error) {
	if len(master) < MasterSize {
		return Key{}, ErrShortMaster
	}
	if grantID == "" {
		return Key{}, ErrNoGrant
	}
	m := hmac.New(sha256.New, master)
	m.Write([]byte(label))
	m.Write([]byte(grantID))
	var k Key
	m.Sum(k[:0])
	return k, nil
}

// IsZero reports whether k is the zero Key (in constant time).
func (k Key) IsZero() bool {
	var zero Key
	return subtle.ConstantTimeCompare(k[:], zero[:]) == 1
}

// String hides the key, so a key never reaches a log through fmt.
func (k Key) String() string { return "pseudonym.Key(…)" }

// GoString hides the key from %#v as well.
func (k Key) GoString() string { return k.String() }

// Format hides the key from every fmt verb (%x, %v, %d …).
func (k Key) Format(f fmt.State, _ rune) { f.Write([]byte(k.String())) }

// Int64 returns the pseudonym of v. It builds a fresh HMAC state on every call; in a loop, use a
// Hasher.
func (k Key) Int64(v []byte) int64 {
	return k.NewHasher().Int64(v)
}

// Hasher computes pseudonyms under one key, reusing its HMAC state between values: after the
// first value, each pseudonym costs two SHA-256 block compressions for short inputs. A Hasher is
// not safe for concurrent use; give each goroutine its own (e.g. through a sync.Pool).
type Hasher struct {
	mac     hash.Hash
	sum     [sha256.Size]byte
	scratch []byte
}

// NewHasher returns a Hasher for k.
func (k Key) NewHasher() *Hasher {
	return &Hasher{mac: hmac.New(sha256.New, k[:]), scratch: make([]byte, 0, 64)}
}

// Int64 returns the pseudonym of v: the first 8 bytes of HMAC-SHA-256(key, v), big-endian,
// as an int64.
func (h *Hasher) Int64(v []byte) int64 {
	h.mac.Reset()
	h.mac.Write(v)
	s := h.mac.Sum(h.sum[:0])
	return int64(binary.BigEndian.Uint64(s[:8]))
}

// String returns the pseudonym of the bytes of s, without allocating.
func (h *Hasher) String(s string) int64 {
	h.scratch = append(h.scratch[:0], s...)
	return h.Int64(h.scratch)
}
