package arrowipc

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/sandbox/duck"
)

// Loader loads Arrow IPC streams and files. The zero value is ready to use.
type Loader struct {
	// Allocator is used for record batches; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
}

var _ connectors.Loader = (*Loader)(nil)

const format = connectors.ArrowIPC

var fileMagic = []byte("ARROW1")

// Load creates table from the Arrow IPC data at path. See connectors.Loader.
func (l *Loader) Load(ctx context.Context, conn *sql.Conn, path, table string, want []connectors.Column) (err error) {
	if want != nil {
		if err := connectors.CheckWant(want); err != nil {
			return fmt.Errorf("arrow: %w", err)
		}
	}
	mem := l.Allocator
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("arrow: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("arrow: %w", err)
	}
	if st.Size() == 0 {
		return &connectors.InputError{Format: format, Kind: connectors.KindEmpty, Detail: "the file is empty"}
	}
	rr, err := newReader(f, st.Size(), mem)
	if err != nil {
		return &connectors.InputError{Format: format, Kind: connectors.KindMalformed, Detail: "not an Arrow IPC stream or file"}
	}
	r := &guard{RecordReader: rr}
	defer r.Release()

	fields := r.Schema().Fields()
	names := make([]string, len(fields))
	for i, fl := range fields {
		names[i] = fl.Name
	}
	if err := connectors.CheckColumnNames(format, names); err != nil {
		return err
	}
	if want != nil {
		if err := connectors.CheckSchema(format, names, want); err != nil {
			return err
		}
	}

	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+duck.Ident(table))
		}
	}()
	cerr := copyIn(ctx, conn, r, table)
	if errors.Is(cerr, context.Canceled) || errors.Is(cerr, context.DeadlineExceeded) {
		return cerr
	}
	if rerr := r.Err(); rerr != nil {
		return &connectors.InputError{Format: format, Kind: connectors.KindMalformed, Line: r.rows + 1,
			Detail: "the stream breaks off or is damaged after the last complete batch"}
	}
	if cerr != nil {
		return cerr
	}
	if r.rows == 0 {
		return &connectors.InputError{Format: format, Kind: connectors.KindEmpty, Detail: "the stream has no rows"}
	}
	if want != nil {
		return convert(ctx, conn, table, want)
	}
	return nil
}

// copyIn scans the reader once into table through a temporary Arrow view.
func copyIn(ctx context.Context, conn *sql.Conn, r array.RecordReader, table string) error {
	var buf [8]byte
	_, _ = rand.Read(buf[:])
	view := "inviso_arrow_" + hex.EncodeToString(buf[:])
	var release func()
	err := conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		release, err = a.RegisterView(r, view)
		return err
	})
	if err != nil {
		return fmt.Errorf("arrow: register stream: %w", err)
	}
	// Order matters: scan once, drop the view, then release (a scan after release crashes).
	_, cerr := conn.ExecContext(ctx, "CREATE TABLE "+duck.Ident(table)+" AS SELECT * FROM "+duck.Ident(view))
	_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DROP VIEW IF EXISTS "+duck.Ident(view))
	release()
	if cerr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &connectors.InputError{Format: format, Kind: connectors.KindMalformed,
			Detail: "the stream could not be imported (unsupported type or damaged batch)"}
	}
	return nil
}

// convert casts columns whose imported type differs from the wanted one, after finding the first
// row that would not convert.
func convert(ctx context.Context, conn *sql.Conn, table string, want []connectors.Column) error {
	types := map[string]string{}
	rows, err := conn.QueryContext(ctx, "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = current_schema() AND table_name = ?", table)
	if err != nil {
		return fmt.Errorf("arrow: read imported schema: %w", err)
	}
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			rows.Close()
			return fmt.Errorf("arrow: read imported schema: %w", err)
		}
		types[n] = t
	}
	rows.Close()
	var first *connectors.InputError
	var casts []connectors.Column
	for _, c := range want {
		if strings.EqualFold(types[c.Name], c.Type) {
			continue
		}
		casts = append(casts, c)
		id := duck.Ident(c.Name)
		var row sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT min(rowid) FROM "+duck.Ident(table)+" WHERE "+id+" IS NOT NULL AND TRY_CAST("+id+" AS "+c.Type+") IS NULL").Scan(&row); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &connectors.InputError{Format: format, Kind: connectors.KindType, Column: c.Name,
				Detail: fmt.Sprintf("the column's type %s does not convert to %s", types[c.Name], c.Type)}
		}
		if row.Valid && (first == nil || row.Int64+1 < first.Line) {
			first = &connectors.InputError{Format: format, Kind: connectors.KindType, Line: row.Int64 + 1, Column: c.Name,
				Detail: "value does not convert to " + c.Type}
		}
	}
	if first != nil {
		return first
	}
	for _, c := range casts {
		id := duck.Ident(c.Name)
		if _, err := conn.ExecContext(ctx, "ALTER TABLE "+duck.Ident(table)+" ALTER "+id+" TYPE "+c.Type); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &connectors.InputError{Format: format, Kind: connectors.KindType, Column: c.Name,
				Detail: "values do not convert to " + c.Type}
		}
	}
	return nil
}

// newReader opens the IPC file format (random access, batch by batch) or the stream format.
func newReader(f *os.File, size int64, mem memory.Allocator) (array.RecordReader, error) {
	head := make([]byte, len(fileMagic))
	if _, err := io.ReadFull(f, head); err != nil && size >= int64(len(fileMagic)) {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if bytes.Equal(head, fileMagic) {
		fr, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
		if err != nil {
			return nil, err
		}
		return &fileReader{r: fr, refs: 1}, nil
	}
	return ipc.NewReader(f, ipc.WithAllocator(mem))
}

// guard counts rows and remembers the first read error; the engine sees only end of stream.
type guard struct {
	array.RecordReader
	mu   sync.Mutex
	rows int64
	err  error
}

func (g *guard) Next() bool {
	if g.RecordReader.Next() {
		g.mu.Lock()
		g.rows += g.RecordReader.RecordBatch().NumRows()
		g.mu.Unlock()
		return true
	}
	if err := g.RecordReader.Err(); err != nil && !errors.Is(err, io.EOF) {
		g.mu.Lock()
		if g.err == nil {
			g.err = err
		}
		g.mu.Unlock()
	}
	return false
}

func (g *guard) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// fileReader adapts ipc.FileReader to array.RecordReader.
type fileReader struct {
	r    *ipc.FileReader
	i    int
	cur  arrow.RecordBatch
	err  error
	refs int64
	mu   sync.Mutex
}

func (f *fileReader) Retain() { f.mu.Lock(); f.refs++; f.mu.Unlock() }
func (f *fileReader) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refs--; f.refs == 0 {
		if f.cur != nil {
			f.cur.Release()
			f.cur = nil
		}
		f.r.Close()
	}
}
func (f *fileReader) Schema() *arrow.Schema { return f.r.Schema() }
func (f *fileReader) Next() bool {
	if f.cur != nil {
		f.cur.Release()
		f.cur = nil
	}
	if f.err != nil || f.i >= f.r.NumRecords() {
		return false
	}
	rec, err := f.r.RecordBatchAt(f.i)
	if err != nil {
		f.err = err
		return false
	}
	f.i++
	f.cur = rec
	return true
}
func (f *fileReader) RecordBatch() arrow.RecordBatch { return f.cur }

// Record is the deprecated name of RecordBatch.
func (f *fileReader) Record() arrow.RecordBatch { return f.cur }
func (f *fileReader) Err() error                { return f.err }
