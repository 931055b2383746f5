package blob

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestPutGet(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 100_000)
	rand.Read(data)
	d, err := s.Put(bytes.NewReader(data), 1<<20)
	if err != nil || !ValidDigest(d) || !s.Has(d) {
		t.Fatalf("put: %q %v", d, err)
	}
	if d2, _ := s.Put(bytes.NewReader(data), 1<<20); d2 != d {
		t.Fatal("the same bytes got two digests")
	}
	got, err := s.Get(d, 1<<20)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get: %v", err)
	}
	if _, err := s.Get(d, 10); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("get beyond max: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	if _, err := s.Put(strings.NewReader("0123456789x"), 10); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized put: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a refused upload left %d file(s)", len(entries))
	}
	for _, d := range []string{"", "sha256:xyz", "md5:00", "sha256:../../etc/passwd", "sha256:" + strings.Repeat("A", 64)} {
		if _, err := s.Get(d, 10); !errors.Is(err, ErrDigest) {
			t.Errorf("get %q: %v", d, err)
		}
	}
	if _, err := s.Get("sha256:"+strings.Repeat("0", 64), 10); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown blob: %v", err)
	}
	// A stored blob changed on disk is refused.
	d, _ := s.Put(strings.NewReader("hello"), 10)
	os.WriteFile(s.path(d), []byte("jello"), 0o600)
	if _, err := s.Get(d, 10); !errors.Is(err, ErrCorrupt) {
		t.Errorf("altered blob: %v", err)
	}
}
