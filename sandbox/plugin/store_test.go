package plugin

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStore(t *testing.T) {
	t.Parallel()
	setup(t) // builds the test plugins
	dir := filepath.Join(t.TempDir(), "store")
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(binPath("identity"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.Put(bytes.NewReader(bin), int64(len(bin)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseDigest(d); err != nil || !st.Has(d) {
		t.Fatalf("digest %q: %v, has %v", d, err, st.Has(d))
	}
	if d2, err := st.Put(bytes.NewReader(bin), int64(len(bin))); err != nil || d2 != d {
		t.Fatalf("second put: %q, %v", d2, err)
	}
	p, _ := st.Path(d)
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o500 {
		t.Fatalf("stored file: %v, mode %v", err, fi.Mode())
	}
	di, _ := os.Stat(dir)
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("store directory mode %v", di.Mode())
	}

	wrongArch := bytes.Clone(bin)
	wrongArch[18], wrongArch[19] = byte(elf.EM_MIPS), 0
	if elfMachines["amd64"] == elf.EM_MIPS {
		t.Fatal("unexpected machine table")
	}
	for name, tc := range map[string]struct {
		data []byte
		max  int64
		want error
	}{
		"too large":     {bin, int64(len(bin)) - 1, ErrTooLarge},
		"script":        {[]byte("#!/bin/sh\necho hi\n"), 1 << 20, ErrBadBinary},
		"empty":         {nil, 1 << 20, ErrBadBinary},
		"truncated":     {bin[:4096], 1 << 20, ErrBadBinary},
		"wrong arch":    {wrongArch, int64(len(bin)), ErrBadBinary},
		"no size limit": {bin, 0, ErrBadInput},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := st.Put(bytes.NewReader(tc.data), tc.max); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// A dynamically linked executable cannot run in an empty root.
	if exe, err := os.Executable(); err == nil {
		if f, err := elf.Open(exe); err == nil {
			dynamic := false
			for _, p := range f.Progs {
				dynamic = dynamic || p.Type == elf.PT_INTERP
			}
			f.Close()
			if dynamic {
				data, _ := os.ReadFile(exe)
				_, err := st.Put(bytes.NewReader(data), int64(len(data)))
				if !errors.Is(err, ErrBadBinary) || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
					t.Errorf("dynamic executable: %v", err)
				}
			}
		}
	}
	// Failed uploads leave nothing behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("store holds %d entries, want 1", len(ents))
	}
}

func TestParseDigest(t *testing.T) {
	t.Parallel()
	good := "sha256:" + strings.Repeat("0a", 32)
	if _, err := ParseDigest(good); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "sha256:", "sha512:" + strings.Repeat("0a", 32), "sha256:" + strings.Repeat("0A", 32),
		"sha256:" + strings.Repeat("0a", 31), "sha256:" + strings.Repeat("zz", 32), "sha256:../../etc/passwd"} {
		if _, err := ParseDigest(bad); !errors.Is(err, ErrBadDigest) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
