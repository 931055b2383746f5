package contract

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// ErrStreamTooLong is returned by a MessageReader whose byte budget is spent.
var ErrStreamTooLong = errors.New("contract: stream exceeds its byte budget")

// eos is the IPC end-of-stream marker.
var eos = []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}

// PayloadSender is an ipc.PayloadWriter that sends every IPC message as one BytesValue.
// Use it with ipc.NewWriterWithPayloadWriter.
type PayloadSender struct {
	send func(*wrapperspb.BytesValue) error
	buf  []byte
	n    int64
}

var _ ipc.PayloadWriter = (*PayloadSender)(nil)

// NewPayloadSender returns a PayloadSender over send (a stream's Send method).
func NewPayloadSender(send func(*wrapperspb.BytesValue) error) *PayloadSender {
	return &PayloadSender{send: send}
}

// Start implements ipc.PayloadWriter.
func (s *PayloadSender) Start() error { return nil }

// WritePayload sends one encapsulated IPC message.
func (s *PayloadSender) WritePayload(p ipc.Payload) error {
	// The buffer is reused: gRPC's proto codec copies the message during Send, and inviso
	// installs no stats handler that could keep it.
	buf := bytes.NewBuffer(s.buf[:0])
	if _, err := p.WritePayload(buf); err != nil {
		return err
	}
	s.buf = buf.Bytes()
	s.n += int64(len(s.buf))
	return s.send(&wrapperspb.BytesValue{Value: s.buf})
}

// Close sends the end-of-stream marker.
func (s *PayloadSender) Close() error {
	s.n += int64(len(eos))
	return s.send(&wrapperspb.BytesValue{Value: bytes.Clone(eos)})
}

// Bytes reports how many bytes were sent.
func (s *PayloadSender) Bytes() int64 { return s.n }

// ErrFraming is returned by a MessageReader for a message that is not one encapsulated IPC
// message.
var ErrFraming = errors.New("contract: a stream message is not one Arrow IPC message")

// MessageReader is an ipc.MessageReader over the BytesValues of one direction: each value is
// parsed as one encapsulated IPC message whose body is used in place, without copying. Its
// metadata must pass VerifyMetadata before Arrow parses it. Use it
// with ipc.NewReaderFromMessageReader. It is not safe for concurrent use.
type MessageReader struct {
	recv   func() (*wrapperspb.BytesValue, error)
	n, max int64
	msgs   int64
	err    error
	eos    bool
	cur    *ipc.Message
	refs   atomic.Int64
}

var _ ipc.MessageReader = (*MessageReader)(nil)

// NewMessageReader reads from recv (a stream's Recv method). If maxBytes > 0, receiving more
// than maxBytes fails with ErrStreamTooLong.
func NewMessageReader(recv func() (*wrapperspb.BytesValue, error), maxBytes int64) *MessageReader {
	r := &MessageReader{recv: recv, max: maxBytes}
	r.refs.Store(1)
	return r
}

// Message returns the next IPC message, valid until the next call. At the end-of-stream
// marker, or when the stream ends, it returns io.EOF; a failed stream returns its error.
func (r *MessageReader) Message() (msg *ipc.Message, err error) {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.eos {
		return nil, io.EOF
	}
	if r.err != nil {
		return nil, r.err
	}
	m, err := r.recv()
	if err != nil {
		r.err = err
		return nil, err
	}
	b := m.GetValue()
	r.msgs++
	r.n += int64(len(b))
	if r.max > 0 && r.n > r.max {
		r.err = ErrStreamTooLong
		return nil, r.err
	}
	if bytes.Equal(b, eos) || bytes.Equal(b, eos[4:]) {
		r.eos = true
		return nil, io.EOF
	}
	if len(b) < 8 || binary.LittleEndian.Uint32(b) != 0xffffffff {
		r.err = ErrFraming
		return nil, r.err
	}
	metaLen := int64(int32(binary.LittleEndian.Uint32(b[4:])))
	if metaLen < 8 || 8+metaLen > int64(len(b)) {
		r.err = ErrFraming
		return nil, r.err
	}
	if err := VerifyMetadata(b[8 : 8+metaLen]); err != nil {
		r.err = fmt.Errorf("%w: %w", ErrFraming, err)
		return nil, r.err
	}
	defer func() {
		// The flatbuffer parser trusts its input.
		if recover() != nil {
			msg, r.err, err = nil, ErrFraming, ErrFraming
		}
	}()
	msg = ipc.NewMessage(memory.NewBufferBytes(b[8:8+metaLen]), memory.NewBufferBytes(b[8+metaLen:]))
	if msg.BodyLen() != int64(len(b))-8-metaLen {
		msg.Release()
		r.err = ErrFraming
		return nil, r.err
	}
	r.cur = msg
	return msg, nil
}

// Finish reads past the end-of-stream marker to the end of the call and reports how it
// ended: nil for a clean end, else the error. Messages after the marker are an error.
func (r *MessageReader) Finish() error {
	if r.err != nil {
		if errors.Is(r.err, io.EOF) {
			return nil
		}
		return r.err
	}
	m, err := r.recv()
	if err == nil {
		r.n += int64(len(m.GetValue()))
		r.err = ErrFraming
		return r.err
	}
	r.err = err
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// Retain implements ipc.MessageReader.
func (r *MessageReader) Retain() { r.refs.Add(1) }

// Release implements ipc.MessageReader.
func (r *MessageReader) Release() {
	if r.refs.Add(-1) == 0 && r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

// Bytes reports how many bytes were received.
func (r *MessageReader) Bytes() int64 { return r.n }

// Messages reports how many messages were received.
func (r *MessageReader) Messages() int64 { return r.msgs }

// Err is the error that ended the stream: nil while it is open or after the end-of-stream
// marker, io.EOF when the call ended cleanly.
func (r *MessageReader) Err() error { return r.err }
