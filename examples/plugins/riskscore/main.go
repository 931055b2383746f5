// Command riskscore is an example inviso plugin: it computes a per-person score from a
// person's birth year band and income, and the sandbox releases only aggregates of it (for
// example the mean score per district, with the grant's threshold).
//
// Input columns (from the job's approved input query): "birth_year" (or "birth_date"), an
// integer year, typically the start of a generalized band such as 1970 for 1970–1974; and
// "income", an integer or float amount per year. Other columns are ignored.
//
// Output: "__row" (the input row's handle) and "score" (float64 in [0, 1]):
//
//	income_risk = 1 - min(max(income, 0), 100000) / 100000     lower income, higher risk
//	age         = 2025 - birth_year                             a fixed reference year, so
//	                                                            that a replay gives the same
//	age_risk    = min(|age - 45| / 45, 1)                       far from mid-life, higher risk
//	score       = round(0.6*income_risk + 0.4*age_risk, 4 decimals)
//
// Rows with a missing birth year or income get no output row.
//
// Build it statically (the sandbox runs it in an empty root):
//
//	CGO_ENABLED=0 go build ./examples/plugins/riskscore
package main

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/sandbox/plugin/sdk"
)

// ReferenceYear is the year ages are computed at.
const ReferenceYear = 2025

var output = arrow.NewSchema([]arrow.Field{sdk.RowField, {Name: "score", Type: arrow.PrimitiveTypes.Float64}}, nil)

// Score is the documented formula.
func Score(birthYear, income float64) float64 {
	incomeRisk := 1 - math.Min(math.Max(income, 0), 100_000)/100_000
	age := ReferenceYear - birthYear
	ageRisk := math.Min(math.Abs(age-45)/45, 1)
	return math.Round((0.6*incomeRisk+0.4*ageRisk)*1e4) / 1e4
}

type riskscore struct {
	birth, income int
}

func (r *riskscore) Init(_ context.Context, in *arrow.Schema) (*arrow.Schema, error) {
	r.birth, r.income = -1, -1
	for i, f := range in.Fields() {
		switch f.Name {
		case "birth_year", "birth_date":
			r.birth = i
		case "income":
			r.income = i
		}
	}
	if r.birth < 0 || r.income < 0 {
		return nil, fmt.Errorf("riskscore needs columns birth_year (or birth_date) and income")
	}
	for _, i := range []int{r.birth, r.income} {
		if !numeric(in.Field(i).Type) {
			return nil, fmt.Errorf("column %s must be numeric, not %s", in.Field(i).Name, in.Field(i).Type)
		}
	}
	return output, nil
}

func numeric(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16,
		arrow.UINT32, arrow.UINT64, arrow.FLOAT32, arrow.FLOAT64:
		return true
	}
	return false
}

// value reads a numeric column as float64.
func value(a arrow.Array, i int) float64 {
	switch a := a.(type) {
	case *array.Int8:
		return float64(a.Value(i))
	case *array.Int16:
		return float64(a.Value(i))
	case *array.Int32:
		return float64(a.Value(i))
	case *array.Int64:
		return float64(a.Value(i))
	case *array.Uint8:
		return float64(a.Value(i))
	case *array.Uint16:
		return float64(a.Value(i))
	case *array.Uint32:
		return float64(a.Value(i))
	case *array.Uint64:
		return float64(a.Value(i))
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	}
	return math.NaN()
}

func (r *riskscore) Process(_ context.Context, in arrow.RecordBatch, emit sdk.Emit) error {
	rows, err := sdk.Handles(in)
	if err != nil {
		return err
	}
	birth, income := in.Column(r.birth), in.Column(r.income)
	b := array.NewRecordBuilder(memory.DefaultAllocator, output)
	defer b.Release()
	handles := b.Field(0).(*array.Int64Builder)
	scores := b.Field(1).(*array.Float64Builder)
	for i := 0; i < int(in.NumRows()); i++ {
		if birth.IsNull(i) || income.IsNull(i) {
			continue
		}
		handles.Append(rows.Value(i))
		scores.Append(Score(value(birth, i), value(income, i)))
	}
	out := b.NewRecordBatch()
	defer out.Release()
	return emit(out)
}

func (*riskscore) Finish(context.Context, sdk.Emit) error { return nil }

func main() { sdk.Serve(&riskscore{}) }
