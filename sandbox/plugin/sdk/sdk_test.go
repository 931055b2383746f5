package sdk_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/sandbox/plugin/sdk"
)

func incomes(values ...float64) array.RecordReader {
	s := arrow.NewSchema([]arrow.Field{{Name: "income", Type: arrow.PrimitiveTypes.Float64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	b.Field(0).(*array.Float64Builder).AppendValues(values, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, _ := array.NewRecordReader(s, []arrow.RecordBatch{rec})
	return rr
}

// A plugin that reports, for every row, whether its income is above 2000. In main it would
// be sdk.Serve(taxed); sdk.Run runs it locally, with the sandbox's checks.
func ExampleMap() {
	out := arrow.NewSchema([]arrow.Field{sdk.RowField, {Name: "high", Type: arrow.FixedWidthTypes.Boolean}}, nil)
	taxed := sdk.Map(out, func(in arrow.RecordBatch) (arrow.RecordBatch, error) {
		rows, err := sdk.Handles(in)
		if err != nil {
			return nil, err
		}
		income := in.Column(in.Schema().FieldIndices("income")[0]).(*array.Float64)
		b := array.NewRecordBuilder(memory.DefaultAllocator, out)
		defer b.Release()
		for i := 0; i < int(in.NumRows()); i++ {
			b.Field(0).(*array.Int64Builder).Append(rows.Value(i)) // every output row names its input row
			b.Field(1).(*array.BooleanBuilder).Append(income.Value(i) > 2000)
		}
		return b.NewRecordBatch(), nil
	})

	in := incomes(1500, 2500, 4000)
	defer in.Release()
	err := sdk.Run(context.Background(), taxed, in, func(b arrow.RecordBatch) error {
		fmt.Println(b.Column(1))
		return nil
	})
	fmt.Println(err)
	// Output:
	// [false true true]
	// <nil>
}

func TestRunRefusesForeignHandles(t *testing.T) {
	out := arrow.NewSchema([]arrow.Field{sdk.RowField}, nil)
	forge := sdk.Map(out, func(in arrow.RecordBatch) (arrow.RecordBatch, error) {
		b := array.NewRecordBuilder(memory.DefaultAllocator, out)
		defer b.Release()
		b.Field(0).(*array.Int64Builder).Append(1 << 40)
		return b.NewRecordBatch(), nil
	})
	in := incomes(1, 2)
	defer in.Release()
	err := sdk.Run(context.Background(), forge, in, func(arrow.RecordBatch) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "not handed out") {
		t.Fatalf("got %v", err)
	}
}

func TestRunRefusesBadSchema(t *testing.T) {
	bad := sdk.Map(arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil),
		func(arrow.RecordBatch) (arrow.RecordBatch, error) { return nil, nil })
	in := incomes(1)
	defer in.Release()
	if err := sdk.Run(context.Background(), bad, in, func(arrow.RecordBatch) error { return nil }); err == nil {
		t.Fatal("an output schema without __row was accepted")
	}
}
