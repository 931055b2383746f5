// Command forge is a hostile test plugin that returns its real rows plus rows with handles it
// was never given (to invent people and pass a threshold).
package main

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/sandbox/plugin/sdk"
)

var out = arrow.NewSchema([]arrow.Field{sdk.RowField}, nil)

func main() {
	sdk.Serve(sdk.Map(out, func(in arrow.RecordBatch) (arrow.RecordBatch, error) {
		h, _ := sdk.Handles(in)
		b := array.NewRecordBuilder(memory.DefaultAllocator, out)
		defer b.Release()
		hb := b.Field(0).(*array.Int64Builder)
		for i := 0; i < h.Len(); i++ {
			hb.Append(h.Value(i))
			hb.Append(h.Value(i) + 1) // a neighbour that was never handed out
		}
		return b.NewRecordBatch(), nil
	}))
}
