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
		if idx, err := l.AppendRaw(ctx, entryBytes(t, i)); err != nil || idx != uint64(i) {
			t.Fatalf("append %d: %d %v", i, idx, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash after acknowledging entries 5–7 but before the tree took them, with a torn
	// fourth record.
	w, _, err := openWAL(filepath.Join(dir, walFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.append(walBatch{{5, entryBytes(t, 5)}, {6, entryBytes(t, 6)}, {7, entryBytes(t, 7)}}); err != nil {
		t.Fatal(err)
	}
	w.f.Write([]byte{0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 1})
	w.close()

	l, err = Open(ctx, Options{Dir: dir, Keys: keys, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := l.Size(ctx); n != 8 {
		t.Fatalf("size %d after recovery, want 8", n)
	}
	if idx, err := l.AppendRaw(ctx, entryBytes(t, 8)); err != nil || idx != 8 {
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
	if fi, err := os.Stat(filepath.Join(dir, walFile)); err != nil || fi.Size() != 0 {
		t.Fatalf("write-ahead file after a clean close: %v %v", fi, err)
	}

	// A write-ahead file that skips entries is refused, not guessed at.
	w, _, _ = openWAL(filepath.Join(dir, walFile))
	w.append(walBatch{{12, entryBytes(t, 12)}})
	w.close()
	if l, err := Open(ctx, Options{Dir: dir, Keys: keys}); err == nil {
		l.Close()
		t.Fatal("a write-ahead file with a gap was accepted")
	}
}
