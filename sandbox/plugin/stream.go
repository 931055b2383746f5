package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/inviso/inviso/sandbox/plugin/contract"
)

// stream starts the plugin, streams the input to it and collects its checked output into res.
func (r *Runner) stream(ctx context.Context, client *goplugin.Client, j *jail, spec RunSpec,
	hk handles, mem memory.Allocator, lim Limits, res *RunResult, begin time.Time) error {
	rpc, err := client.Client()
	if err != nil {
		return phaseError{"it did not start", err}
	}
	raw, err := rpc.Dispense(contract.PluginName)
	if err != nil {
		return phaseError{"it did not start", err}
	}
	pc, ok := raw.(contract.ProcessorClient)
	if !ok {
		return phaseError{"it did not start", errors.New("unexpected plugin client type")}
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := pc.Process(sctx)
	if err != nil {
		return phaseError{"it did not accept the job", err}
	}
	opened := time.Now()
	res.Stats.StartOverhead = opened.Sub(begin)

	inSchema := arrow.NewSchema(append([]arrow.Field{{Name: contract.RowColumn, Type: arrow.PrimitiveTypes.Int64}},
		spec.Input.Schema().Fields()...), nil)
	var issued atomic.Uint64
	sent := make(chan sendResult, 1)
	go func() { sent <- sendInput(s, spec.Input, inSchema, hk, &issued, mem) }()

	recvErr := receive(s.Recv, hk, &issued, mem, lim, res, spec.Sink)
	if recvErr != nil {
		cancel()
		j.kill("")
	}
	sr := <-sent
	res.Stats.RowsIn, res.Stats.BatchesIn, res.Stats.BytesIn = sr.rows, sr.batches, sr.bytes
	res.Stats.Streaming = time.Since(opened)
	if recvErr != nil {
		return recvErr
	}
	if sr.err != nil {
		var in inputError
		if errors.As(sr.err, &in) {
			return sr.err
		}
		return fmt.Errorf("%w: it ended before reading all of its input", ErrBadOutput)
	}
	return nil
}

type sendResult struct {
	rows, batches, bytes int64
	err                  error
}

// sendInput streams the input with a handle column in front, in batches cut to the contract's
// sizes, then the end-of-stream marker, and closes its side of the stream.
func sendInput(s contract.ProcessClientStream, in array.RecordReader, schema *arrow.Schema,
	hk handles, issued *atomic.Uint64, mem memory.Allocator) (res sendResult) {
	ps := contract.NewPayloadSender(s.Send)
	defer func() { res.bytes = ps.Bytes() }()
	w := ipc.NewWriterWithPayloadWriter(ps, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	inSchema := in.Schema()
	next := uint64(0)
	send := func(b arrow.RecordBatch) error {
		n := int(b.NumRows())
		buf := memory.NewResizableBuffer(mem)
		buf.Resize(n * 8)
		hs := arrow.Int64Traits.CastFromBytes(buf.Bytes())
		for i := range hs {
			hs[i] = hk.handle(next + uint64(i))
		}
		data := array.NewData(arrow.PrimitiveTypes.Int64, n, []*memory.Buffer{nil, buf}, nil, 0, 0)
		buf.Release()
		h := array.NewInt64Data(data)
		data.Release()
		rec := array.NewRecordBatch(schema, append([]arrow.Array{h}, b.Columns()...), int64(n))
		h.Release()
		defer rec.Release()
		next += uint64(n)
		issued.Store(next)
		res.rows += int64(n)
		res.batches++
		return w.Write(rec)
	}
	for in.Next() {
		rec := in.RecordBatch()
		if !rec.Schema().Equal(inSchema) {
			res.err = inputError{errors.New("a batch does not have the reader's schema")}
			return res
		}
		if err := contract.Split(rec, send); err != nil {
			res.err = err
			return res
		}
	}
	if err := in.Err(); err != nil {
		res.err = inputError{err}
		return res
	}
	if err := w.Close(); err != nil {
		res.err = err
		return res
	}
	res.err = s.CloseSend()
	return res
}

// receive reads the plugin's output from recv, checks it, and keeps it in res or passes it to
// sink.
func receive(recv func() (*wrapperspb.BytesValue, error), hk handles, issued *atomic.Uint64, mem memory.Allocator,
	lim Limits, res *RunResult, sink func(arrow.RecordBatch) error) (err error) {
	bud := &budget{mem: mem, limit: lim.OutputBytes}
	sr := contract.NewMessageReader(recv, lim.OutputBytes)
	st := &res.Stats
	defer func() { st.BytesOut = sr.Bytes() }()
	// failed explains a reader error: the stream's own failure, a budget, or bad data.
	failed := func(err error) error {
		st.Detail = err.Error() // may quote the plugin: operator only
		switch serr := sr.Err(); {
		case bud.exceeded.Load():
			return fmt.Errorf("%w: its output exceeded %d bytes in memory", ErrLimit, lim.OutputBytes)
		case errors.Is(serr, contract.ErrStreamTooLong):
			return fmt.Errorf("%w: its output exceeded %d bytes", ErrLimit, lim.OutputBytes)
		case errors.Is(serr, contract.ErrFraming):
			return fmt.Errorf("%w: its output is not a well-formed Arrow stream", ErrBadOutput)
		case serr != nil && !errors.Is(serr, io.EOF):
			return phaseError{"it crashed, exited or returned an error while processing", serr}
		}
		return fmt.Errorf("%w: its output is not a well-formed Arrow stream", ErrBadOutput)
	}
	defer func() {
		if p := recover(); p != nil {
			err = failed(fmt.Errorf("panic: %v", p))
		}
	}()
	rdr, err := ipc.NewReaderFromMessageReader(sr, ipc.WithAllocator(bud))
	if err != nil {
		return failed(err)
	}
	defer rdr.Release()
	schema := rdr.Schema()
	if err := contract.CheckOutputSchema(schema); err != nil {
		return fmt.Errorf("%w: %s", ErrBadOutput, err.Error())
	}
	rowIdx := schema.FieldIndices(contract.RowColumn)[0]
	fields := []arrow.Field{{Name: InputRowColumn, Type: arrow.PrimitiveTypes.Int64}}
	for i, f := range schema.Fields() {
		if i != rowIdx {
			fields = append(fields, arrow.Field{Name: f.Name, Type: f.Type, Nullable: f.Nullable})
		}
	}
	res.Schema = arrow.NewSchema(fields, nil)
	var seen []uint64
	for rdr.Next() {
		rec := rdr.RecordBatch()
		if err := checkBatch(rec); err != nil {
			return err
		}
		n := rec.NumRows()
		if st.RowsOut+n > lim.OutputRows {
			return fmt.Errorf("%w: its output exceeded %d rows", ErrLimit, lim.OutputRows)
		}
		h := rec.Column(rowIdx).(*array.Int64)
		if h.NullN() > 0 {
			return fmt.Errorf("%w: an output row has no %s handle", ErrBadOutput, contract.RowColumn)
		}
		iss := issued.Load()
		buf := memory.NewResizableBuffer(bud)
		buf.Resize(int(n) * 8)
		pos := arrow.Int64Traits.CastFromBytes(buf.Bytes())
		for i, v := range h.Int64Values() {
			p := hk.position(v)
			if p >= iss {
				buf.Release()
				return fmt.Errorf("%w: output row %d carries a row handle the plugin was not given", ErrBadOutput, st.RowsOut+int64(i)+1)
			}
			pos[i] = int64(p)
			w := p / 64
			if w >= uint64(len(seen)) {
				seen = append(seen, make([]uint64, int(w)+1-len(seen)+len(seen)/2)...)
			}
			if seen[w]&(1<<(p%64)) == 0 {
				seen[w] |= 1 << (p % 64)
				st.DistinctRowsOut++
			}
		}
		data := array.NewData(arrow.PrimitiveTypes.Int64, int(n), []*memory.Buffer{nil, buf}, nil, 0, 0)
		buf.Release()
		posArr := array.NewInt64Data(data)
		data.Release()
		cols := make([]arrow.Array, 0, len(fields))
		cols = append(cols, posArr)
		for i, c := range rec.Columns() {
			if i != rowIdx {
				cols = append(cols, c)
			}
		}
		out := array.NewRecordBatch(res.Schema, cols, n)
		posArr.Release()
		st.RowsOut += n
		st.BatchesOut++
		if sink == nil {
			res.Batches = append(res.Batches, out)
			continue
		}
		err := sink(out)
		out.Release()
		if err != nil {
			return sinkError{err}
		}
	}
	if err := rdr.Err(); err != nil {
		return failed(err)
	}
	// After the end-of-stream marker the plugin must end the call with an OK status.
	if err := sr.Finish(); err != nil {
		return failed(err)
	}
	return nil
}
