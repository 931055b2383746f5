package synth

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// amountType is the type of benefits.amount, DECIMAL(12,2) in yuan.
var amountType = &arrow.Decimal128Type{Precision: 12, Scale: 2}

// Schema returns the Arrow schema of table t; nullable columns are
// citizens.income and citizens.diagnosis_code.
func Schema(t Table) (*arrow.Schema, error) {
	str := arrow.BinaryTypes.String
	switch t {
	case Citizens:
		return arrow.NewSchema([]arrow.Field{
			{Name: "person_id", Type: str},
			{Name: "name", Type: str},
			{Name: "id_number", Type: str},
			{Name: "phone", Type: str},
			{Name: "gender", Type: str},
			{Name: "birth_date", Type: arrow.FixedWidthTypes.Date32},
			{Name: "district", Type: str},
			{Name: "income", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			{Name: "diagnosis_code", Type: str, Nullable: true},
		}, nil), nil
	case Benefits:
		return arrow.NewSchema([]arrow.Field{
			{Name: "person_id", Type: str},
			{Name: "program", Type: str},
			{Name: "amount", Type: amountType},
			{Name: "paid_on", Type: arrow.FixedWidthTypes.Date32},
		}, nil), nil
	}
	return nil, fmt.Errorf("schema: %w: %q", ErrUnknownTable, t)
}

func (c *citizenBatch) record(mem memory.Allocator, schema *arrow.Schema) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Reserve(c.n)
	pid := b.Field(0).(*array.StringBuilder)
	name := b.Field(1).(*array.StringBuilder)
	idn := b.Field(2).(*array.StringBuilder)
	phone := b.Field(3).(*array.StringBuilder)
	gender := b.Field(4).(*array.StringBuilder)
	birth := b.Field(5).(*array.Date32Builder)
	dist := b.Field(6).(*array.StringBuilder)
	income := b.Field(7).(*array.Int64Builder)
	diag := b.Field(8).(*array.StringBuilder)
	pid.ReserveData(12 * c.n)
	name.ReserveData(9 * c.n)
	idn.ReserveData(18 * c.n)
	phone.ReserveData(11 * c.n)
	gender.ReserveData(3 * c.n)
	dist.ReserveData(9 * c.n)
	diag.ReserveData(3 * c.n)

	var buf [18]byte
	for i := range c.n {
		putPersonID(buf[:12], c.pid[i])
		pid.BinaryBuilder.Append(buf[:12])
		name.BinaryBuilder.Append(c.nameOf(i))
		c.putIDNumber(buf[:18], i)
		idn.BinaryBuilder.Append(buf[:18])
		putDigits(buf[:11], c.phone[i])
		phone.BinaryBuilder.Append(buf[:11])
		gender.Append(genderOf(c.male[i]))
		birth.Append(arrow.Date32(c.birth[i]))
		dist.Append(districts[c.district[i]].name)
		if c.income[i] >= 0 {
			income.Append(c.income[i])
		} else {
			income.AppendNull()
		}
		if c.diag[i] >= 0 {
			diag.Append(diagnoses[c.diag[i]].code)
		} else {
			diag.AppendNull()
		}
	}
	return b.NewRecordBatch()
}

func (bb *benefitBatch) record(mem memory.Allocator, schema *arrow.Schema) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Reserve(bb.n)
	pid := b.Field(0).(*array.StringBuilder)
	prog := b.Field(1).(*array.StringBuilder)
	amt := b.Field(2).(*array.Decimal128Builder)
	paid := b.Field(3).(*array.Date32Builder)
	pid.ReserveData(12 * bb.n)
	prog.ReserveData(15 * bb.n)

	var buf [12]byte
	for i := range bb.n {
		putPersonID(buf[:], bb.pid[i])
		pid.BinaryBuilder.Append(buf[:])
		prog.Append(programs[bb.program[i]].s)
		amt.Append(decimal128.FromI64(bb.cents[i]))
		paid.Append(arrow.Date32(bb.paid[i]))
	}
	return b.NewRecordBatch()
}
