package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func testKeys(t *testing.T) Keys {
	t.Helper()
	k, err := LoadOrCreateKeys(filepath.Join(t.TempDir(), "log.key"), "inviso.test/wal")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func entryBytes(t *testing.T, i int) []byte {
	t.Helper()
	e, _ := New("p", KindJob, fmt.Sprintf("job_%d", i), map[string]int{"n": i})
	e.Time = time.Unix(1_800_000_000, 0)
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRecoverFromWriteAheadFile: entries acknowledged before a crash but not yet in the tree
// are integrated at the next start; a torn record at the end is dropped; a gap is refused.
func TestRecoverFromWriteAheadFile(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	dir := filepath.Join(t.TempDir(), "log")
	l, err := Open(ctx, Options{Dir: dir, Keys: keys, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		f, err := l.AppendRaw(ctx, entryBytes(t, i))
		if err != nil {
			t.Fatal(err)
		}
		if idx, err := f(ctx); err != nil || idx != uint64(i) {
			t.Fatalf("append %d: %d %v", i, idx, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash after acknowledging entries 5–7 but before the tree took them (and after it took
	// entry 4, still in the file), with a torn fifth record.
	w, _, err := openWAL(filepath.Join(dir, walFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.reset(4); err != nil {
		t.Fatal(err)
	}
	if err := w.append([][]byte{entryBytes(t, 4), entryBytes(t, 5), entryBytes(t, 6), entryBytes(t, 7)}); err != nil {
		t.Fatal(err)
	}
	w.f.WriteAt([]byte{0, 0, 1, 0, 0, 0}, w.size) // a torn record after the last one
	w.close()

	l, err = Open(ctx, Options{Dir: dir, Keys: keys, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := l.Size(ctx); n != 8 {
		t.Fatalf("size %d after recovery, want 8", n)
	}
	if idx, err := l.Append(ctx, mustDecode(t, entryBytes(t, 8))); err != nil || idx != 8 {
		t.Fatalf("append after recovery: %d %v", idx, err)
	}
	if _, _, err := l.WaitCheckpoint(ctx, 9); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, l.Reader(), keys.Verifier, nil)
	if err != nil || rep.Size != 9 {
		t.Fatalf("verify after recovery: %+v %v", rep, err)
	}
	recs, _ := l.Read(ctx, 5, 4, 9)
	for i, r := range recs {
		if string(r.Data) != string(entryBytes(t, 5+i)) {
			t.Fatalf("entry %d differs after recovery", 5+i)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, walFile)); err != nil || fi.Size() != int64(walHeaderLen) {
		t.Fatalf("write-ahead file after a clean close: %v %v", fi, err)
	}

	// A write-ahead file that claims entries the tree never had is refused, not guessed at.
	w, _, _ = openWAL(filepath.Join(dir, walFile))
	w.reset(12)
	w.close()
	if l, err := Open(ctx, Options{Dir: dir, Keys: keys}); err == nil {
		l.Close()
		t.Fatal("a write-ahead file beyond the tree was accepted")
	}
}

func mustDecode(t *testing.T, b []byte) Entry {
	t.Helper()
	e, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
