package synth

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// generator is one generation run: the compiled model, the person_id
// permutation and per-worker scratch batches.
type generator struct {
	cfg      Config
	table    Table
	model    *model
	ids      personIDs
	workers  int
	batches  int
	citizens []citizenBatch // scratch, one per worker
	benefits []benefitBatch
}

func newGenerator(t Table, cfg Config) (*generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, err := ParseTable(string(t)); err != nil {
		return nil, err
	}
	g := &generator{cfg: cfg, table: t, model: newModel(), ids: newPersonIDs(cfg.Seed), batches: cfg.batches()}
	g.workers = cfg.workers(g.batches)
	g.citizens = make([]citizenBatch, g.workers)
	g.benefits = make([]benefitBatch, g.workers)
	return g, nil
}

// fill generates batch b into worker w's scratch and calls one of the
// encoders on it.
func (g *generator) fill(w, b int, cit func(*citizenBatch), ben func(*benefitBatch)) {
	if g.table == Citizens {
		c := &g.citizens[w]
		c.fillCore(g.model, g.cfg, g.ids, b)
		c.fillIdentity(g.model, g.cfg, b)
		cit(c)
		return
	}
	bb := &g.benefits[w]
	bb.fill(g.model, g.cfg, g.ids, b)
	ben(bb)
}

// records streams the table as record batches, one per citizens batch.
func (g *generator) records(ctx context.Context, mem memory.Allocator, schema *arrow.Schema, fn func(arrow.RecordBatch) error) (int64, error) {
	var rows int64
	produce := func(w, b int) (rec arrow.RecordBatch) {
		g.fill(w, b,
			func(c *citizenBatch) { rec = c.record(mem, schema) },
			func(bb *benefitBatch) { rec = bb.record(mem, schema) })
		return rec
	}
	consume := func(rec arrow.RecordBatch) error {
		defer rec.Release()
		rows += rec.NumRows()
		return fn(rec)
	}
	discard := func(rec arrow.RecordBatch) { rec.Release() }
	err := ordered(ctx, g.workers, g.batches, produce, consume, discard)
	return rows, err
}

// text streams the table as CSV or NDJSON to w.
func (g *generator) text(ctx context.Context, w io.Writer, f Format) (int64, error) {
	if f == CSV {
		if _, err := w.Write(csvHeader(g.table)); err != nil {
			return 0, err
		}
	}
	type chunk struct {
		buf  []byte
		rows int
	}
	free := make(chan []byte, 2*g.workers+1)
	produce := func(w, b int) chunk {
		var buf []byte
		select {
		case buf = <-free:
		default:
			buf = make([]byte, 0, 160*BatchRows)
		}
		var rows int
		g.fill(w, b,
			func(c *citizenBatch) {
				rows = c.n
				if f == CSV {
					buf = c.appendCSV(buf)
				} else {
					buf = c.appendNDJSON(buf)
				}
			},
			func(bb *benefitBatch) {
				rows = bb.n
				if f == CSV {
					buf = bb.appendCSV(buf)
				} else {
					buf = bb.appendNDJSON(buf)
				}
			})
		return chunk{buf, rows}
	}
	var rows int64
	consume := func(c chunk) error {
		if _, err := w.Write(c.buf); err != nil {
			return err
		}
		rows += int64(c.rows)
		select {
		case free <- c.buf[:0]:
		default:
		}
		return nil
	}
	err := ordered(ctx, g.workers, g.batches, produce, consume, func(chunk) {})
	return rows, err
}

// Generate produces table t as Arrow record batches, in order, and calls fn
// with each. A batch is released when fn returns; fn must Retain it to keep
// it. Batches are built in parallel with memory from mem. It returns the
// number of rows passed to fn.
func Generate(ctx context.Context, mem memory.Allocator, t Table, cfg Config, fn func(arrow.RecordBatch) error) (int64, error) {
	g, err := newGenerator(t, cfg)
	if err != nil {
		return 0, fmt.Errorf("generate %s: %w", t, err)
	}
	schema, _ := Schema(t)
	rows, err := g.records(ctx, mem, schema, fn)
	if err != nil {
		return rows, fmt.Errorf("generate %s: %w", t, err)
	}
	return rows, nil
}

// Write encodes table t in format f to w and returns the number of data rows
// written. Arrow memory (Parquet and Arrow formats) comes from mem.
func Write(ctx context.Context, w io.Writer, mem memory.Allocator, t Table, f Format, cfg Config) (int64, error) {
	rows, err := write(ctx, w, mem, t, f, cfg)
	if err != nil {
		return rows, fmt.Errorf("write %s as %s: %w", t, f, err)
	}
	return rows, nil
}

func write(ctx context.Context, w io.Writer, mem memory.Allocator, t Table, f Format, cfg Config) (int64, error) {
	if _, err := ParseFormat(string(f)); err != nil {
		return 0, err
	}
	g, err := newGenerator(t, cfg)
	if err != nil {
		return 0, err
	}
	if f == CSV || f == NDJSON {
		return g.text(ctx, w, f)
	}
	schema, _ := Schema(t)
	bw := bufio.NewWriterSize(w, 1<<20)
	var rows int64
	switch f {
	case Parquet:
		ps, err := newParquetSink(bw, mem, schema, t, g.workers)
		if err != nil {
			return 0, err
		}
		rows, err = g.records(ctx, mem, schema, func(rec arrow.RecordBatch) error { return ps.write(ctx, rec) })
		if cerr := ps.close(); err == nil {
			err = cerr
		}
		if err != nil {
			return rows, err
		}
	case Arrow:
		iw := ipc.NewWriter(bw, ipc.WithSchema(schema), ipc.WithAllocator(mem))
		rows, err = g.records(ctx, mem, schema, iw.Write)
		if cerr := iw.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return rows, err
		}
	}
	return rows, bw.Flush()
}

// WriteFile writes table t in format f to FileName(t, f) in the existing
// directory dir, replacing any file of that name only once the whole table
// is written. It returns the path and the number of data rows.
func WriteFile(ctx context.Context, dir string, mem memory.Allocator, t Table, f Format, cfg Config) (path string, rows int64, err error) {
	if _, err := ParseFormat(string(f)); err != nil {
		return "", 0, fmt.Errorf("write file: %w", err)
	}
	if _, err := ParseTable(string(t)); err != nil {
		return "", 0, fmt.Errorf("write file: %w", err)
	}
	path = filepath.Join(dir, FileName(t, f))
	tmp, err := os.CreateTemp(dir, "."+FileName(t, f)+".*.tmp")
	if err != nil {
		return "", 0, fmt.Errorf("write file %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if rows, err = Write(ctx, tmp, mem, t, f, cfg); err != nil {
		return "", rows, fmt.Errorf("write file %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return "", rows, fmt.Errorf("write file %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return "", rows, fmt.Errorf("write file %s: %w", path, err)
	}
	return path, rows, nil
}
