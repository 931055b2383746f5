package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

// Options configure a Store. Root, Staging, Catalog and Loaders are required.
type Options struct {
	Root    string // where version files live
	Staging string // where uploads and half-built versions live; swept at Open
	Catalog *catalog.Catalog
	Loaders map[connectors.Format]connectors.Loader
	// DuckDB limits every import instance (memory, threads). Paths are set per import.
	DuckDB duck.Config
	Logger *slog.Logger
}

// Store is the raw domain store.
type Store struct {
	opt Options
	log *slog.Logger
}

// Open prepares the store and removes what a crash may have left: everything in staging, and any
// file under Root that no committed version references.
func Open(ctx context.Context, opt Options) (*Store, error) {
	if opt.Root == "" || opt.Staging == "" || opt.Catalog == nil || len(opt.Loaders) == 0 {
		return nil, errors.New("open store: root, staging, catalog and loaders are required")
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{opt: opt, log: log}
	for _, d := range []string{opt.Root, opt.Staging} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	if err := s.sweep(ctx); err != nil {
		return nil, fmt.Errorf("open store: sweep: %w", err)
	}
	return s, nil
}

// sweep deletes staging leftovers and unreferenced version files.
func (s *Store) sweep(ctx context.Context) error {
	entries, err := os.ReadDir(s.opt.Staging)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(s.opt.Staging, e.Name())); err != nil {
			return err
		}
		s.log.Info("removed an interrupted import", "staging", e.Name())
	}
	keep, err := s.opt.Catalog.VersionFiles(ctx)
	if err != nil {
		return err
	}
	consents, err := s.opt.Catalog.ConsentFiles(ctx)
	if err != nil {
		return err
	}
	for f := range consents {
		keep[f] = true
	}
	return filepath.WalkDir(s.opt.Root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(s.opt.Root, path)
		if err != nil {
			return err
		}
		if !keep[filepath.ToSlash(rel)] {
			s.log.Warn("removed a version file no committed version references", "file", rel)
			return os.Remove(path)
		}
		return nil
	})
}

// Import is one upload to import.
type Import struct {
	Dataset    catalog.Dataset
	Format     connectors.Format
	Body       io.Reader
	AllowDrift bool   // accept a column set different from the previous version's
	Actor      string // principal id, recorded with the version
}

// tableName is the one table of every version file.
const tableName = "data"

// Import loads an upload as the dataset's next immutable version.
func (s *Store) Import(ctx context.Context, in Import) (catalog.Version, error) {
	loader, ok := s.opt.Loaders[in.Format]
	if !ok {
		return catalog.Version{}, fault.E(fault.InvalidInput, "format %q is not supported (csv, parquet, ndjson, arrow)", in.Format)
	}
	work, err := os.MkdirTemp(s.opt.Staging, "import-")
	if err != nil {
		return catalog.Version{}, fmt.Errorf("import %s: %w", in.Dataset.Name, err)
	}
	defer os.RemoveAll(work)

	started := time.Now()
	upload := filepath.Join(work, "upload."+string(in.Format))
	digest, size, err := receive(upload, in.Body)
	if err != nil {
		return catalog.Version{}, err
	}
	if size == 0 {
		return catalog.Version{}, inputFault(&connectors.InputError{Format: in.Format, Kind: connectors.KindEmpty, Detail: "the upload has no bytes"})
	}

	prev, hasPrev, err := s.opt.Catalog.Latest(ctx, in.Dataset.Name)
	if err != nil {
		return catalog.Version{}, err
	}
	// The expected schema: the previous version's, or on a first import the declared one.
	var want []connectors.Column
	switch {
	case hasPrev && !in.AllowDrift:
		for _, c := range prev.Columns {
			want = append(want, connectors.Column{Name: c.Name, Type: c.Type})
		}
	case !hasPrev:
		for _, c := range in.Dataset.Schema {
			want = append(want, connectors.Column{Name: c.Name, Type: c.Type})
		}
	}

	received := time.Now()
	built := filepath.Join(work, "version.duckdb")
	cols, rows, err := s.build(ctx, built, upload, loader, want, in)
	if err != nil {
		return catalog.Version{}, err
	}
	loaded := time.Now()

	rel := filepath.ToSlash(filepath.Join(in.Dataset.Agency, in.Dataset.Name, randomName()+".duckdb"))
	final := filepath.Join(s.opt.Root, filepath.FromSlash(rel))
	if err := duck.Publish(built, final); err != nil {
		return catalog.Version{}, fmt.Errorf("import %s: publish: %w", in.Dataset.Name, err)
	}
	after := 0
	if hasPrev {
		after = prev.Number
	}
	v, err := s.opt.Catalog.AddVersion(ctx, catalog.Version{
		Dataset: in.Dataset.Name, Digest: digest, Format: string(in.Format), Rows: rows, Bytes: size,
		Columns: cols, File: rel, ImportedBy: in.Actor,
	}, after)
	if err != nil {
		os.Remove(final) // never referenced; the sweep would remove it too
		return catalog.Version{}, err
	}
	s.log.Info("version imported", "dataset", v.Dataset, "version", v.Number, "rows", v.Rows, "bytes", v.Bytes,
		"digest", v.Digest, "actor", in.Actor, "receive_ms", received.Sub(started).Milliseconds(),
		"load_ms", loaded.Sub(received).Milliseconds(), "publish_ms", time.Since(loaded).Milliseconds())
	return v, nil
}

