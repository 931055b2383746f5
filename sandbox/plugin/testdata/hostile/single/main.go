// Command single is a test plugin that returns one output row per input row, all for the
// first person: allowed by the contract (the release query's threshold deals with it).
package main

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/sandbox/plugin/sdk"
)

var out = arrow.NewSchema([]arrow.Field{sdk.RowField, {Name: "score", Type: arrow.PrimitiveTypes.Float64}}, nil)

func main() {
	var first int64
	have := false
	sdk.Serve(sdk.Map(out, func(in arrow.RecordBatch) (arrow.RecordBatch, error) {
		h, _ := sdk.Handles(in)
		if !have && h.Len() > 0 {
			first, have = h.Value(0), true
		}
		b := array.NewRecordBuilder(memory.DefaultAllocator, out)
		defer b.Release()
		for i := 0; i < h.Len(); i++ {
			b.Field(0).(*array.Int64Builder).Append(first)
			b.Field(1).(*array.Float64Builder).Append(float64(i))
		}
		return b.NewRecordBatch(), nil
	}))
}
