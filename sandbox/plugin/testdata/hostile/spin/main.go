// Command spin is a hostile test plugin that loops forever on its first batch.
package main

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/inviso/inviso/sandbox/plugin/sdk"
)

type spin struct{}

var sink int

func (spin) Init(_ context.Context, in *arrow.Schema) (*arrow.Schema, error) { return in, nil }

func (spin) Process(context.Context, arrow.RecordBatch, sdk.Emit) error {
	for i := 0; ; i++ {
		sink = i
	}
}

func (spin) Finish(context.Context, sdk.Emit) error { return nil }

func main() { sdk.Serve(spin{}) }
