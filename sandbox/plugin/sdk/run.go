package sdk

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/sandbox/plugin/contract"
)

// Run runs p in-process over input the way the sandbox does, for tests: it puts a RowColumn
// first in every batch (here 0, 1, 2, … in input order; the sandbox's handles are opaque),
// splits batches like the sandbox, calls Init, Process and Finish, and checks every output
// batch (schema, and that each handle is one already handed out) before passing it to emit.
func Run(ctx context.Context, p Processor, input array.RecordReader, emit Emit) error {
	for _, f := range input.Schema().Fields() {
		if f.Name == RowColumn {
			return fmt.Errorf("sdk: input already has a %s column", RowColumn)
		}
	}
	inSchema := arrow.NewSchema(append([]arrow.Field{RowField}, input.Schema().Fields()...), nil)
	out, err := p.Init(ctx, inSchema)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if err := CheckOutputSchema(out); err != nil {
		return err
	}
	var issued int64
	check := func(b arrow.RecordBatch) error {
		if !b.Schema().Equal(out) {
			return errors.New("sdk: emitted batch does not have the output schema")
		}
		h, err := Handles(b)
		if err != nil {
			return err
		}
		for i := 0; i < h.Len(); i++ {
			if h.IsNull(i) || h.Value(i) < 0 || h.Value(i) >= issued {
				return fmt.Errorf("sdk: output row %d carries a handle that was not handed out", i)
			}
		}
		return emit(b)
	}
	for input.Next() {
		rec := input.RecordBatch()
		err := contract.Split(rec, func(b arrow.RecordBatch) error {
			bld := array.NewInt64Builder(memory.DefaultAllocator)
			defer bld.Release()
			for i := int64(0); i < b.NumRows(); i++ {
				bld.Append(issued + i)
			}
			h := bld.NewInt64Array()
			defer h.Release()
			withRow := array.NewRecordBatch(inSchema, append([]arrow.Array{h}, b.Columns()...), b.NumRows())
			defer withRow.Release()
			issued += b.NumRows()
			return p.Process(ctx, withRow, check)
		})
		if err != nil {
			return fmt.Errorf("process: %w", err)
		}
	}
	if err := input.Err(); err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	if err := p.Finish(ctx, check); err != nil {
		return fmt.Errorf("finish: %w", err)
	}
	return nil
}
