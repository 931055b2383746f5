package contract

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Handshake is the go-plugin handshake both sides use. Bump ProtocolVersion when the wire
// format changes incompatibly.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "INVISO_PLUGIN",
	MagicCookieValue: "b7e1c5a2f0d94e3a8c6b1d2e4f5a6b7c-processor",
}

// PluginName is the name of the one plugin in the plugin map.
const PluginName = "processor"

const (
	// RowColumn is the row-handle column: int64, not null, in every input and output batch.
	RowColumn = "__row"
	// ReservedPrefix starts names that only the contract may use.
	ReservedPrefix = "__"
	// MaxBatchRows bounds the rows of one batch in either direction.
	MaxBatchRows = 64 * 1024
	// TargetMessageBytes is the body size senders split batches at.
	TargetMessageBytes = 4 << 20
	// MaxMessageBytes is the largest gRPC message (and IPC body) either side accepts.
	MaxMessageBytes = 64 << 20
	// MaxColumns bounds the columns of the output schema.
	MaxColumns = 256
)

// AllowedTypes are the Arrow types an output column may have (besides RowColumn, which is
// int64).
var AllowedTypes = []arrow.Type{
	arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
	arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
	arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL, arrow.STRING,
}

// ServiceName is the gRPC service the plugin serves.
const ServiceName = "inviso.plugin.v1.Processor"

const processMethod = "/" + ServiceName + "/Process"

// ProcessServerStream is the plugin's side of a Process call.
type ProcessServerStream = grpc.BidiStreamingServer[wrapperspb.BytesValue, wrapperspb.BytesValue]

// ProcessClientStream is the host's side of a Process call.
type ProcessClientStream = grpc.BidiStreamingClient[wrapperspb.BytesValue, wrapperspb.BytesValue]

// ProcessorServer is what a plugin serves (package sdk implements it).
type ProcessorServer interface {
	Process(ProcessServerStream) error
}

// ProcessorClient calls a plugin.
type ProcessorClient interface {
	Process(ctx context.Context, opts ...grpc.CallOption) (ProcessClientStream, error)
}

// ServiceDesc describes the Processor service to gRPC, written by hand instead of by protoc.
var ServiceDesc = grpc.ServiceDesc{
	ServiceName: ServiceName,
	HandlerType: (*ProcessorServer)(nil),
	Methods:     []grpc.MethodDesc{},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Process",
		Handler:       processHandler,
		ServerStreams: true,
		ClientStreams: true,
	}},
	Metadata: "inviso/plugin/v1/processor",
}

func processHandler(srv any, stream grpc.ServerStream) error {
	return srv.(ProcessorServer).Process(&grpc.GenericServerStream[wrapperspb.BytesValue, wrapperspb.BytesValue]{ServerStream: stream})
}

// RegisterProcessorServer registers impl on s.
func RegisterProcessorServer(s grpc.ServiceRegistrar, impl ProcessorServer) {
	s.RegisterService(&ServiceDesc, impl)
}

// NewProcessorClient returns a client of the Processor service on cc.
func NewProcessorClient(cc grpc.ClientConnInterface) ProcessorClient {
	return processorClient{cc: cc}
}

type processorClient struct{ cc grpc.ClientConnInterface }

func (c processorClient) Process(ctx context.Context, opts ...grpc.CallOption) (ProcessClientStream, error) {
	s, err := c.cc.NewStream(ctx, &ServiceDesc.Streams[0], processMethod, opts...)
	if err != nil {
		return nil, err
	}
	return &grpc.GenericClientStream[wrapperspb.BytesValue, wrapperspb.BytesValue]{ClientStream: s}, nil
}

// GRPCPlugin is the go-plugin glue. The plugin sets Impl; the host leaves it nil and gets a
// ProcessorClient from Dispense.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	Impl ProcessorServer
}

var _ goplugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the Processor service (plugin side).
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errors.New("contract: GRPCPlugin.Impl is nil")
	}
	RegisterProcessorServer(s, p.Impl)
	return nil
}

// GRPCClient returns a ProcessorClient (host side).
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewProcessorClient(c), nil
}

// PluginSet is the plugin map: PluginName served by impl (nil on the host).
func PluginSet(impl ProcessorServer) goplugin.PluginSet {
	return goplugin.PluginSet{PluginName: &GRPCPlugin{Impl: impl}}
}

// ServerOptions raise gRPC's message limits on the plugin's server to MaxMessageBytes.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageBytes),
		grpc.MaxSendMsgSize(MaxMessageBytes),
	}
}

// DialOptions set the host's message limits to MaxMessageBytes (go-plugin's default would
// accept 2 GiB messages).
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(MaxMessageBytes),
		grpc.MaxCallSendMsgSize(MaxMessageBytes),
	)}
}
