// Command crash is a hostile test plugin that panics on its first batch.
package main

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/inviso/inviso/sandbox/plugin/sdk"
)

func main() {
	sdk.Serve(sdk.Map(arrow.NewSchema([]arrow.Field{sdk.RowField}, nil), func(arrow.RecordBatch) (arrow.RecordBatch, error) {
		panic("the plugin crashes on purpose")
	}))
}
