package audit

import (
	"bytes"
	"context"
	"fmt"
	"runtime"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
)

// Source reads a log in the tlog-tiles layout: the live log, an exported directory
// (tessera's client.FileFetcher) or a server over HTTP (client.HTTPFetcher).
type Source interface {
	ReadCheckpoint(ctx context.Context) ([]byte, error)
	ReadTile(ctx context.Context, level, index uint64, p uint8) ([]byte, error)
	ReadEntryBundle(ctx context.Context, index uint64, p uint8) ([]byte, error)
}

// Report is what a successful verification established.
type Report struct {
	Size        uint64 // entries committed to by the signed checkpoint, all verified
	Root        []byte
	Checkpoint  []byte // the verified signed checkpoint, to keep for the next verification
	TrustedSize uint64 // size of the auditor's earlier checkpoint the log was found consistent with (0: none given)
	Kinds       map[string]uint64
}

// Problem is a failed verification. Index names the first entry that is wrong when the fault
// can be pinned to one (HasIndex).
type Problem struct {
	HasIndex bool
	Index    uint64
	Reason   string
}

func (p *Problem) Error() string {
	if p.HasIndex {
		return fmt.Sprintf("log verification failed at entry %d: %s", p.Index, p.Reason)
	}
	return "log verification failed: " + p.Reason
}

func problemAt(i uint64, format string, a ...any) *Problem {
	return &Problem{HasIndex: true, Index: i, Reason: fmt.Sprintf(format, a...)}
}

// Verify checks a whole log: the checkpoint's signature; every entry re-hashed, checked against
// the stored tree tiles and decoded as an entry; the Merkle root recomputed from the entries and
// compared with the signed root; and, when the auditor passes an earlier checkpoint it kept
// (trusted), that the log still holds that tree as its prefix, so a rewritten or truncated
// history is detected even if it was re-signed. A *Problem says what failed and where.
func Verify(ctx context.Context, src Source, v note.Verifier, trusted []byte) (*Report, error) {
	raw, err := src.ReadCheckpoint(ctx)
	if err != nil {
		return nil, &Problem{Reason: fmt.Sprintf("the checkpoint cannot be read: %v", err)}
	}
	cp, _, _, err := log.ParseCheckpoint(raw, v.Name(), v)
	if err != nil {
		return nil, &Problem{Reason: fmt.Sprintf("the checkpoint does not verify with the key of %s: %v", v.Name(), err)}
	}
	var old *log.Checkpoint
	if len(trusted) > 0 {
		if old, _, _, err = log.ParseCheckpoint(trusted, v.Name(), v); err != nil {
			return nil, &Problem{Reason: fmt.Sprintf("the checkpoint you kept does not verify with this key: %v", err)}
		}
		if old.Size > cp.Size {
			return nil, problemAt(cp.Size, "the log was truncated: your checkpoint commits to %d entries, the log now to %d", old.Size, cp.Size)
		}
	}
	rep := &Report{Size: cp.Size, Root: cp.Hash, Checkpoint: raw, Kinds: map[string]uint64{}}
	rng := (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewEmptyRange(0)
	checkOld := func() error {
		if old == nil || rng.End() != old.Size {
			return nil
		}
		root, err := rng.GetRootHash(nil)
		if err != nil {
			return err
		}
		if !bytes.Equal(root, old.Hash) {
			return &Problem{Reason: fmt.Sprintf("the first %d entries no longer produce the root of the checkpoint you kept: history was rewritten", old.Size)}
		}
		rep.TrustedSize = old.Size
		return nil
	}
	if err := checkOld(); err != nil { // a kept checkpoint of the empty log
		return nil, err
	}
	bundles := (cp.Size + layout.EntryBundleWidth - 1) / layout.EntryBundleWidth
	for res := range checkBundles(ctx, src, bundles, cp.Size) {
		if res.err != nil {
			return nil, res.err
		}
		for i, h := range res.leaves {
			if err := rng.Append(h, nil); err != nil {
				return nil, err
			}
			rep.Kinds[res.kinds[i]]++
			if err := checkOld(); err != nil {
				return nil, err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(root, cp.Hash) {
		return nil, &Problem{Reason: fmt.Sprintf("the %d entries do not produce the signed root: the log was changed after it was signed", cp.Size)}
	}
	return rep, nil
}

// bundleResult is one entry bundle, checked.
type bundleResult struct {
	leaves [][]byte
	kinds  []string
	err    error
}

// checkBundles checks bundles on all cores and yields their results in order.
func checkBundles(ctx context.Context, src Source, n, size uint64) <-chan bundleResult {
	out := make(chan bundleResult)
	slots := make(chan chan bundleResult, runtime.GOMAXPROCS(0)*2)
	go func() {
		defer close(slots)
		for b := uint64(0); b < n; b++ {
			ch := make(chan bundleResult, 1)
			select {
			case slots <- ch:
			case <-ctx.Done():
				return
			}
			go func(b uint64) { ch <- checkBundle(ctx, src, b, size) }(b)
		}
	}()
	go func() {
		defer close(out)
		for ch := range slots {
			r := <-ch
			select {
			case out <- r:
			case <-ctx.Done():
				return
			}
			if r.err != nil {
				for range slots { // let the producer finish
				}
				return
			}
		}
	}()
	return out
}

// checkBundle re-hashes bundle b's entries, compares them with the stored level-0 tile and
// decodes each entry.
func checkBundle(ctx context.Context, src Source, b, size uint64) bundleResult {
	first := b * layout.EntryBundleWidth
	want := int(min(size-first, layout.EntryBundleWidth))
	p := layout.PartialTileSize(0, b, size)
	raw, err := src.ReadEntryBundle(ctx, b, p)
	if err != nil {
		return bundleResult{err: problemAt(first, "the entries from here on cannot be read: %v", err)}
	}
	var bundle api.EntryBundle
	if err := bundle.UnmarshalText(raw); err != nil {
		return bundleResult{err: problemAt(first, "the bundle of entries %d–%d is corrupt: %v", first, first+uint64(want)-1, err)}
	}
	if len(bundle.Entries) < want {
		return bundleResult{err: problemAt(first+uint64(len(bundle.Entries)), "entries are missing: the bundle holds %d of its %d entries", len(bundle.Entries), want)}
	}
	if len(bundle.Entries) > want {
		return bundleResult{err: problemAt(first+uint64(want), "the bundle holds %d entries, the tree commits to %d", len(bundle.Entries), want)}
	}
	tileRaw, err := src.ReadTile(ctx, 0, b, p)
	if err != nil {
		return bundleResult{err: problemAt(first, "the hash tile for these entries cannot be read: %v", err)}
	}
	var tile api.HashTile
	if err := tile.UnmarshalText(tileRaw); err != nil || len(tile.Nodes) != want {
		return bundleResult{err: problemAt(first, "the hash tile for these entries is corrupt")}
	}
	res := bundleResult{leaves: make([][]byte, want), kinds: make([]string, want)}
	for i, data := range bundle.Entries {
		idx := first + uint64(i)
		h := rfc6962.DefaultHasher.HashLeaf(data)
		if !bytes.Equal(h, tile.Nodes[i]) {
			return bundleResult{err: problemAt(idx, "the entry does not match the tree: it was changed, replaced or moved")}
		}
		e, err := DecodeHead(data)
		if err != nil {
			return bundleResult{err: problemAt(idx, "%v", err)}
		}
		res.leaves[i], res.kinds[i] = h, e.Kind
	}
	return res
}