// receive streams body to path, hashing it on the way. Writing and hashing run side by side on
// a ring of buffers, so a large upload costs about one of the two, not their sum.
func receive(path string, body io.Reader) (digest string, size int64, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	size, err = teeCopy(f, h, body)
	if err != nil {
		var coded *fault.Error
		if errors.As(err, &coded) { // e.g. the API's size limit
			return "", 0, err
		}
		return "", 0, fault.Wrap(err, fault.InvalidInput, "the upload could not be read to its end")
	}
	if err := f.Close(); err != nil {
		return "", 0, err
	}
	return sumString(h), size, nil
}

// teeCopy copies src to dst and to h, with the hash computed concurrently.
func teeCopy(dst io.Writer, h hash.Hash, src io.Reader) (int64, error) {
	const nbuf, bufSize = 4, 1 << 20
	free := make(chan []byte, nbuf)
	for range nbuf {
		free <- make([]byte, bufSize)
	}
	toHash := make(chan []byte, nbuf)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for b := range toHash {
			h.Write(b)
			free <- b[:cap(b)]
		}
	}()
	var total int64
	var err error
	for {
		buf := <-free
		n, rerr := io.ReadFull(src, buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
				break
			}
			total += int64(n)
			toHash <- buf[:n]
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	close(toHash)
	<-hashed
	return total, err
}

