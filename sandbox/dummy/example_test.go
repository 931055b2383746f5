package dummy_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/inviso/inviso/sandbox/dummy"
	"github.com/inviso/inviso/sandbox/rules"
)

func ExampleWrite() {
	lo, hi := 0.0, 1_000_000.0
	tables := []dummy.Table{{Name: "citizens", Rows: 50_000, Columns: []dummy.Column{
		{Name: "person_id", Type: "BIGINT", Unit: true, Distinct: 50_000},
		{Name: "district", Type: "VARCHAR", Distinct: 8, NullFraction: 0.05,
			Rule: rules.Rule{Class: rules.QuasiIdentifier, Treatment: rules.Keep, Usage: rules.Dimension}},
		{Name: "income", Type: "BIGINT", NullFraction: 0.3,
			Rule: rules.Rule{Class: rules.Sensitive, Treatment: rules.Keep, Usage: rules.AggregateOnly, Params: &rules.Params{Lo: &lo, Hi: &hi}}},
	}}}
	var buf bytes.Buffer
	if err := dummy.Write(context.Background(), &buf, dummy.FormatParquet, tables, dummy.Options{Rows: 100, Seed: 1}); err != nil {
		fmt.Println(err)
		return
	}
	ext, mediaType := dummy.FormatParquet.File(len(tables))
	fmt.Println(ext, mediaType, string(buf.Bytes()[:4]))
	// Output: .parquet application/vnd.apache.parquet PAR1
}
