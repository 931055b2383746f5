package synth

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// parquetRowGroup is the row-group length of Parquet output.
const parquetRowGroup = 8 * BatchRows

// parquetSink writes record batches to a Parquet file, encoding the columns
// of each batch in parallel. pqarrow.FileWriter encodes one column after the
// other, which made Parquet output several times slower than generation;
// with a buffered row group every column has its own chunk writer and
// buffer, so columns can be encoded concurrently and are still laid out in
// schema order when the row group is closed, keeping the bytes
// deterministic.
type parquetSink struct {
	fw       *file.Writer
	arrProps pqarrow.ArrowWriterProperties
	nullable []bool
	workers  int
	rg       file.BufferedRowGroupWriter
	rgRows   int64
	defs     [][]int16 // per column scratch definition levels
}

func newParquetSink(w io.Writer, mem memory.Allocator, schema *arrow.Schema, t Table, workers int) (*parquetSink, error) {
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithMaxRowGroupLength(parquetRowGroup),
		parquet.WithCreatedBy("inviso synth"),
		// Unique columns gain nothing from dictionary encoding.
		parquet.WithDictionaryFor("person_id", t != Citizens),
		parquet.WithDictionaryFor("id_number", false),
		parquet.WithDictionaryFor("phone", false),
		// Page indexes and bloom filters have builders shared by the
		// columns of a row group; keep them off for concurrent encoding.
		parquet.WithPageIndexEnabled(false),
		parquet.WithBloomFilterEnabled(false),
	)
	arrProps := pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem))
	pqSchema, err := pqarrow.ToParquet(schema, props, arrProps)
	if err != nil {
		return nil, fmt.Errorf("parquet schema: %w", err)
	}
	fw, err := file.NewParquetWriterWithError(w, pqSchema.Root(), file.WithWriterProps(props))
	if err != nil {
		return nil, err
	}
	s := &parquetSink{fw: fw, arrProps: arrProps, workers: workers, defs: make([][]int16, schema.NumFields())}
	for _, f := range schema.Fields() {
		s.nullable = append(s.nullable, f.Nullable)
	}
	return s, nil
}

// write appends rec to the current row group, starting a new one when it
// would exceed parquetRowGroup rows. Batches are never split: BatchRows
// divides parquetRowGroup.
func (s *parquetSink) write(ctx context.Context, rec arrow.RecordBatch) error {
	n := rec.NumRows()
	if s.rg != nil && s.rgRows+n > parquetRowGroup {
		if err := s.rg.Close(); err != nil {
			return err
		}
		s.rg = nil
	}
	if s.rg == nil {
		rg, err := s.fw.AppendBufferedRowGroupChecked()
		if err != nil {
			return err
		}
		s.rg, s.rgRows = rg, 0
	}
	s.rgRows += n

	cols := int(rec.NumCols())
	errs := make([]error, cols)
	sem := make(chan struct{}, s.workers)
	var wg sync.WaitGroup
	for i := range cols {
		cw, err := s.rg.Column(i)
		if err != nil {
			return err
		}
		arr := rec.Column(i)
		var defs []int16
		if s.nullable[i] {
			defs = grow(s.defs[i], arr.Len())
			for j := range defs {
				defs[j] = int16(b2i(arr.IsValid(j)))
			}
			s.defs[i] = defs
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			wctx := pqarrow.NewArrowWriteContext(ctx, &s.arrProps)
			errs[i] = pqarrow.WriteArrowToColumn(wctx, cw, arr, defs, nil, s.nullable[i])
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("parquet column %d: %w", i, err)
		}
	}
	return nil
}

// close flushes the last row group and writes the footer.
func (s *parquetSink) close() error {
	var err error
	if s.rg != nil {
		err = s.rg.Close()
	}
	if cerr := s.fw.Close(); err == nil {
		err = cerr
	}
	return err
}
