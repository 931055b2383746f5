package workspace

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/inviso/inviso/crypto/pseudonym"
	"github.com/inviso/inviso/sandbox/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenCase is one treatment: raw rows in, rules, workspace rows out (testdata/<name>.golden).
type goldenCase struct {
	raw   string // SELECT producing the raw version
	rules string // API rule JSON
	// spot checks, independent of the golden file: column → raw text → workspace text
	want map[string]map[string]string
}

var goldenCases = map[string]goldenCase{
	"keep": {
		raw: `SELECT * FROM (VALUES ('P1', '端州区', 5200::BIGINT, 1.5::DOUBLE), ('P2', '鼎湖区', NULL, NULL),
			('P3', '端州区', 0, -2.25)) v(person_id, district, income, score)`,
		rules: `{"columns": {
			"district": {"class": "quasi_identifier", "treatment": "keep", "usage": "dimension"},
			"income":   {"class": "sensitive", "treatment": "keep", "usage": "aggregate_only", "params": {"lo": 0, "hi": 1000000}},
			"score":    {"class": "public", "treatment": "keep"}}}`,
		want: map[string]map[string]string{"district": {"端州区": "端州区"}, "income": {"5200": "5200", "NULL": "NULL"}},
	},
	"drop": {
		raw: `SELECT * FROM (VALUES ('P1', '张三', 'no rule', '端州区'), ('P2', '李四', 'x', '四会市'))
			v(person_id, name, secret, district)`,
		rules: `{"columns": {
			"name":     {"class": "identifier", "treatment": "drop"},
			"district": {"class": "quasi_identifier", "treatment": "keep", "usage": "dimension"}}}`,
		want: map[string]map[string]string{"district": {"四会市": "四会市"}},
	},
	"hash": {
		raw: `SELECT * FROM (VALUES ('P1', '441202199003071234', 123::BIGINT), ('P2', NULL, NULL), ('P3', '', 7))
			v(person_id, id_number, card_no)`,
		rules: `{"columns": {
			"person_id": {"class": "identifier", "treatment": "hash", "usage": "join_only"},
			"id_number": {"class": "identifier", "treatment": "hash"},
			"card_no":   {"class": "identifier", "treatment": "hash", "usage": "join_only"}}}`,
		want: map[string]map[string]string{
			"id_number": {"NULL": "NULL"},
			// The value's text is hashed: the integer 123 gets the pseudonym of "123".
			"card_no": {"123": goldenPseudonym("123")},
		},
	},
	"mask": {
		raw: `SELECT * FROM (VALUES ('P1', '13800138000', '张三丰'), ('P2', '1380013', '李'), ('P3', '12345678', NULL),
			('P4', '', '欧阳娜娜'), ('P5', NULL, 'ab'))
			v(person_id, phone, name)`,
		rules: `{"columns": {
			"phone": {"class": "identifier", "treatment": "mask", "params": {"keep_first": 3, "keep_last": 4}},
			"name":  {"class": "identifier", "treatment": "mask", "params": {"keep_first": 1, "keep_last": 0, "mask_char": "○"}}}}`,
		want: map[string]map[string]string{
			"phone": {"13800138000": "138****8000", "1380013": "*******", "12345678": "123*5678", "": "", "NULL": "NULL"},
			"name":  {"张三丰": "张○○", "李": "○", "欧阳娜娜": "欧○○○", "ab": "a○"},
		},
	},
	"generalize_date": {
		raw: `SELECT * FROM (VALUES
			('P1', DATE '1987-03-04', DATE '2024-03-17', TIMESTAMP '2024-12-31 23:59:59', TIMESTAMPTZ '2024-03-31 23:30:00-02'),
			('P2', DATE '1985-01-01', DATE '2024-02-29', TIMESTAMP '1999-01-01 00:00:00', TIMESTAMPTZ '2024-03-15 12:00:00+08'),
			('P3', DATE '1989-12-31', NULL, NULL, NULL),
			('P4', DATE '1990-06-01', DATE '2023-12-01', TIMESTAMP '2000-06-30 12:00:00', TIMESTAMPTZ '2024-01-01 07:00:00+08'),
			('P5', NULL, DATE '2024-01-31', TIMESTAMP '2024-01-01 00:00:00', TIMESTAMPTZ '2024-01-01 00:00:00+00'))
			v(person_id, birth_date, paid_on, seen_at, updated_at)`,
		rules: `{"columns": {
			"birth_date": {"class": "quasi_identifier", "treatment": "generalize", "usage": "dimension", "params": {"to": "year", "width": 5}},
			"paid_on":    {"class": "quasi_identifier", "treatment": "generalize", "usage": "dimension", "params": {"to": "month"}},
			"seen_at":    {"class": "quasi_identifier", "treatment": "generalize", "usage": "dimension", "params": {"to": "year"}},
			"updated_at": {"class": "quasi_identifier", "treatment": "generalize", "usage": "dimension", "params": {"to": "month"}}}}`,
		want: map[string]map[string]string{
			"birth_date": {"1987-03-04": "1985", "1985-01-01": "1985", "1989-12-31": "1985", "1990-06-01": "1990", "NULL": "NULL"},
			"paid_on":    {"2024-03-17": "2024-03-01", "2024-02-29": "2024-02-01", "NULL": "NULL"},
			"seen_at":    {"2024-12-31 23:59:59": "2024", "1999-01-01 00:00:00": "1999"},
			// In UTC: 2024-04-01 01:30, 2024-03-15 04:00, 2023-12-31 23:00.
			"updated_at": {"2024-04-01 01:30:00+00": "2024-04-01", "2024-03-15 04:00:00+00": "2024-03-01", "2023-12-31 23:00:00+00": "2023-12-01"},
		},
	},
	"generalize_number": {
		raw: `SELECT * FROM (VALUES
			('P1', 5200::BIGINT, 250.75::DECIMAL(12,2), 3.7::DOUBLE, 7::INTEGER, 3.74::DECIMAL(12,2)),
			('P2', 15000, -0.01, -0.1, -3, 3.75),
			('P3', -1, 100.00, 2.5, 0, 0.00),
			('P4', 9999, 99.99, NULL, NULL, NULL),
			('P5', 10000, NULL, 0, 5, -3.74),
			('P6', NULL, 0, 1e300, 2, 1.00))
			v(person_id, income, amount, ratio, age, fine)`,
		rules: `{"columns": {
			"income": {"class": "sensitive", "treatment": "generalize", "usage": "aggregate_only", "params": {"width": 10000, "lo": 0, "hi": 1000000}},
			"amount": {"class": "sensitive", "treatment": "generalize", "usage": "dimension", "params": {"width": 100}},
			"ratio":  {"class": "sensitive", "treatment": "generalize", "usage": "dimension", "params": {"width": 2.5}},
			"age":    {"class": "quasi_identifier", "treatment": "generalize", "usage": "dimension", "params": {"width": 2.5}},
			"fine":   {"class": "sensitive", "treatment": "generalize", "usage": "dimension", "params": {"width": 0.5}}}}`,
		want: map[string]map[string]string{
			"income": {"5200": "0", "15000": "10000", "-1": "-10000", "9999": "0", "10000": "10000", "NULL": "NULL"},
			"amount": {"250.75": "200.00", "-0.01": "-100.00", "100.00": "100.00", "99.99": "0.00"},
			"ratio":  {"3.7": "2.5", "-0.1": "-2.5", "2.5": "2.5", "0.0": "0.0"},
			"age":    {"7": "5.0", "-3": "-5.0", "0": "0.0", "5": "5.0", "2": "0.0"},
			"fine":   {"3.74": "3.50", "3.75": "3.50", "-3.74": "-4.00", "1.00": "1.00"},
		},
	},
	"generalize_text": {
		raw: `SELECT * FROM (VALUES ('P1', 'J45'), ('P2', 'J44'), ('P3', 'E11'), ('P4', 'X99'), ('P5', NULL), ('P6', 'j45'), ('P7', 'O''Brien'))
			v(person_id, diagnosis_code)`,
		rules: `{"columns": {
			"diagnosis_code": {"class": "sensitive", "treatment": "generalize", "usage": "dimension",
				"params": {"map": {"J45": "respiratory", "J44": "respiratory", "E11": "metabolic", "O'Brien": "it's quoted"}, "default": "other"}}}}`,
		want: map[string]map[string]string{
			"diagnosis_code": {"J45": "respiratory", "J44": "respiratory", "E11": "metabolic", "X99": "other", "NULL": "NULL", "j45": "other", "O'Brien": "it's quoted"},
		},
	},
}

