package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
)

// VerifierKeyFile is the name of the verifier key in an exported log directory.
const VerifierKeyFile = "verifier.key"

// Export copies the log as of its latest signed checkpoint into dir, in the tlog-tiles layout
// (checkpoint, entry bundles, hash tiles) with the verifier key beside it, so an auditor can
// verify it offline (tessera's client.FileFetcher reads it) with nothing but that key. dir must
// not exist yet. It returns the checkpoint it exported.
func Export(ctx context.Context, src Source, v note.Verifier, verifierKey, dir string) (*log.Checkpoint, error) {
	raw, err := src.ReadCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: export: read checkpoint: %w", err)
	}
	cp, _, _, err := log.ParseCheckpoint(raw, v.Name(), v)
	if err != nil {
		return nil, fmt.Errorf("audit: export: the checkpoint does not verify: %w", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("audit: export: %w", err)
	}
	put := func(rel string, b []byte) error {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, b, 0o644)
	}
	for b := uint64(0); b*layout.EntryBundleWidth < cp.Size; b++ {
		p := layout.PartialTileSize(0, b, cp.Size)
		data, err := src.ReadEntryBundle(ctx, b, p)
		if err != nil {
			return nil, fmt.Errorf("audit: export: entry bundle %d: %w", b, err)
		}
		if err := put(layout.EntriesPath(b, p), data); err != nil {
			return nil, fmt.Errorf("audit: export: %w", err)
		}
	}
	for level := uint64(0); level < 8; level++ {
		nodes := cp.Size >> (layout.TileHeight * level)
		if nodes == 0 {
			break
		}
		for i := uint64(0); i*layout.TileWidth < nodes; i++ {
			p := layout.PartialTileSize(level, i, cp.Size)
			data, err := src.ReadTile(ctx, level, i, p)
			if err != nil {
				return nil, fmt.Errorf("audit: export: tile %d/%d: %w", level, i, err)
			}
			if err := put(layout.TilePath(level, i, p), data); err != nil {
				return nil, fmt.Errorf("audit: export: %w", err)
			}
		}
	}
	if err := put(VerifierKeyFile, []byte(verifierKey+"\n")); err != nil {
		return nil, fmt.Errorf("audit: export: %w", err)
	}
	// The checkpoint goes last: a directory with a checkpoint is a complete export.
	if err := put(layout.CheckpointPath, raw); err != nil {
		return nil, fmt.Errorf("audit: export: %w", err)
	}
	return cp, nil
}
