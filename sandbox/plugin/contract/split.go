package contract

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Split calls fn with consecutive slices of rec that hold at most MaxBatchRows rows and at
// most about TargetMessageBytes of data each (a single larger row goes alone). A batch that
// already fits is passed as is. The slices are released after fn returns; fn must Retain what
// it keeps.
func Split(rec arrow.RecordBatch, fn func(arrow.RecordBatch) error) error {
	rows := rec.NumRows()
	size := EstimateBytes(rec)
	if rows <= MaxBatchRows && (size <= TargetMessageBytes || rows <= 1) {
		return fn(rec)
	}
	per := int64(MaxBatchRows)
	if size > TargetMessageBytes {
		per = max(1, min(per, rows*TargetMessageBytes/size))
	}
	if per >= rows {
		per = (rows + 1) / 2
	}
	for i := int64(0); i < rows; i += per {
		// Rows differ in size: a slice may still be too large, and is cut again.
		s := rec.NewSlice(i, min(i+per, rows))
		err := Split(s, fn)
		s.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// EstimateBytes estimates the IPC body size of rec.
func EstimateBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, c := range rec.Columns() {
		n += arrayBytes(c)
	}
	return n
}

func arrayBytes(a arrow.Array) int64 {
	l := int64(a.Len())
	var n int64
	if a.NullN() > 0 {
		n += (l + 7) / 8
	}
	switch a := a.(type) {
	case *array.String:
		if o := a.ValueOffsets(); len(o) > 0 {
			n += int64(o[len(o)-1]-o[0]) + 4*(l+1)
		}
		return n
	case *array.Binary:
		if o := a.ValueOffsets(); len(o) > 0 {
			n += int64(o[len(o)-1]-o[0]) + 4*(l+1)
		}
		return n
	case *array.LargeString:
		if o := a.ValueOffsets(); len(o) > 0 {
			n += o[len(o)-1] - o[0] + 8*(l+1)
		}
		return n
	case *array.Boolean:
		return n + (l+7)/8
	}
	if fw, ok := a.DataType().(arrow.FixedWidthDataType); ok && fw.BitWidth() >= 8 {
		return n + l*int64(fw.BitWidth()/8)
	}
	// Other types: the whole buffers, scaled down to the slice.
	d := a.Data()
	var total int64
	var walk func(d arrow.ArrayData)
	walk = func(d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			if b != nil {
				total += int64(b.Len())
			}
		}
		for _, c := range d.Children() {
			walk(c)
		}
	}
	walk(d)
	if full := int64(d.Len() + d.Offset()); full > l && full > 0 {
		total = total * l / full
	}
	return n + total
}