// goldenPseudonym is the pseudonym of text under the golden tests' key, computed in Go.
func goldenPseudonym(text string) string {
	k, err := pseudonym.DeriveKey(testMaster(), "golden")
	if err != nil {
		panic(err)
	}
	return strconv.FormatInt(k.Int64([]byte(text)), 10)
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for name, tc := range goldenCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			raw := rawVersion(t, dir, name, tc.raw)
			src := source(t, name, raw, tc.rules, "person_id")
			out := filepath.Join(dir, "ws.duckdb")
			res := mustBuild(t, out, Spec{Key: key(t, "golden"), Sources: []Source{src}})

			input := tableRows(t, raw, "data")
			output := tableRows(t, out, name)

			var b strings.Builder
			fmt.Fprintf(&b, "# rules\n%s\n# input (%s)\n%s", strings.TrimSpace(tc.rules), header(schemaOf(t, raw)), formatRows(input))
			tb := res.Tables[0]
			fmt.Fprintf(&b, "# workspace table %s: rows=%d max_rows_per_unit=%d excluded_by_consent=%d excluded_no_unit=%d\n",
				tb.Name, tb.Rows, tb.MaxRowsPerUnit, tb.ExcludedByConsent, tb.ExcludedNoUnit)
			for _, c := range tb.Columns {
				fmt.Fprintf(&b, "#   %s %s class=%s usage=%s unit=%t\n", c.Name, c.Type, c.Class, c.Usage, c.Unit)
			}
			fmt.Fprintf(&b, "# output\n%s", formatRows(output))
			checkGolden(t, filepath.Join("testdata", name+".golden"), b.String())

			spotCheck(t, src, input, tb, output, tc.want)
		})
	}
}

