package blob

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// Errors.
var (
	ErrTooLarge = errors.New("blob: too large")
	ErrNotFound = errors.New("blob: not found")
	ErrDigest   = errors.New("blob: not a sha256 digest")
	ErrCorrupt  = errors.New("blob: stored bytes do not match their digest")
)

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Store keeps blobs in one directory.
type Store struct{ dir string }

// Open opens (creating) a store in dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	return &Store{dir: dir}, nil
}

// ValidDigest reports whether d names a blob ("sha256:" and 64 lower-case hex digits).
func ValidDigest(d string) bool { return digestPattern.MatchString(d) }

func (s *Store) path(digest string) string { return filepath.Join(s.dir, name(digest)) }

// name is a blob's file name in its store.
func name(digest string) string { return digest[len("sha256:"):] }

// Put stores what r yields, at most max bytes, and returns its digest. Storing the same bytes
// twice is one blob. Nothing is left behind when it fails.
func (s *Store) Put(r io.Reader, max int64) (string, error) {
	return Write(s.dir, r, max, WriteOptions{Name: name})
}

// WriteOptions adapt Write to a store's layout and content rules.
type WriteOptions struct {
	// Name is the file name (within the directory) for a digest.
	Name func(digest string) string
	// Check, if set, reads the complete upload before it is stored and may refuse it.
	Check func(f *os.File) error
	// Mode, if set, is the stored file's mode (default 0600, CreateTemp's).
	Mode os.FileMode
}

// Write is the content-addressed write every store here shares: it copies at most max bytes
// of r into a temporary file in dir while hashing them, checks them, syncs, and renames the
// file to its digest's name (then syncs dir), so a blob is either whole under its name or
// absent. Nothing is left behind when it fails.
func Write(dir string, r io.Reader, max int64, opt WriteOptions) (string, error) {
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return "", fmt.Errorf("blob: put: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, max+1))
	if err != nil {
		return "", fmt.Errorf("blob: put: %w", err)
	}
	if n > max {
		return "", fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	if opt.Check != nil {
		if err := opt.Check(tmp); err != nil {
			return "", err
		}
	}
	if opt.Mode != 0 {
		if err := tmp.Chmod(opt.Mode); err != nil {
			return "", fmt.Errorf("blob: put: %w", err)
		}
	}
	if err := tmp.Sync(); err != nil {
		return "", fmt.Errorf("blob: put: %w", err)
	}
	digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("blob: put: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, opt.Name(digest))); err != nil {
		return "", fmt.Errorf("blob: put: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // the rename itself durable
		d.Sync()
		d.Close()
	}
	return digest, nil
}

// Get reads a whole blob (at most max bytes) and checks it against its digest.
func (s *Store) Get(digest string, max int64) ([]byte, error) {
	if !ValidDigest(digest) {
		return nil, ErrDigest
	}
	f, err := os.Open(s.path(digest))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, digest)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: get: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(f, max+1)); err != nil {
		return nil, fmt.Errorf("blob: get: %w", err)
	}
	if int64(buf.Len()) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	sum := sha256.Sum256(buf.Bytes())
	if "sha256:"+hex.EncodeToString(sum[:]) != digest {
		return nil, ErrCorrupt
	}
	return buf.Bytes(), nil
}

// Has reports whether the store holds a blob.
func (s *Store) Has(digest string) bool {
	if !ValidDigest(digest) {
		return false
	}
	_, err := os.Stat(s.path(digest))
	return err == nil
}
