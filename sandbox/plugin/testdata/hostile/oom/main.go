// Command oom is a hostile test plugin that allocates memory without bound.
package main

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/inviso/inviso/sandbox/plugin/sdk"
)

type oom struct{ keep [][]byte }

func (*oom) Init(_ context.Context, in *arrow.Schema) (*arrow.Schema, error) { return in, nil }

func (o *oom) Process(context.Context, arrow.RecordBatch, sdk.Emit) error {
	for {
		b := make([]byte, 64<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		o.keep = append(o.keep, b)
	}
}

func (*oom) Finish(context.Context, sdk.Emit) error { return nil }

func main() { sdk.Serve(&oom{}) }
