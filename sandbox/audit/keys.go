package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Keys is the log's signing identity: an Ed25519 signed-note key whose name is the log's origin.
type Keys struct {
	Signer   note.Signer
	Verifier note.Verifier
	// VerifierKey is the public key in signed-note form ("<origin>+<hash>+<base64>"): what
	// auditors pin and what the disclosure publishes.
	VerifierKey string
}

// Origin returns the log's origin line (the key's name).
func (k Keys) Origin() string { return k.Signer.Name() }

// LoadOrCreateKeys reads the signing key at path (0600), creating it for origin on first use; the
// verifier key is written beside it as path+".pub". An existing key for another origin is refused.
func LoadOrCreateKeys(path, origin string) (Keys, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		skey, vkey, gerr := note.GenerateKey(rand.Reader, origin)
		if gerr != nil {
			return Keys{}, fmt.Errorf("audit: generate log key: %w", gerr)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return Keys{}, err
		}
		if err := writeFileSync(path, []byte(skey+"\n"), 0o600); err != nil {
			return Keys{}, fmt.Errorf("audit: write log key: %w", err)
		}
		if err := writeFileSync(path+".pub", []byte(vkey+"\n"), 0o644); err != nil {
			return Keys{}, fmt.Errorf("audit: write verifier key: %w", err)
		}
		b = []byte(skey)
	} else if err != nil {
		return Keys{}, fmt.Errorf("audit: read log key: %w", err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(b)))
	if err != nil {
		return Keys{}, fmt.Errorf("audit: %s is not a signed-note key: %w", path, err)
	}
	if signer.Name() != origin {
		return Keys{}, fmt.Errorf("audit: %s signs for log %q, not %q: refusing to mix logs", path, signer.Name(), origin)
	}
	vkey, err := verifierKeyOf(strings.TrimSpace(string(b)))
	if err != nil {
		return Keys{}, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return Keys{}, fmt.Errorf("audit: derive verifier: %w", err)
	}
	return Keys{Signer: signer, Verifier: verifier, VerifierKey: vkey}, nil
}

// verifierKeyOf derives the public verifier key from a signed-note private key
// ("PRIVATE+KEY+<name>+<hash>+<base64 of alg||seed>").
func verifierKeyOf(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("audit: malformed log key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 { // 1: the Ed25519 algorithm byte
		return "", errors.New("audit: the log key is not an Ed25519 signed-note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(parts[2], pub)
	if err != nil {
		return "", fmt.Errorf("audit: derive verifier key: %w", err)
	}
	return vkey, nil
}

// writeFileSync writes a file and fsyncs it before returning.
func writeFileSync(path string, b []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ParseVerifierKey parses a signed-note verifier key ("<origin>+<hash>+<base64>").
func ParseVerifierKey(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("audit: not a verifier key: %w", err)
	}
	return v, nil
}
