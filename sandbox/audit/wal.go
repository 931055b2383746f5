package audit

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// The write-ahead file makes entries durable with one write and one fdatasync per group; the
// Merkle tree (tessera's POSIX storage needs a dozen synchronous writes per batch) takes them in
// the background. It starts with a header naming the tree size when it was last emptied (every
// entry it holds went into the tree at or after that index), followed by records
//
//	length (4 bytes, big endian) | CRC-32C of the data (4) | data
//
// At start, records the tree does not hold yet are added before anything else; a torn record at
// the end (a crash mid-write, never acknowledged) is cut off.
type wal struct {
	path string
	f    *os.File
	base uint64 // tree size when the file was last emptied
	size int64
}

const (
	walMagic     = "inviso-wal-v1\x00\x00\x00"
	walHeaderLen = len(walMagic) + 8
	walRecordHdr = 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// openWAL opens the write-ahead file at path (creating it with base 0) and returns its intact
// records.
func openWAL(path string) (*wal, [][]byte, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, nil, err
	}
	w := &wal{path: path, f: f}
	fail := func(err error) (*wal, [][]byte, error) {
		f.Close()
		return nil, nil, err
	}
	r := bufio.NewReader(f)
	var h [walHeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		// New, or torn while it was being emptied (then all it held was in the tree).
		if err := w.reset(0); err != nil {
			return fail(err)
		}
		return w, nil, nil
	}
	if string(h[:len(walMagic)]) != walMagic {
		return fail(fmt.Errorf("%s is not an inviso write-ahead file", path))
	}
	w.base = binary.BigEndian.Uint64(h[len(walMagic):])
	var recs [][]byte
	good := int64(walHeaderLen)
	for {
		var rh [walRecordHdr]byte
		if _, err := io.ReadFull(r, rh[:]); err != nil {
			break // the end, or a torn header
		}
		n := binary.BigEndian.Uint32(rh[0:4])
		if n > MaxEntrySize {
			break
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(r, data); err != nil || crc32.Checksum(data, castagnoli) != binary.BigEndian.Uint32(rh[4:8]) {
			break // torn or corrupt: this and anything after was never acknowledged
		}
		recs = append(recs, data)
		good += walRecordHdr + int64(n)
	}
	if err := f.Truncate(good); err != nil {
		return fail(err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		return fail(err)
	}
	w.size = good
	return w, recs, nil
}

// errWALDamaged: a failed write could not be cut back; the file can no longer be trusted to
// end at its last acknowledged record, so the log must stop acknowledging.
var errWALDamaged = errors.New("the write-ahead file could not be cut back after a failed write")

// append writes records at the end of what was acknowledged and syncs them; on failure the
// file is cut back (and synced) to where it was, so a failed group leaves nothing behind, or
// errWALDamaged says it could not be.
func (w *wal) append(recs [][]byte) error {
	var buf []byte
	for _, data := range recs {
		var h [walRecordHdr]byte
		binary.BigEndian.PutUint32(h[0:4], uint32(len(data)))
		binary.BigEndian.PutUint32(h[4:8], crc32.Checksum(data, castagnoli))
		buf = append(append(buf, h[:]...), data...)
	}
	_, err := w.f.WriteAt(buf, w.size)
	if err == nil {
		err = w.f.Sync()
	}
	if err != nil {
		if terr := w.f.Truncate(w.size); terr != nil {
			return errors.Join(err, errWALDamaged, terr)
		}
		if serr := w.f.Sync(); serr != nil {
			return errors.Join(err, errWALDamaged, serr)
		}
		return err
	}
	w.size += int64(len(buf))
	return nil
}

// reset empties the file once everything in it is in the tree, which now holds base entries.
// The new file is written beside the old one, synced and renamed over it, and the directory is
// synced: a crash leaves either the old file or the new one, never a torn header.
func (w *wal) reset(base uint64) error {
	var h [walHeaderLen]byte
	copy(h[:], walMagic)
	binary.BigEndian.PutUint64(h[len(walMagic):], base)
	path := w.path
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(h[:]); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		f.Close()
		return err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return err
	}
	w.f.Close()
	w.f, w.base, w.size = f, base, int64(walHeaderLen)
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (w *wal) close() error { return w.f.Close() }
