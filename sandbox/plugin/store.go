package plugin

import (
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/inviso/inviso/sandbox/blob"
)

// DigestPrefix starts every digest.
const DigestPrefix = "sha256:"

// Store is a content-addressed store of plugin binaries.
type Store struct {
	dir string
}

// OpenStore opens (creating if needed) a store in dir, which is made 0700.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open plugin store: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open plugin store: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open plugin store: %w", err)
	}
	return &Store{dir: abs}, nil
}

// ParseDigest checks a digest ("sha256:" and 64 lowercase hex digits) and returns its bytes.
func ParseDigest(d string) ([]byte, error) {
	h, ok := strings.CutPrefix(d, DigestPrefix)
	if !ok || len(h) != 64 || strings.ToLower(h) != h {
		return nil, ErrBadDigest
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, ErrBadDigest
	}
	return b, nil
}

// FormatDigest formats a SHA-256 sum as a digest.
func FormatDigest(sum []byte) string { return DigestPrefix + hex.EncodeToString(sum) }

// Path returns where the binary with this digest is (or would be) stored.
func (s *Store) Path(digest string) (string, error) {
	sum, err := ParseDigest(digest)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.dir, "sha256-"+hex.EncodeToString(sum)), nil
}

// Has reports whether a binary with this digest is stored.
func (s *Store) Has(digest string) bool {
	p, err := s.Path(digest)
	if err != nil {
		return false
	}
	fi, err := os.Lstat(p)
	return err == nil && fi.Mode().IsRegular()
}

// Put reads a binary of at most maxBytes from r, checks that it is a statically linked ELF
// executable for this machine, and stores it under its digest, which it returns. Storing
// the same binary twice is not an error.
func (s *Store) Put(r io.Reader, maxBytes int64) (string, error) {
	if maxBytes <= 0 {
		return "", fmt.Errorf("%w: no size limit given", ErrBadInput)
	}
	digest, err := blob.Write(s.dir, r, maxBytes, blob.WriteOptions{
		Name:  func(digest string) string { return "sha256-" + strings.TrimPrefix(digest, DigestPrefix) },
		Check: func(f *os.File) error { return checkExecutable(f) },
		Mode:  0o500,
	})
	if errors.Is(err, blob.ErrTooLarge) {
		return "", fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxBytes)
	}
	if err != nil && !errors.Is(err, ErrBadBinary) {
		return "", fmt.Errorf("store plugin: %w", err)
	}
	return digest, err
}

// elfMachines maps GOARCH to the ELF machine this host executes.
var elfMachines = map[string]elf.Machine{
	"amd64":   elf.EM_X86_64,
	"arm64":   elf.EM_AARCH64,
	"386":     elf.EM_386,
	"arm":     elf.EM_ARM,
	"riscv64": elf.EM_RISCV,
	"ppc64le": elf.EM_PPC64,
	"s390x":   elf.EM_S390,
	"loong64": elf.EM_LOONGARCH,
}

// checkExecutable accepts a statically linked ELF executable for this OS and architecture.
func checkExecutable(r io.ReaderAt) (err error) {
	defer func() {
		// debug/elf is not meant for hostile input; a panic is a malformed file.
		if recover() != nil {
			err = fmt.Errorf("%w: malformed ELF file", ErrBadBinary)
		}
	}()
	if runtime.GOOS != "linux" {
		return fmt.Errorf("%w: plugins run on Linux only", ErrBadBinary)
	}
	ef, err := elf.NewFile(r)
	if err != nil {
		return fmt.Errorf("%w: not an ELF file", ErrBadBinary)
	}
	if want, ok := elfMachines[runtime.GOARCH]; !ok || ef.Machine != want {
		return fmt.Errorf("%w: built for %s, this machine needs GOARCH=%s", ErrBadBinary, ef.Machine, runtime.GOARCH)
	}
	if ef.Type != elf.ET_EXEC && ef.Type != elf.ET_DYN {
		return fmt.Errorf("%w: not an executable", ErrBadBinary)
	}
	if ef.OSABI != elf.ELFOSABI_NONE && ef.OSABI != elf.ELFOSABI_LINUX {
		return fmt.Errorf("%w: not a Linux executable", ErrBadBinary)
	}
	if ef.Entry == 0 {
		return fmt.Errorf("%w: no entry point", ErrBadBinary)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%w: dynamically linked; build with CGO_ENABLED=0", ErrBadBinary)
		}
	}
	return nil
}

// copyBinary copies the stored binary for digest to dst (mode 0555), for one job.
func (s *Store) copyBinary(digest, dst string) error {
	src, err := s.Path(digest)
	if err != nil {
		return err
	}
	in, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return ErrUnknownBinary
	}
	if err != nil {
		return fmt.Errorf("open plugin binary: %w", err)
	}
	defer in.Close()
	if fi, err := in.Stat(); err != nil || !fi.Mode().IsRegular() {
		return ErrUnknownBinary
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o555)
	if err != nil {
		return fmt.Errorf("copy plugin binary: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return fmt.Errorf("copy plugin binary: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy plugin binary: %w", err)
	}
	return os.Chmod(dst, 0o555)
}
