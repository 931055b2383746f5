package audit

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// The write-ahead file makes an entry durable with one write and one fdatasync per group of
// entries; the entries are then integrated into the Merkle tree (tessera's POSIX storage needs
// a dozen synchronous writes per batch) in the background. A record is
//
//	index (8 bytes, big endian) | length (4) | CRC-32C of index and data (4) | data
//
// On open, records the tree does not hold yet are integrated before anything else happens; a
// torn record at the end (a crash mid-write, never acknowledged) is cut off.
type wal struct {
	f    *os.File
	size int64
}

type walRecord struct {
	index uint64
	data  []byte
}

const walHeader = 16

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func walSum(index uint64, data []byte) uint32 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], index)
	return crc32.Update(crc32.Checksum(b[:], castagnoli), castagnoli, data)
}

// openWAL opens the write-ahead file at path and returns its intact records.
func openWAL(path string) (*wal, []walRecord, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, nil, err
	}
	var recs []walRecord
	r := bufio.NewReader(f)
	var good int64
	for {
		var h [walHeader]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			break // end, or a torn header
		}
		idx := binary.BigEndian.Uint64(h[0:8])
		n := binary.BigEndian.Uint32(h[8:12])
		if n > MaxEntrySize {
			break
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(r, data); err != nil || walSum(idx, data) != binary.BigEndian.Uint32(h[12:16]) {
			break // torn or corrupt: this and anything after was never acknowledged
		}
		if len(recs) > 0 && idx != recs[len(recs)-1].index+1 {
			f.Close()
			return nil, nil, fmt.Errorf("audit: write-ahead file %s skips from entry %d to %d", path, recs[len(recs)-1].index, idx)
		}
		recs = append(recs, walRecord{idx, data})
		good += walHeader + int64(n)
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, err
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	return &wal{f: f, size: good}, recs, nil
}

// append writes records and syncs them; on failure the file is cut back to where it was, so a
// failed group leaves nothing behind.
func (w *wal) append(recs []walRecord) error {
	var buf []byte
	for _, r := range recs {
		var h [walHeader]byte
		binary.BigEndian.PutUint64(h[0:8], r.index)
		binary.BigEndian.PutUint32(h[8:12], uint32(len(r.data)))
		binary.BigEndian.PutUint32(h[12:16], walSum(r.index, r.data))
		buf = append(append(buf, h[:]...), r.data...)
	}
	_, err := w.f.Write(buf)
	if err == nil {
		err = w.f.Sync()
	}
	if err != nil {
		if terr := w.f.Truncate(w.size); terr != nil {
			return errors.Join(err, fmt.Errorf("cut back the write-ahead file: %w", terr))
		}
		if _, serr := w.f.Seek(w.size, io.SeekStart); serr != nil {
			return errors.Join(err, serr)
		}
		return err
	}
	w.size += int64(len(buf))
	return nil
}

// reset empties the file once everything in it is in the tree.
func (w *wal) reset() error {
	if err := w.f.Truncate(0); err != nil {
		return err
	}
	if _, err := w.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	w.size = 0
	return w.f.Sync()
}

func (w *wal) close() error { return w.f.Close() }
