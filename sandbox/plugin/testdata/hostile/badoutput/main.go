// Command badoutput is a hostile test plugin that breaks the output contract in the way column
// "mode" of its first input row asks: "reserved_name", "list_type", "invalid_utf8",
// "null_handle", "garbage" (raw bytes instead of Arrow, bypassing the SDK).
package main

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/inviso/inviso/sandbox/plugin/contract"
)

type server struct{}

func (server) Process(s contract.ProcessServerStream) error {
	rdr, err := ipc.NewReaderFromMessageReader(contract.NewMessageReader(s.Recv, 0))
	if err != nil {
		return err
	}
	defer rdr.Release()
	if !rdr.Next() {
		return errors.New("no input")
	}
	in := rdr.RecordBatch()
	in.Retain()
	defer in.Release()
	for rdr.Next() {
	}
	h := in.Column(in.Schema().FieldIndices(contract.RowColumn)[0]).(*array.Int64)
	mode := in.Column(in.Schema().FieldIndices("mode")[0]).(*array.String).Value(0)
	mem := memory.DefaultAllocator

	var schema *arrow.Schema
	var cols []arrow.Array
	hb := array.NewInt64Builder(mem)
	defer hb.Release()
	switch mode {
	case "garbage":
		if err := s.Send(&wrapperspb.BytesValue{Value: []byte("this is not arrow, but it is a secret: 1234")}); err != nil {
			return err
		}
		return s.Send(&wrapperspb.BytesValue{Value: make([]byte, 100)})
	case "reserved_name":
		schema = arrow.NewSchema([]arrow.Field{{Name: contract.RowColumn, Type: arrow.PrimitiveTypes.Int64}, {Name: "__ssn_123", Type: arrow.PrimitiveTypes.Int64}}, nil)
		hb.Append(h.Value(0))
		cols = []arrow.Array{hb.NewArray(), hb.NewArray()}
		hb.Append(h.Value(0))
		cols[1] = hb.NewArray()
	case "list_type":
		lt := arrow.ListOf(arrow.PrimitiveTypes.Int64)
		schema = arrow.NewSchema([]arrow.Field{{Name: contract.RowColumn, Type: arrow.PrimitiveTypes.Int64}, {Name: "values", Type: lt}}, nil)
		hb.Append(h.Value(0))
		lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
		defer lb.Release()
		lb.Append(true)
		lb.ValueBuilder().(*array.Int64Builder).Append(42)
		cols = []arrow.Array{hb.NewArray(), lb.NewArray()}
	case "invalid_utf8":
		schema = arrow.NewSchema([]arrow.Field{{Name: contract.RowColumn, Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.BinaryTypes.String}}, nil)
		hb.Append(h.Value(0))
		sb := array.NewStringBuilder(mem)
		defer sb.Release()
		sb.Append(string([]byte{0xff, 0xfe, 'x'}))
		cols = []arrow.Array{hb.NewArray(), sb.NewArray()}
	case "null_handle":
		schema = arrow.NewSchema([]arrow.Field{{Name: contract.RowColumn, Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
		hb.AppendNull()
		cols = []arrow.Array{hb.NewArray()}
	default:
		return errors.New("unknown mode")
	}
	rec := array.NewRecordBatch(schema, cols, int64(cols[0].Len()))
	defer rec.Release()
	w := ipc.NewWriterWithPayloadWriter(contract.NewPayloadSender(s.Send), ipc.WithSchema(schema))
	if err := w.Write(rec); err != nil {
		return err
	}
	return w.Close()
}

var _ io.Reader

func main() {
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: contract.Handshake,
		Plugins:         contract.PluginSet(server{}),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, contract.ServerOptions()...)...)
		},
		Logger: hclog.NewNullLogger(),
	})
	_ = context.Background
}
