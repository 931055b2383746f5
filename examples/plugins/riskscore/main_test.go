package main

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/sandbox/plugin/sdk"
)

func TestScore(t *testing.T) {
	for _, tc := range []struct{ birth, income, want float64 }{
		{1980, 100_000, 0},        // age 45, top income
		{1980, 0, 0.6},            // age 45, no income
		{1935, 50_000, 0.3 + 0.4}, // age 90, half income
		{2025, 200_000, 0.4},      // age 0, income capped
	} {
		if got := Score(tc.birth, tc.income); got != tc.want {
			t.Errorf("Score(%v, %v) = %v, want %v", tc.birth, tc.income, got, tc.want)
		}
	}
}

func TestRiskscore(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "person_id", Type: arrow.BinaryTypes.String},
		{Name: "birth_year", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "income", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"a", "b", "c"}, nil)
	b.Field(1).(*array.Int64Builder).AppendValues([]int64{1980, 0, 1935}, []bool{true, false, true})
	b.Field(2).(*array.Int64Builder).AppendValues([]int64{0, 10, 50_000}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	in, _ := array.NewRecordReader(s, []arrow.RecordBatch{rec})
	defer in.Release()
	var rows []int64
	var scores []float64
	err := sdk.Run(context.Background(), &riskscore{}, in, func(out arrow.RecordBatch) error {
		rows = append(rows, out.Column(0).(*array.Int64).Int64Values()...)
		scores = append(scores, out.Column(1).(*array.Float64).Float64Values()...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0] != 0 || rows[1] != 2 || scores[0] != 0.6 || scores[1] != 0.7 {
		t.Fatalf("rows %v scores %v", rows, scores)
	}
}