func header(cols []rules.Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.Name + " " + c.Type
	}
	return strings.Join(parts, ", ")
}

// spotCheck matches raw rows to workspace rows by the unit's pseudonym and compares the cells
// named in want; it also checks every unit pseudonym against the pseudonym package directly.
func spotCheck(t *testing.T, src Source, input [][]string, tb Table, output [][]string, want map[string]map[string]string) {
	t.Helper()
	h := key(t, "golden").NewHasher()
	rawIdx := map[string]int{}
	for i, e := range src.Columns {
		rawIdx[e.Column.Name] = i
	}
	outIdx := map[string]int{}
	for i, c := range tb.Columns {
		outIdx[c.Name] = i
	}
	byUnit := map[string][]string{}
	for _, r := range output {
		byUnit[r[outIdx["person_id"]]] = r
	}
	checked := 0
	for _, in := range input {
		pid := strconv.FormatInt(h.String(in[rawIdx["person_id"]]), 10)
		out, ok := byUnit[pid]
		if !ok {
			t.Fatalf("no workspace row for raw unit %q (pseudonym %s)", in[rawIdx["person_id"]], pid)
		}
		for col, m := range want {
			rawCell := in[rawIdx[col]]
			if w, ok := m[rawCell]; ok {
				checked++
				if got := out[outIdx[col]]; got != w {
					t.Errorf("%s: %q became %q, want %q", col, rawCell, got, w)
				}
			}
		}
	}
	n := 0
	for _, m := range want {
		n += len(m)
	}
	if checked < n {
		t.Errorf("only %d of %d spot checks matched a raw value", checked, n)
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update after checking the change):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
