// Package contract is the wire contract between inviso (the host) and a plugin: the go-plugin
// handshake, the name of the one plugin in the plugin map, and the gRPC service the plugin
// serves. Both sides import it; it holds no policy and starts no processes.
//
// # The service
//
// The plugin serves one gRPC service, inviso.plugin.v1.Processor, with one bidirectional
// streaming method:
//
//	rpc Process(stream google.protobuf.BytesValue) returns (stream google.protobuf.BytesValue)
//
// There is no .proto file and no generated code: the service is a hand-written
// grpc.ServiceDesc over the already-compiled well-known type BytesValue.
//
// # Wire format
//
// Each direction of a Process call carries one Arrow IPC stream
// (https://arrow.apache.org/docs/format/Columnar.html#ipc-streaming-format). Every
// BytesValue holds exactly one encapsulated IPC message (continuation marker, metadata length,
// flatbuffer metadata, body), so concatenating the values of one direction yields a valid IPC
// stream that ends with the end-of-stream marker (0xFFFFFFFF 0x00000000), which travels in a
// message of its own. The first message is the schema; dictionaries, compression and
// big-endian data are not used.
//
// Host to plugin: the input rows, in batches of at most MaxBatchRows rows whose bodies stay
// near TargetMessageBytes. The schema is the schema of the approved input query with one more
// column, RowColumn ("__row", int64, not null): an opaque row handle the host assigned for
// this job. Handles are not privacy units, not row numbers, and differ from job to job.
//
// Plugin to host: the output rows. The schema must contain RowColumn (int64), and every
// output row must carry the handle of an input row the plugin has received; the host refuses
// the whole job otherwise. Other columns may use only the types in AllowedTypes, and their
// names must match [A-Za-z_][A-Za-z0-9_]* (at most 63 characters), be unique ignoring case,
// and not start with ReservedPrefix. The plugin writes its schema as soon as it knows it, so
// a job without output rows still has an output schema.
//
// After the end-of-stream marker the host closes its send side; the plugin returns from
// Process with an OK status once its own end-of-stream marker is written. Any other status
// fails the job.
//
// A receiver parses each BytesValue on its own (MessageReader) and checks its flatbuffer
// metadata (VerifyMetadata) before Arrow sees it: only schema and record batch messages, only
// the allowed types, no dictionaries, no nested fields, no compression, bounded vectors. A
// value that is not exactly one such message, or any value after the end-of-stream marker,
// ends the stream with ErrFraming.
//
// # Sizes
//
// Both sides raise gRPC's 4 MiB message limit to MaxMessageBytes (see ServerOptions and
// DialOptions) and cut batches with Split, so that no batch has more than MaxBatchRows rows and
// no IPC body much exceeds TargetMessageBytes unless a single row is larger. gRPC refuses a
// message above MaxMessageBytes before allocating it.
//
// # Security
//
// The handshake cookie only stops a plugin binary from being run by accident; it is not a
// security feature. The host's security rests on the binary's digest, mutual TLS, operating
// system isolation and the checks it applies to the output (package
// github.com/inviso/inviso/sandbox/plugin).
package contract
