package duck

import (
	"errors"
	"os"
	"path/filepath"
)

// Publish makes a finished, closed database file private and durable and renames it to out
// atomically: readers see the old file or the new one, never a half-written one. A stale WAL
// next to out is removed first (DuckDB would replay it onto the new file).
func Publish(tmp, out string) error {
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	if err := syncPath(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return err
	}
	if err := os.Remove(out + ".wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	return syncPath(filepath.Dir(out))
}

func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
