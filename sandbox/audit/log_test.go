package audit_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"

	"github.com/inviso/inviso/sandbox/audit"
)

const origin = "inviso.test/log"

func openLog(t testing.TB, dir string, keys audit.Keys) *audit.Log {
	t.Helper()
	l, err := audit.Open(context.Background(), audit.Options{Dir: dir, Keys: keys, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func newKeys(t testing.TB) audit.Keys {
	t.Helper()
	k, err := audit.LoadOrCreateKeys(filepath.Join(t.TempDir(), "log.key"), origin)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fill appends n job entries from 8 concurrent writers and waits for a checkpoint covering them.
func fill(t testing.TB, l *audit.Log, n int, tag string) []byte {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				e, _ := audit.New("p_dev", audit.KindJob, fmt.Sprintf("job_%s_%d", tag, i), map[string]any{"state": "released", "rows": i})
				if _, err := l.Append(ctx, e); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	size, err := l.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, raw, err := l.WaitCheckpoint(ctx, size)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestAppendVerifyExport(t *testing.T) {
	ctx := context.Background()
	keys := newKeys(t)
	l := openLog(t, filepath.Join(t.TempDir(), "log"), keys)
	first := fill(t, l, 300, "a")
	second := fill(t, l, 300, "b")

	rep, err := audit.Verify(ctx, l.Reader(), keys.Verifier, first)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Size != 600 || rep.TrustedSize != 300 || rep.Kinds[audit.KindJob] != 600 {
		t.Fatalf("report %+v, want 600 entries consistent with 300", rep)
	}
	if !bytes.Equal(rep.Checkpoint, second) && rep.Size < 600 {
		t.Fatal("verified checkpoint is older than the last one waited for")
	}

	// Every entry reads back, decodes, and is proven included in the signed tree.
	recs, err := l.Read(ctx, 0, 1000, rep.Size)
	if err != nil || len(recs) != 600 {
		t.Fatalf("read %d entries, err %v", len(recs), err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		e, err := audit.Decode(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		seen[e.Subject] = true
	}
	if len(seen) != 600 {
		t.Fatalf("%d distinct entries, want 600", len(seen))
	}
	for _, i := range []uint64{0, 1, 255, 256, 599} {
		p, err := l.InclusionProof(ctx, i, rep.Size)
		if err != nil {
			t.Fatal(err)
		}
		leaf := rfc6962.DefaultHasher.HashLeaf(recs[i].Data)
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, rep.Size, leaf, p, rep.Root); err != nil {
			t.Fatalf("inclusion of %d: %v", i, err)
		}
		bad := bytes.Clone(leaf)
		bad[0] ^= 1
		if proof.VerifyInclusion(rfc6962.DefaultHasher, i, rep.Size, bad, p, rep.Root) == nil {
			t.Fatal("an inclusion proof accepted the wrong leaf")
		}
	}
	cons, err := l.ConsistencyProof(ctx, 300, rep.Size)
	if err != nil {
		t.Fatal(err)
	}
	firstRep, _ := audit.Verify(ctx, l.Reader(), keys.Verifier, nil)
	_ = firstRep
	old, err := audit.Verify(ctx, staticCheckpoint{l.Reader(), first}, keys.Verifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, 300, rep.Size, cons, old.Root, rep.Root); err != nil {
		t.Fatalf("consistency: %v", err)
	}

	// An export verifies offline, with only the verifier key.
	dir := filepath.Join(t.TempDir(), "export")
	if _, err := audit.Export(ctx, l.Reader(), keys.Verifier, keys.VerifierKey, dir); err != nil {
		t.Fatal(err)
	}
	vk, _ := os.ReadFile(filepath.Join(dir, audit.VerifierKeyFile))
	v, err := audit.ParseVerifierKey(string(vk))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := audit.Verify(ctx, client.FileFetcher{Root: dir}, v, first); err != nil || rep.Size != 600 {
		t.Fatalf("export: %+v %v", rep, err)
	}
}

// staticCheckpoint serves a fixed checkpoint over a log's tiles: the log as it was.
type staticCheckpoint struct {
	audit.Source
	cp []byte
}

func (s staticCheckpoint) ReadCheckpoint(context.Context) ([]byte, error) { return s.cp, nil }

func TestReopenContinues(t *testing.T) {
	ctx := context.Background()
	keys := newKeys(t)
	dir := filepath.Join(t.TempDir(), "log")
	l := openLog(t, dir, keys)
	first := fill(t, l, 10, "a")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2 := openLog(t, dir, keys)
	fill(t, l2, 10, "b")
	if rep, err := audit.Verify(ctx, l2.Reader(), keys.Verifier, first); err != nil || rep.Size != 20 {
		t.Fatalf("after reopen: %+v %v", rep, err)
	}
}

func TestKeysRefuseOtherOrigin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.key")
	if _, err := audit.LoadOrCreateKeys(path, origin); err != nil {
		t.Fatal(err)
	}
	k, err := audit.LoadOrCreateKeys(path, origin)
	if err != nil || k.Origin() != origin {
		t.Fatalf("reload: %v", err)
	}
	if _, err := audit.LoadOrCreateKeys(path, "other.example/log"); err == nil {
		t.Fatal("a key for another log was accepted")
	}
	pub, _ := os.ReadFile(path + ".pub")
	if strings.TrimSpace(string(pub)) != k.VerifierKey {
		t.Fatal("the .pub file does not hold the verifier key")
	}
}

func TestEntryLimits(t *testing.T) {
	big := strings.Repeat("x", audit.MaxEntrySize)
	e, err := audit.New("p", audit.KindJob, "j", map[string]string{"sql": big})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Encode(); err == nil {
		t.Fatal("an entry over the tlog-tiles limit was accepted")
	}
	if _, err := (audit.Entry{Kind: audit.KindJob}).Encode(); err == nil {
		t.Fatal("an entry without actor was accepted")
	}
	for _, bad := range []string{`{}`, `{"v":2,"kind":"job","actor":"a","time":"2026-01-01T00:00:00Z"}`, `{"v":1,"kind":"job","actor":"a","extra":1}`, `not json`} {
		if _, err := audit.Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%s) accepted", bad)
		}
	}
}

// bundleFile is the on-disk path of the first entry bundle of a log of the given size.
func bundleFile(dir string, size uint64) string {
	return filepath.Join(dir, layout.EntriesPath(0, layout.PartialTileSize(0, 0, size)))
}

func readBundle(t *testing.T, path string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b api.EntryBundle
	if err := b.UnmarshalText(raw); err != nil {
		t.Fatal(err)
	}
	return b.Entries
}

func writeBundle(t *testing.T, path string, entries [][]byte) {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range entries {
		binary.Write(&buf, binary.BigEndian, uint16(len(e)))
		buf.Write(e)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTamperDetected changes a closed log on disk in each way an operator might, and checks that
// Verify fails and names the first bad entry.
func TestTamperDetected(t *testing.T) {
	ctx := context.Background()
	keys := newKeys(t)
	master := filepath.Join(t.TempDir(), "log")
	l := openLog(t, master, keys)
	fill(t, l, 40, "a")
	kept := fill(t, l, 10, "b") // the auditor keeps the checkpoint of 50 entries
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		tamper  func(t *testing.T, dir string)
		trusted bool
		index   int64 // -1: not pinned to an entry
		want    string
	}{
		{"flip a byte", func(t *testing.T, dir string) {
			p := bundleFile(dir, 50)
			es := readBundle(t, p)
			es[17] = bytes.Replace(es[17], []byte(`"rows":`), []byte(`"rowz":`), 1)
			writeBundle(t, p, es)
		}, false, 17, "does not match the tree"},
		{"delete an entry", func(t *testing.T, dir string) {
			p := bundleFile(dir, 50)
			es := readBundle(t, p)
			writeBundle(t, p, append(es[:30:30], es[31:]...))
		}, false, 49, "missing"},
		{"reorder two entries", func(t *testing.T, dir string) {
			p := bundleFile(dir, 50)
			es := readBundle(t, p)
			es[5], es[6] = es[6], es[5]
			writeBundle(t, p, es)
		}, false, 5, "does not match the tree"},
		{"truncate to an older checkpoint", func(t *testing.T, dir string) {
			// Roll the whole log back to 40 entries by replaying its first 40 into a fresh log
			// signed with the same key: only the auditor's kept checkpoint can tell.
			replay(t, dir, keys, 40, nil)
		}, true, 40, "truncated"},
		{"rewrite history with the signing key", func(t *testing.T, dir string) {
			replay(t, dir, keys, 50, func(i int, b []byte) []byte {
				if i == 12 {
					return bytes.Replace(b, []byte(`"released"`), []byte(`"refused"`), 1)
				}
				return b
			})
		}, true, -1, "history was rewritten"},
		{"forged checkpoint", func(t *testing.T, dir string) {
			cp, _ := os.ReadFile(filepath.Join(dir, layout.CheckpointPath))
			forged := bytes.Replace(cp, []byte("\n50\n"), []byte("\n49\n"), 1)
			os.WriteFile(filepath.Join(dir, layout.CheckpointPath), forged, 0o644)
		}, false, -1, "does not verify"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "copy")
			if err := os.CopyFS(dir, os.DirFS(master)); err != nil {
				t.Fatal(err)
			}
			if _, err := audit.Verify(ctx, client.FileFetcher{Root: dir}, keys.Verifier, kept); err != nil {
				t.Fatalf("untouched copy: %v", err)
			}
			tc.tamper(t, dir)
			var trusted []byte
			if tc.trusted {
				trusted = kept
			}
			_, err := audit.Verify(ctx, client.FileFetcher{Root: dir}, keys.Verifier, trusted)
			var p *audit.Problem
			if !errors.As(err, &p) {
				t.Fatalf("tampering went unnoticed (err %v)", err)
			}
			if !strings.Contains(p.Reason, tc.want) {
				t.Fatalf("reason %q, want %q", p.Reason, tc.want)
			}
			if tc.index >= 0 && (!p.HasIndex || p.Index != uint64(tc.index)) {
				t.Fatalf("problem %+v, want entry %d named", p, tc.index)
			}
		})
	}
}

// replay rebuilds dir as a fresh log holding the first n entries of the original, each passed
// through edit: what an operator holding the signing key could do.
func replay(t *testing.T, dir string, keys audit.Keys, n int, edit func(int, []byte) []byte) {
	t.Helper()
	ctx := context.Background()
	src := client.FileFetcher{Root: dir}
	rep, err := audit.Verify(ctx, src, keys.Verifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := audit.ReadEntries(ctx, src, 0, uint64(n), rep.Size)
	if err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(t.TempDir(), "fresh")
	l := openLog(t, fresh, keys)
	for i, r := range recs {
		b := r.Data
		if edit != nil {
			b = edit(i, b)
		}
		if _, err := l.AppendRaw(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := l.WaitCheckpoint(ctx, uint64(n)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dir, os.DirFS(fresh)); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeHeadAgreesWithDecode(t *testing.T) {
	e := jobEntry(7)
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	h, err := audit.DecodeHead(b)
	if err != nil || h.Kind != audit.KindJob || h.Actor != e.Actor || h.V != audit.Version {
		t.Fatalf("%+v %v", h, err)
	}
	for _, bad := range []string{`[]`, `{"kind":"job"}`, `{"v":2,"time":"x","actor":"a","kind":"job"}`, `{"v":1,"time":"x","actor":"","kind":"job"}`, `{"v":1,"time":"x","actor":"a"`, `garbage`} {
		if _, err := audit.DecodeHead([]byte(bad)); err == nil {
			t.Errorf("DecodeHead(%s) accepted", bad)
		}
	}
}
