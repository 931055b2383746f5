package dummy

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/inviso/inviso/sandbox/rules"
)

// FuzzWrite throws arbitrary types, rules, counts and options at Write. It must never panic,
// and it must either write a file or refuse with ErrInvalid: any other error means the
// generator made a value its own column type does not accept.
func FuzzWrite(f *testing.F) {
	f.Add("BIGINT", "hash", true, 10, int64(1), 0.1, int64(5), 0.0, 0.0, 0.0, 0, 0, "", false)
	f.Add("VARCHAR", "mask", false, 20, int64(2), 0.5, int64(0), 0.0, 0.0, 0.0, 3, 4, "", true)
	f.Add("INTEGER", "generalize", false, 5, int64(3), 0.0, int64(0), 0.0, 0.0, 5.0, 0, 0, "year", false)
	f.Add("DATE", "generalize", false, 5, int64(4), 1.0, int64(0), 0.0, 0.0, 0.0, 0, 0, "month", true)
	f.Add("DECIMAL(12,2)", "keep", false, 7, int64(5), 0.2, int64(9), 0.5, 0.7, 0.0, 0, 0, "", false)
	f.Add("TINYINT", "generalize", false, 7, int64(6), 0.0, int64(0), -1e9, 1e9, 1e6, 0, 0, "", true)
	f.Add("DOUBLE", "generalize", false, 3, int64(7), 0.0, int64(0), 0.0, 0.0, 1e-9, 0, 0, "", false)
	f.Add("DECIMAL(38,38)", "keep", false, 3, int64(8), 0.0, int64(0), -1e300, 1e300, 0.0, 0, 0, "", false)
	f.Add("UHUGEINT", "hash", true, 3, int64(9), 0.0, int64(1), 0.0, 0.0, 0.0, 0, 0, "", false)
	f.Add("INTEGER); DROP TABLE a; --", "keep", false, 3, int64(0), 0.0, int64(0), 0.0, 0.0, 0.0, 0, 0, "", false)
	f.Add("STRUCT(a INT)", "keep", false, -1, int64(0), -0.5, int64(-3), 0.0, 0.0, 0.0, -1, 99, "", false)
	f.Add("VARCHAR[2]", "drop", false, MaxRows+1, int64(0), 0.0, int64(0), 0.0, 0.0, 0.0, 0, 0, "", true)
	f.Fuzz(func(t *testing.T, typ, treatment string, unit bool, rows int, seed int64, nulls float64, distinct int64,
		lo, hi, width float64, kf, kl int, to string, parquet bool) {
		p := &rules.Params{KeepFirst: &kf, KeepLast: &kl, To: to, Map: map[string]string{"real": typ}, Default: &treatment}
		if lo != 0 || hi != 0 {
			p.Lo, p.Hi = &lo, &hi
		}
		if width != 0 {
			p.Width = &width
		}
		col := Column{Name: "c", Type: typ, Unit: unit, NullFraction: nulls, Distinct: distinct,
			Rule: rules.Rule{Treatment: rules.Treatment(treatment), Params: p}}
		tables := []Table{
			{Name: "a", Rows: distinct, Columns: []Column{{Name: "u", Type: "BIGINT", Unit: true, Distinct: 3}, col}},
			{Name: "b", Columns: []Column{col}},
		}
		if rows >= 0 && rows <= MaxRows {
			rows = rows%40 + 1 // keep iterations fast
		}
		format := FormatDuckDB
		if parquet {
			format = FormatParquet
		}
		var buf bytes.Buffer
		err := Write(context.Background(), &buf, format, tables, Options{Rows: rows, Seed: seed, Dir: t.TempDir()})
		switch {
		case err == nil && buf.Len() == 0:
			t.Fatal("no error and no output")
		case err != nil && !errors.Is(err, ErrInvalid):
			t.Fatalf("type %q: not a refusal: %v", typ, err)
		case err != nil && buf.Len() != 0:
			t.Fatal("output written before an error")
		}
	})
}
