// Command flood is a hostile test plugin that answers its input with endless output rows,
// all carrying the first handle it was given.
package main

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/sandbox/plugin/sdk"
)

var out = arrow.NewSchema([]arrow.Field{sdk.RowField, {Name: "payload", Type: arrow.BinaryTypes.String}}, nil)

type flood struct {
	handle int64
	have   bool
}

func (*flood) Init(context.Context, *arrow.Schema) (*arrow.Schema, error) { return out, nil }

func (f *flood) Process(_ context.Context, in arrow.RecordBatch, _ sdk.Emit) error {
	if h, _ := sdk.Handles(in); !f.have && h.Len() > 0 {
		f.handle, f.have = h.Value(0), true
	}
	return nil
}

func (f *flood) Finish(_ context.Context, emit sdk.Emit) error {
	b := array.NewRecordBuilder(memory.DefaultAllocator, out)
	defer b.Release()
	filler := string(make([]byte, 1000))
	for i := 0; i < 10000; i++ {
		b.Field(0).(*array.Int64Builder).Append(f.handle)
		b.Field(1).(*array.StringBuilder).Append(filler)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	for {
		if err := emit(rec); err != nil {
			return err
		}
	}
}

func main() { sdk.Serve(&flood{}) }
