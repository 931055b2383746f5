package plugin

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/inviso/inviso/sandbox/plugin/contract"
)

// outputMessages encodes a plugin's output stream: one batch with handles of positions 0..n-1
// and a string column, as the messages a plugin sends.
func outputMessages(t testing.TB, hk handles, n int) [][]byte {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: contract.RowColumn, Type: arrow.PrimitiveTypes.Int64},
		{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.Int64Builder).Append(hk.handle(uint64(i)))
		if i%3 == 0 {
			b.Field(1).(*array.StringBuilder).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append("lab€l")
		}
		b.Field(2).(*array.Float64Builder).Append(float64(i) / 2)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var msgs [][]byte
	w := ipc.NewWriterWithPayloadWriter(contract.NewPayloadSender(func(m *wrapperspb.BytesValue) error {
		msgs = append(msgs, bytes.Clone(m.Value))
		return nil
	}), ipc.WithSchema(schema))
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return msgs
}

func replay(msgs [][]byte) func() (*wrapperspb.BytesValue, error) {
	i := 0
	return func() (*wrapperspb.BytesValue, error) {
		if i == len(msgs) {
			return nil, io.EOF
		}
		i++
		return &wrapperspb.BytesValue{Value: msgs[i-1]}, nil
	}
}

func decode(t testing.TB, msgs [][]byte, issued uint64) (*RunResult, error) {
	hk, _, _ := newHandles(make([]byte, HandleKeySize))
	var iss atomic.Uint64
	iss.Store(issued)
	res := &RunResult{}
	lim := DefaultLimits()
	lim.OutputBytes = 16 << 20
	err := receive(replay(msgs), hk, &iss, memory.DefaultAllocator, lim, res, nil)
	return res, err
}

func TestReceive(t *testing.T) {
	t.Parallel()
	hk, _, _ := newHandles(make([]byte, HandleKeySize))
	msgs := outputMessages(t, hk, 50)
	res, err := decode(t, msgs, 50)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if res.Stats.RowsOut != 50 || res.Schema.Field(0).Name != InputRowColumn || res.Schema.NumFields() != 3 {
		t.Fatalf("rows %d, schema %v", res.Stats.RowsOut, res.Schema)
	}
	// Handles of rows not issued yet are refused.
	if _, err := decode(t, msgs, 49); !errors.Is(err, ErrBadOutput) {
		t.Fatalf("handle of a row not issued: %v", err)
	}
	// A stream that ends with an error status is the plugin's failure.
	failing := func() (*wrapperspb.BytesValue, error) { return nil, errors.New("rpc error: the plugin died") }
	var iss atomic.Uint64
	err = receive(failing, hk, &iss, memory.DefaultAllocator, DefaultLimits(), &RunResult{}, nil)
	var ph phaseError
	if !errors.As(err, &ph) {
		t.Fatalf("failed stream: %v", err)
	}
	// Messages after the end-of-stream marker are refused.
	if _, err := decode(t, append(msgs, msgs[1]), 50); !errors.Is(err, ErrBadOutput) {
		t.Fatalf("message after EOS: %v", err)
	}
	// A body length that does not match the message is refused before any allocation.
	bad := bytes.Clone(msgs[1])
	binary.LittleEndian.PutUint32(bad[4:], 1<<30)
	if _, err := decode(t, [][]byte{msgs[0], bad}, 50); !errors.Is(err, ErrBadOutput) {
		t.Fatalf("bad metadata length: %v", err)
	}
}

// FuzzReceive feeds arbitrary output streams to the host's parser: it must never panic, and
// whatever it accepts must hold only valid, issued rows.
func FuzzReceive(f *testing.F) {
	hk, _, _ := newHandles(make([]byte, HandleKeySize))
	msgs := outputMessages(f, hk, 5)
	f.Add(msgs[0], msgs[1], msgs[2])
	f.Add(msgs[0], msgs[2], msgs[2])
	f.Add(msgs[0], msgs[1][:len(msgs[1])-8], msgs[2])
	f.Fuzz(func(t *testing.T, schema, batch, eos []byte) {
		res, err := decode(t, [][]byte{schema, batch, eos}, 5)
		if err != nil {
			if !errors.Is(err, ErrBadOutput) && !errors.Is(err, ErrLimit) {
				var ph phaseError
				if !errors.As(err, &ph) {
					t.Fatalf("unexpected error kind: %v", err)
				}
			}
			return
		}
		defer res.Release()
		for _, b := range res.Batches {
			if err := checkBatch(b); err != nil {
				t.Fatalf("accepted a bad batch: %v", err)
			}
			pos := b.Column(0).(*array.Int64)
			for i := 0; i < pos.Len(); i++ {
				if pos.Value(i) < 0 || pos.Value(i) >= 5 {
					t.Fatalf("accepted position %d", pos.Value(i))
				}
			}
		}
	})
}