func sumString(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

// build loads the upload into a fresh, locked DuckDB file and describes its columns.
func (s *Store) build(ctx context.Context, dbPath, upload string, loader connectors.Loader, want []connectors.Column, in Import) ([]catalog.ColumnStats, int64, error) {
	cfg := s.opt.DuckDB
	cfg.ReadOnly = false
	cfg.AllowedPaths = []string{upload}
	db, err := duck.Open(ctx, dbPath, cfg)
	if err != nil {
		return nil, 0, fmt.Errorf("import %s: %w", in.Dataset.Name, err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()

	t0 := time.Now()
	if err := loader.Load(ctx, conn, upload, tableName, want); err != nil {
		var ie *connectors.InputError
		if errors.As(err, &ie) {
			return nil, 0, inputFault(ie)
		}
		return nil, 0, fmt.Errorf("import %s: load: %w", in.Dataset.Name, err)
	}
	t1 := time.Now()
	cols, rows, err := describe(ctx, conn)
	if err != nil {
		return nil, 0, fmt.Errorf("import %s: describe: %w", in.Dataset.Name, err)
	}
	s.log.Debug("import phases", "dataset", in.Dataset.Name, "reader_ms", t1.Sub(t0).Milliseconds(), "describe_ms", time.Since(t1).Milliseconds())
	if rows == 0 {
		return nil, 0, inputFault(&connectors.InputError{Format: in.Format, Kind: connectors.KindEmpty, Detail: "the file has no data rows"})
	}
	if !hasColumn(cols, in.Dataset.PrivacyUnit) {
		return nil, 0, fault.E(fault.InvalidInput, "the file has no column %q, the dataset's privacy unit", in.Dataset.PrivacyUnit)
	}
	if _, err := conn.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return nil, 0, fmt.Errorf("import %s: checkpoint: %w", in.Dataset.Name, err)
	}
	return cols, rows, nil
}

func hasColumn(cols []catalog.ColumnStats, name string) bool {
	for _, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

// describe returns the columns of the version table with null and approximate distinct counts.
// Null counts come from one scan; distinct estimates from the HyperLogLog statistics DuckDB keeps
// while appending (read through stats(), of which only the "Approx Unique" figure is parsed: the
// rest of that text holds minimum and maximum values and is dropped on the spot). Columns without
// such statistics fall back to approx_count_distinct. No minimum, maximum or sample is kept.
func describe(ctx context.Context, conn *sql.Conn) ([]catalog.ColumnStats, int64, error) {
	rs, err := conn.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_name = ? ORDER BY ordinal_position`, tableName)
	if err != nil {
		return nil, 0, err
	}
	var cols []catalog.ColumnStats
	for rs.Next() {
		var c catalog.ColumnStats
		if err := rs.Scan(&c.Name, &c.Type); err != nil {
			rs.Close()
			return nil, 0, err
		}
		cols = append(cols, c)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, 0, err
	}
	if len(cols) == 0 {
		return nil, 0, errors.New("the loaded table has no columns")
	}

	exprs := []string{"count(*)"}
	for _, c := range cols {
		exprs = append(exprs, "count(*) - count("+duck.Ident(c.Name)+")")
	}
	dest := []any{new(int64)}
	for i := range cols {
		dest = append(dest, &cols[i].Nulls)
	}
	if err := conn.QueryRowContext(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+tableName).Scan(dest...); err != nil {
		return nil, 0, err
	}
	rows := *dest[0].(*int64)
	if rows == 0 {
		return cols, 0, nil
	}

	exprs = exprs[:0]
	texts := make([]sql.NullString, len(cols))
	dest = dest[:0]
	for i, c := range cols {
		exprs = append(exprs, "stats("+duck.Ident(c.Name)+")")
		dest = append(dest, &texts[i])
	}
	if err := conn.QueryRowContext(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+tableName+" LIMIT 1").Scan(dest...); err != nil {
		return nil, 0, err
	}
	var missing []int
	for i := range cols {
		n, ok := approxUnique(texts[i].String)
		texts[i] = sql.NullString{} // the text carries min/max values: drop it now
		if !ok {
			missing = append(missing, i)
			continue
		}
		cols[i].ApproxDistinct = min(n, rows)
	}
	if len(missing) > 0 {
		exprs, dest = exprs[:0], dest[:0]
		for _, i := range missing {
			exprs = append(exprs, "approx_count_distinct("+duck.Ident(cols[i].Name)+")")
			dest = append(dest, &cols[i].ApproxDistinct)
		}
		if err := conn.QueryRowContext(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+tableName).Scan(dest...); err != nil {
			return nil, 0, err
		}
	}
	return cols, rows, nil
}

var approxUniqueRE = regexp.MustCompile(`\[Approx Unique: ([0-9]+)\]`)

// approxUnique extracts the distinct estimate from DuckDB's statistics text.
func approxUnique(text string) (int64, bool) {
	m := approxUniqueRE.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	return n, err == nil
}

func randomName() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

// inputFault turns a connector's input error into a client error. The InputError's text is
// composed by the connector without cell values, so it may be shown.
func inputFault(ie *connectors.InputError) *fault.Error {
	code := fault.InvalidInput
	msg := ie.Error()
	if ie.Kind == connectors.KindSchemaDrift {
		code = fault.SchemaDrift
		msg += " (import with allow_drift to accept the new columns as a new schema)"
	}
	return (&fault.Error{Code: code, Message: msg, Cause: ie}).With(fault.Reason{Code: string(ie.Kind), Message: msg})
}

// Path is the absolute path of a version's file, for trusted readers.
func (s *Store) Path(v catalog.Version) string {
	return filepath.Join(s.opt.Root, filepath.FromSlash(v.File))
}

// OpenVersion opens a version read-only in a locked instance, for trusted readers only.
func (s *Store) OpenVersion(ctx context.Context, v catalog.Version) (*sql.DB, error) {
	cfg := s.opt.DuckDB
	cfg.ReadOnly = true
	cfg.AllowedPaths = nil
	return duck.Open(ctx, s.Path(v), cfg)
}

// Table is the name of the table inside every version file.
const Table = tableName
