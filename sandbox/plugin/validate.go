package plugin

import (
	"fmt"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// checkBatch checks that every column of a batch decoded from the plugin is what its type
// says: lengths agree, buffers are long enough, null counts are true, string offsets are
// monotonic and in bounds, strings are UTF-8. Arrow's IPC reader trusts its input; the host
// must not, and this runs before any value is read.
func checkBatch(rec arrow.RecordBatch) error {
	rows := rec.NumRows()
	if rows < 0 {
		return fmt.Errorf("%w: a batch has a negative row count", ErrBadOutput)
	}
	for i, col := range rec.Columns() {
		if err := checkArray(col.Data(), rows); err != nil {
			return fmt.Errorf("%w: output column %d: %s", ErrBadOutput, i+1, err.Error())
		}
	}
	return nil
}

type arrayError string

func (e arrayError) Error() string { return string(e) }

func bufLen(b *memory.Buffer) int64 {
	if b == nil {
		return 0
	}
	return int64(b.Len())
}

func checkArray(d arrow.ArrayData, rows int64) error {
	n, off := int64(d.Len()), int64(d.Offset())
	if n != rows || off < 0 {
		return arrayError("length differs from the batch's row count")
	}
	if len(d.Children()) != 0 {
		return arrayError("unexpected child data")
	}
	bufs := d.Buffers()
	want := 2
	if d.DataType().ID() == arrow.STRING {
		want = 3
	}
	if len(bufs) != want {
		return arrayError("wrong number of buffers")
	}
	end := off + n
	nulls := int64(d.NullN())
	if nulls < 0 || nulls > n {
		return arrayError("invalid null count")
	}
	if bufLen(bufs[0]) > 0 {
		if bufLen(bufs[0]) < bitutil.BytesForBits(end) {
			return arrayError("validity bitmap too short")
		}
		if int64(bitutil.CountSetBits(bufs[0].Bytes(), int(off), int(n))) != n-nulls {
			return arrayError("null count does not match the validity bitmap")
		}
	} else if nulls != 0 {
		return arrayError("nulls without a validity bitmap")
	}
	switch t := d.DataType().(type) {
	case *arrow.BooleanType:
		if bufLen(bufs[1]) < bitutil.BytesForBits(end) {
			return arrayError("value buffer too short")
		}
	case *arrow.StringType:
		if n == 0 {
			return nil
		}
		if bufLen(bufs[1]) < 4*(end+1) {
			return arrayError("offset buffer too short")
		}
		offs := arrow.Int32Traits.CastFromBytes(bufs[1].Bytes())[off : end+1]
		data := int64(0)
		if bufs[2] != nil {
			data = int64(bufs[2].Len())
		}
		prev := offs[0]
		if prev < 0 {
			return arrayError("negative string offset")
		}
		for _, o := range offs[1:] {
			if o < prev {
				return arrayError("string offsets decrease")
			}
			prev = o
		}
		if int64(prev) > data {
			return arrayError("string offsets beyond the data buffer")
		}
		if prev > offs[0] && !utf8.Valid(bufs[2].Bytes()[offs[0]:prev]) {
			return arrayError("strings are not valid UTF-8")
		}
	case arrow.FixedWidthDataType:
		if bufLen(bufs[1]) < end*int64(t.BitWidth()/8) {
			return arrayError("value buffer too short")
		}
	default:
		return arrayError("unsupported type")
	}
	return nil
}
