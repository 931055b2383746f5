// Command identity is a test plugin that returns its input unchanged.
package main

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/inviso/inviso/sandbox/plugin/sdk"
)

type identity struct{}

func (identity) Init(_ context.Context, in *arrow.Schema) (*arrow.Schema, error) { return in, nil }

func (identity) Process(_ context.Context, b arrow.RecordBatch, emit sdk.Emit) error {
	return emit(b)
}

func (identity) Finish(context.Context, sdk.Emit) error { return nil }

func main() { sdk.Serve(identity{}) }
