package contract

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

var row = arrow.Field{Name: RowColumn, Type: arrow.PrimitiveTypes.Int64}

func TestCheckOutputSchema(t *testing.T) {
	t.Parallel()
	f := func(name string, typ arrow.DataType) arrow.Field { return arrow.Field{Name: name, Type: typ} }
	many := []arrow.Field{row}
	for i := range MaxColumns {
		many = append(many, f("c"+strings.Repeat("x", i%50)+string(rune('a'+i%26))+string(rune('a'+i/26)), arrow.PrimitiveTypes.Int8))
	}
	for name, tc := range map[string]struct {
		fields []arrow.Field
		ok     bool
	}{
		"handles only":      {[]arrow.Field{row}, true},
		"all allowed types": {[]arrow.Field{row, f("a", arrow.PrimitiveTypes.Int32), f("b", arrow.PrimitiveTypes.Uint64), f("c", arrow.PrimitiveTypes.Float32), f("d", arrow.FixedWidthTypes.Boolean), f("e", arrow.BinaryTypes.String)}, true},
		"no handles":        {[]arrow.Field{f("score", arrow.PrimitiveTypes.Float64)}, false},
		"two handles":       {[]arrow.Field{row, row}, false},
		"handles not int64": {[]arrow.Field{f(RowColumn, arrow.PrimitiveTypes.Int32)}, false},
		"reserved name":     {[]arrow.Field{row, f("__x", arrow.PrimitiveTypes.Int64)}, false},
		"case duplicate":    {[]arrow.Field{row, f("Score", arrow.PrimitiveTypes.Int64), f("score", arrow.PrimitiveTypes.Int64)}, false},
		"not an identifier": {[]arrow.Field{row, f("a b", arrow.PrimitiveTypes.Int64)}, false},
		"leading digit":     {[]arrow.Field{row, f("1a", arrow.PrimitiveTypes.Int64)}, false},
		"empty name":        {[]arrow.Field{row, f("", arrow.PrimitiveTypes.Int64)}, false},
		"long name":         {[]arrow.Field{row, f(strings.Repeat("a", 64), arrow.PrimitiveTypes.Int64)}, false},
		"binary":            {[]arrow.Field{row, f("b", arrow.BinaryTypes.Binary)}, false},
		"list":              {[]arrow.Field{row, f("l", arrow.ListOf(arrow.PrimitiveTypes.Int64))}, false},
		"timestamp":         {[]arrow.Field{row, f("t", arrow.FixedWidthTypes.Timestamp_us)}, false},
		"too many columns":  {many, false},
	} {
		t.Run(name, func(t *testing.T) {
			err := CheckOutputSchema(arrow.NewSchema(tc.fields, nil))
			if (err == nil) != tc.ok {
				t.Fatalf("ok=%v, err=%v", tc.ok, err)
			}
			if err != nil && strings.Contains(err.Error(), "__x") {
				t.Errorf("the error names a column: %v", err)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}, {Name: "i", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	big := strings.Repeat("x", 1000)
	const n = 200_000 // about 200 MB of strings: must be cut by bytes, not only by rows
	for i := range n {
		if i < 10_000 {
			b.Field(0).(*array.StringBuilder).Append(big)
		} else {
			b.Field(0).(*array.StringBuilder).Append("y")
		}
		b.Field(1).(*array.Int64Builder).Append(int64(i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var rows int64
	parts := 0
	err := Split(rec, func(p arrow.RecordBatch) error {
		if p.NumRows() > MaxBatchRows {
			t.Errorf("part of %d rows", p.NumRows())
		}
		if EstimateBytes(p) > 2*TargetMessageBytes {
			t.Errorf("part of %d bytes", EstimateBytes(p))
		}
		if first := p.Column(1).(*array.Int64).Value(0); first != rows {
			t.Errorf("part starts at %d, want %d", first, rows)
		}
		rows += p.NumRows()
		parts++
		return nil
	})
	if err != nil || rows != n {
		t.Fatalf("split: %v, %d rows", err, rows)
	}
	t.Logf("%d parts", parts)
}

// messages encodes rec as the stream messages of one direction.
func messages(t testing.TB, rec arrow.RecordBatch, opts ...ipc.Option) [][]byte {
	var msgs [][]byte
	ps := NewPayloadSender(func(m *wrapperspb.BytesValue) error {
		msgs = append(msgs, bytes.Clone(m.Value))
		return nil
	})
	w := ipc.NewWriterWithPayloadWriter(ps, append([]ipc.Option{ipc.WithSchema(rec.Schema())}, opts...)...)
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return msgs
}

func sample(t testing.TB, typ arrow.DataType) arrow.RecordBatch {
	s := arrow.NewSchema([]arrow.Field{row, {Name: "v", Type: typ, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	for range 3 {
		b.Field(1).AppendNull()
	}
	return b.NewRecordBatch()
}

func recvFrom(msgs [][]byte) func() (*wrapperspb.BytesValue, error) {
	return func() (*wrapperspb.BytesValue, error) {
		if len(msgs) == 0 {
			return nil, io.EOF
		}
		m := msgs[0]
		msgs = msgs[1:]
		return &wrapperspb.BytesValue{Value: m}, nil
	}
}

func TestMessageReaderRoundTrip(t *testing.T) {
	t.Parallel()
	rec := sample(t, arrow.BinaryTypes.String)
	defer rec.Release()
	msgs := messages(t, rec)
	if len(msgs) != 3 || !bytes.Equal(msgs[2], eos) {
		t.Fatalf("%d messages, last %x", len(msgs), msgs[len(msgs)-1])
	}
	mr := NewMessageReader(recvFrom(msgs), 0)
	r, err := ipc.NewReaderFromMessageReader(mr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	rows := int64(0)
	for r.Next() {
		rows += r.RecordBatch().NumRows()
	}
	if r.Err() != nil || rows != 3 {
		t.Fatalf("read %d rows: %v", rows, r.Err())
	}
	if err := mr.Finish(); err != nil {
		t.Fatalf("finish: %v", err)
	}
	// A byte budget stops the stream.
	mr = NewMessageReader(recvFrom(messages(t, rec)), 100)
	if _, err := ipc.NewReaderFromMessageReader(mr); err == nil || !errors.Is(mr.Err(), ErrStreamTooLong) {
		t.Fatalf("budget: %v / %v", err, mr.Err())
	}
}

func TestVerifyMetadata(t *testing.T) {
	t.Parallel()
	meta := func(m []byte) []byte {
		n := binary.LittleEndian.Uint32(m[4:])
		return m[8 : 8+n]
	}
	for name, tc := range map[string]struct {
		typ  arrow.DataType
		opts []ipc.Option
		ok   bool
	}{
		"int64":      {arrow.PrimitiveTypes.Int64, nil, true},
		"uint8":      {arrow.PrimitiveTypes.Uint8, nil, true},
		"float32":    {arrow.PrimitiveTypes.Float32, nil, true},
		"bool":       {arrow.FixedWidthTypes.Boolean, nil, true},
		"utf8":       {arrow.BinaryTypes.String, nil, true},
		"list":       {arrow.ListOf(arrow.PrimitiveTypes.Int64), nil, false},
		"dictionary": {&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, nil, false},
		"timestamp":  {arrow.FixedWidthTypes.Timestamp_s, nil, false},
		"compressed": {arrow.PrimitiveTypes.Int64, []ipc.Option{ipc.WithZstd()}, false},
	} {
		t.Run(name, func(t *testing.T) {
			rec := sample(t, tc.typ)
			defer rec.Release()
			msgs := messages(t, rec, tc.opts...)
			var err error
			for _, m := range msgs[:len(msgs)-1] {
				if err = VerifyMetadata(meta(m)); err != nil {
					break
				}
			}
			if (err == nil) != tc.ok {
				t.Fatalf("ok=%v, err=%v", tc.ok, err)
			}
		})
	}
	// A forged vector length (here the schema's field count) is refused.
	rec := sample(t, arrow.PrimitiveTypes.Int64)
	defer rec.Release()
	m := bytes.Clone(meta(messages(t, rec)[0]))
	found := false
	for p := 0; p+4 <= len(m); p += 4 {
		if binary.LittleEndian.Uint32(m[p:]) == 2 { // the two fields
			c := bytes.Clone(m)
			binary.LittleEndian.PutUint32(c[p:], 1<<30)
			if VerifyMetadata(c) == nil {
				if _, err := ipc.NewReaderFromMessageReader(NewMessageReader(recvFrom([][]byte{frame(c)}), 0)); err == nil {
					t.Fatalf("forged count at %d accepted", p)
				}
			}
			found = true
		}
	}
	if !found {
		t.Fatal("no field count found to forge")
	}
}

func frame(meta []byte) []byte {
	b := make([]byte, 8, 8+len(meta))
	binary.LittleEndian.PutUint32(b, 0xffffffff)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(meta)))
	return append(b, meta...)
}

// FuzzVerifyMetadata: the verifier never panics, and what it accepts Arrow parses without
// allocating more than the message's size.
func FuzzVerifyMetadata(f *testing.F) {
	for _, typ := range []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String, arrow.FixedWidthTypes.Boolean} {
		rec := sample(f, typ)
		for _, m := range messages(f, rec) {
			if len(m) > 8 {
				n := binary.LittleEndian.Uint32(m[4:])
				f.Add(m[8 : 8+n])
			}
		}
		rec.Release()
	}
	f.Fuzz(func(t *testing.T, meta []byte) {
		if VerifyMetadata(meta) != nil {
			return
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		r, err := ipc.NewReaderFromMessageReader(NewMessageReader(recvFrom([][]byte{frame(meta)}), 0), ipc.WithAllocator(mem))
		if err == nil {
			r.Release()
		}
		if mem.CurrentAlloc() > 1<<20 {
			t.Fatalf("parsing %d bytes of metadata allocated %d bytes", len(meta), mem.CurrentAlloc())
		}
	})
}
