package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

const (
	prefix      = "inv_"
	selectorLen = 8  // bytes
	secretLen   = 32 // bytes: 256 bits
)

// ErrMalformed means a string is not shaped like an inviso token.
var ErrMalformed = errors.New("malformed token")

// Issued is a new token: Token is shown once to its holder; Selector and Hash are stored.
type Issued struct {
	Token    string
	Selector string
	Hash     []byte
}

// New issues a fresh random token.
func New() (Issued, error) {
	var sel [selectorLen]byte
	var sec [secretLen]byte
	if _, err := rand.Read(sel[:]); err != nil {
		return Issued{}, err
	}
	if _, err := rand.Read(sec[:]); err != nil {
		return Issued{}, err
	}
	s := hex.EncodeToString(sel[:])
	secret := base64.RawURLEncoding.EncodeToString(sec[:])
	sum := sha256.Sum256([]byte(secret))
	return Issued{Token: prefix + s + "_" + secret, Selector: s, Hash: sum[:]}, nil
}

// Parse splits a presented token into its selector and secret.
func Parse(tok string) (selector, secret string, err error) {
	rest, ok := strings.CutPrefix(tok, prefix)
	if !ok {
		return "", "", ErrMalformed
	}
	selector, secret, ok = strings.Cut(rest, "_")
	if !ok || len(selector) != 2*selectorLen || len(secret) != base64.RawURLEncoding.EncodedLen(secretLen) {
		return "", "", ErrMalformed
	}
	if _, err := hex.DecodeString(selector); err != nil {
		return "", "", ErrMalformed
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret); err != nil {
		return "", "", ErrMalformed
	}
	return selector, secret, nil
}

// Verify reports whether secret hashes to stored, in constant time.
func Verify(secret string, stored []byte) bool {
	sum := sha256.Sum256([]byte(secret))
	return len(stored) == sha256.Size && subtle.ConstantTimeCompare(sum[:], stored) == 1
}
