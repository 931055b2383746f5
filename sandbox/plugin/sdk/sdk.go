package sdk

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/inviso/inviso/sandbox/plugin/contract"
)

// RowColumn is the name of the row-handle column.
const RowColumn = contract.RowColumn

// RowField is the row-handle field to put in an output schema.
var RowField = arrow.Field{Name: RowColumn, Type: arrow.PrimitiveTypes.Int64}

// Emit hands one output batch to the host. It does not take ownership: the caller releases
// the batch after Emit returns. The batch must have the schema Init returned.
type Emit func(arrow.RecordBatch) error

// Processor is a plugin.
type Processor interface {
	// Init receives the input schema (with RowColumn) and returns the output schema, which
	// must contain RowField.
	Init(ctx context.Context, input *arrow.Schema) (output *arrow.Schema, err error)
	// Process handles one input batch; it may emit any number of output batches.
	Process(ctx context.Context, batch arrow.RecordBatch, emit Emit) error
	// Finish is called after the last input batch; it may emit more output.
	Finish(ctx context.Context, emit Emit) error
}

// Map returns a Processor that turns each input batch into at most one output batch with the
// given schema. fn returns nil for no output; the batch it returns is released after use.
func Map(output *arrow.Schema, fn func(in arrow.RecordBatch) (arrow.RecordBatch, error)) Processor {
	return mapper{out: output, fn: fn}
}

type mapper struct {
	out *arrow.Schema
	fn  func(arrow.RecordBatch) (arrow.RecordBatch, error)
}

func (m mapper) Init(context.Context, *arrow.Schema) (*arrow.Schema, error) { return m.out, nil }

func (m mapper) Process(_ context.Context, in arrow.RecordBatch, emit Emit) error {
	out, err := m.fn(in)
	if err != nil || out == nil {
		return err
	}
	defer out.Release()
	return emit(out)
}

func (mapper) Finish(context.Context, Emit) error { return nil }

// Handles returns the RowColumn of a batch.
func Handles(b arrow.RecordBatch) (*array.Int64, error) {
	idx := b.Schema().FieldIndices(RowColumn)
	if len(idx) != 1 {
		return nil, fmt.Errorf("sdk: batch has no single %s column", RowColumn)
	}
	h, ok := b.Column(idx[0]).(*array.Int64)
	if !ok {
		return nil, fmt.Errorf("sdk: %s is not int64", RowColumn)
	}
	return h, nil
}

// Serve serves p to the sandbox over go-plugin and gRPC. Call it from main; it returns when
// the sandbox is done with the plugin. Run directly (not by the sandbox), the program prints
// a notice and exits.
func Serve(p Processor) {
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: contract.Handshake,
		Plugins:         contract.PluginSet(&server{p: p, mem: memory.DefaultAllocator}),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, contract.ServerOptions()...)...)
		},
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "plugin", Level: hclog.Error, Output: os.Stderr, JSONFormat: true,
		}),
	})
}

type server struct {
	p   Processor
	mem memory.Allocator
}

func (s *server) Process(stream contract.ProcessServerStream) error {
	err := s.process(stream)
	if err != nil {
		// os.Stderr reaches the operator's log, not the developer.
		fmt.Fprintf(os.Stderr, "plugin: %v\n", err)
	}
	return err
}

func (s *server) process(stream contract.ProcessServerStream) error {
	ctx := stream.Context()
	in, err := ipc.NewReaderFromMessageReader(contract.NewMessageReader(stream.Recv, 0), ipc.WithAllocator(s.mem))
	if err != nil {
		return fmt.Errorf("read input schema: %w", err)
	}
	defer in.Release()
	out, err := s.p.Init(ctx, in.Schema())
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if err := CheckOutputSchema(out); err != nil {
		return err
	}
	w := ipc.NewWriterWithPayloadWriter(contract.NewPayloadSender(stream.Send),
		ipc.WithSchema(out), ipc.WithAllocator(s.mem))
	emit := func(b arrow.RecordBatch) error {
		if !b.Schema().Equal(out) {
			return errors.New("emitted batch does not have the output schema")
		}
		return contract.Split(b, w.Write)
	}
	for in.Next() {
		if err := s.p.Process(ctx, in.RecordBatch(), emit); err != nil {
			return fmt.Errorf("process: %w", err)
		}
	}
	if err := in.Err(); err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	if err := s.p.Finish(ctx, emit); err != nil {
		return fmt.Errorf("finish: %w", err)
	}
	return w.Close()
}

// CheckOutputSchema reports whether s is a valid output schema (see package contract): one
// int64 RowColumn, names that are identifiers, unique ignoring case and not reserved, and
// only the allowed types.
func CheckOutputSchema(s *arrow.Schema) error {
	return contract.CheckOutputSchema(s)
}
