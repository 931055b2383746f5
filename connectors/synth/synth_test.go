package synth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// writeBytes returns table t in format f as bytes, checking that no Arrow
// memory leaks.
func writeBytes(t *testing.T, tb Table, f Format, cfg Config) ([]byte, int64) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var buf bytes.Buffer
	n, err := Write(context.Background(), &buf, mem, tb, f, cfg)
	if err != nil {
		t.Fatalf("Write(%s, %s): %v", tb, f, err)
	}
	return buf.Bytes(), n
}

func TestWriteDeterministic(t *testing.T) {
	t.Parallel()
	// 70,000 rows span two batches, so batch seeding and ordering count.
	base := Config{Rows: 70_000, Seed: 42}
	for _, tb := range Tables() {
		for _, f := range Formats() {
			t.Run(fmt.Sprintf("%s/%s", tb, f), func(t *testing.T) {
				t.Parallel()
				one := base
				one.Workers = 1
				many := base
				many.Workers = 3
				a, na := writeBytes(t, tb, f, one)
				b, nb := writeBytes(t, tb, f, many)
				if na != nb || !bytes.Equal(a, b) {
					t.Fatalf("same seed, different workers: %d rows/%d bytes vs %d rows/%d bytes", na, len(a), nb, len(b))
				}
				other := base
				other.Seed = 43
				c, _ := writeBytes(t, tb, f, other)
				if bytes.Equal(a, c) {
					t.Fatal("seeds 42 and 43 wrote identical bytes")
				}
			})
		}
	}
}

// A smaller table is a prefix of a larger one with the same seed.
func TestWritePrefix(t *testing.T) {
	t.Parallel()
	for _, tb := range Tables() {
		for _, f := range []Format{CSV, NDJSON} {
			t.Run(fmt.Sprintf("%s/%s", tb, f), func(t *testing.T) {
				t.Parallel()
				small, _ := writeBytes(t, tb, f, Config{Rows: 1_000, Seed: 7})
				large, _ := writeBytes(t, tb, f, Config{Rows: BatchRows + 1_000, Seed: 7})
				if !bytes.HasPrefix(large, small) {
					t.Fatal("1,000-row output is not a prefix of the larger output")
				}
			})
		}
	}
}

func TestWriteRowCounts(t *testing.T) {
	t.Parallel()
	for _, rows := range []int{MinRows, BatchRows, BatchRows + 1, 3*BatchRows - 17} {
		t.Run(fmt.Sprint(rows), func(t *testing.T) {
			t.Parallel()
			cfg := Config{Rows: rows, Seed: 3}
			csv, n := writeBytes(t, Citizens, CSV, cfg)
			if n != int64(rows) {
				t.Errorf("Write returned %d citizens, want %d", n, rows)
			}
			if lines := bytes.Count(csv, []byte("\n")); lines != rows+1 {
				t.Errorf("citizens CSV has %d lines, want %d", lines, rows+1)
			}
			nd, nb := writeBytes(t, Benefits, NDJSON, cfg)
			if lines := bytes.Count(nd, []byte("\n")); int64(lines) != nb {
				t.Errorf("benefits NDJSON has %d lines, Write returned %d", lines, nb)
			}
			if ratio := float64(nb) / float64(rows); ratio < 1.35 || ratio > 1.65 {
				t.Errorf("benefits per citizen = %.3f, want about 1.5", ratio)
			}
		})
	}
}

// citizen is one decoded citizens row.
type citizen struct {
	pid, name, idNumber, phone, gender, district string
	birth                                        arrow.Date32
	income                                       int64
	hasIncome                                    bool
	diag                                         string
	hasDiag                                      bool
}

// collect generates a table through Generate and returns its columns as Go
// values, checking the schema and that no memory leaks.
func collect(t *testing.T, tb Table, cfg Config) []arrow.RecordBatch {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	want, err := Schema(tb)
	if err != nil {
		t.Fatal(err)
	}
	var recs []arrow.RecordBatch
	n, err := Generate(context.Background(), mem, tb, cfg, func(rec arrow.RecordBatch) error {
		if !rec.Schema().Equal(want) {
			return fmt.Errorf("schema %s, want %s", rec.Schema(), want)
		}
		rec.Retain()
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		t.Fatalf("Generate(%s): %v", tb, err)
	}
	var total int64
	for _, r := range recs {
		total += r.NumRows()
		t.Cleanup(r.Release)
	}
	if total != n {
		t.Fatalf("Generate returned %d rows, batches hold %d", n, total)
	}
	return recs
}

func citizensOf(t *testing.T, cfg Config) []citizen {
	var out []citizen
	for _, rec := range collect(t, Citizens, cfg) {
		s := func(i int) *array.String { return rec.Column(i).(*array.String) }
		birth := rec.Column(5).(*array.Date32)
		income := rec.Column(7).(*array.Int64)
		for i := range int(rec.NumRows()) {
			out = append(out, citizen{
				pid: s(0).Value(i), name: s(1).Value(i), idNumber: s(2).Value(i), phone: s(3).Value(i),
				gender: s(4).Value(i), birth: birth.Value(i), district: s(6).Value(i),
				income: income.Value(i), hasIncome: income.IsValid(i),
				diag: s(8).Value(i), hasDiag: s(8).IsValid(i),
			})
		}
	}
	return out
}

var (
	personIDPattern = regexp.MustCompile(`^ZQ[0-9]{10}$`)
	phonePattern    = regexp.MustCompile(`^1(3[0-9]|5[0-35-9]|7[0-8]|8[0-9]|9[0-9]|47|66)[0-9]{8}$`)
	icdPattern      = regexp.MustCompile(`^[A-Z][0-9]{2}(\.[0-9])?$`)
)

func TestCitizensInvariants(t *testing.T) {
	t.Parallel()
	const rows = 200_000
	people := citizensOf(t, Config{Rows: rows, Seed: 11})
	if len(people) != rows {
		t.Fatalf("got %d citizens, want %d", len(people), rows)
	}
	codes := map[string]string{}
	for _, d := range districts {
		codes[d.name] = d.code
	}
	seen := make(map[string]bool, rows)
	var males, noIncome, noDiag, twoCharSurname int
	perDistrict := map[string]int{}
	for _, p := range people {
		if !personIDPattern.MatchString(p.pid) || seen[p.pid] {
			t.Fatalf("person_id %q malformed or repeated", p.pid)
		}
		seen[p.pid] = true
		if !ValidResidentID(p.idNumber) {
			t.Fatalf("%s: invalid id_number %q", p.pid, p.idNumber)
		}
		if got := p.birth.FormattedString(); strings.ReplaceAll(got, "-", "") != p.idNumber[6:14] {
			t.Fatalf("%s: id_number %q does not encode birth_date %s", p.pid, p.idNumber, got)
		}
		if codes[p.district] != p.idNumber[:6] {
			t.Fatalf("%s: id_number %q does not match district %s", p.pid, p.idNumber, p.district)
		}
		odd := (p.idNumber[16]-'0')%2 == 1
		switch p.gender {
		case "男":
			males++
			if !odd {
				t.Fatalf("%s: male with even sequence digit in %q", p.pid, p.idNumber)
			}
		case "女":
			if odd {
				t.Fatalf("%s: female with odd sequence digit in %q", p.pid, p.idNumber)
			}
		default:
			t.Fatalf("%s: gender %q", p.pid, p.gender)
		}
		if !phonePattern.MatchString(p.phone) {
			t.Fatalf("%s: phone %q", p.pid, p.phone)
		}
		if n := utf8.RuneCountInString(p.name); n < 2 || n > 4 {
			t.Fatalf("%s: name %q has %d characters", p.pid, p.name, n)
		}
		if strings.HasPrefix(p.name, "欧阳") || strings.HasPrefix(p.name, "司徒") {
			twoCharSurname++
		}
		age := ageOnRef(p.birth)
		if age < 0 || age > 100 {
			t.Fatalf("%s: age %d on %s", p.pid, age, ReferenceDate)
		}
		if !p.hasIncome {
			noIncome++
		} else if p.income < 6_000 || p.income%100 != 0 {
			t.Fatalf("%s: income %d", p.pid, p.income)
		}
		if !p.hasDiag {
			noDiag++
		} else if !icdPattern.MatchString(p.diag) {
			t.Fatalf("%s: diagnosis %q", p.pid, p.diag)
		} else if (p.diag == "I10" || p.diag == "E11.9") && age < 35 {
			t.Fatalf("%s: chronic diagnosis %s at age %d", p.pid, p.diag, age)
		}
		perDistrict[p.district]++
	}
	ratio := func(n int) float64 { return float64(n) / rows }
	checkRange(t, "male share", ratio(males), 0.50, 0.52)
	checkRange(t, "income NULL rate", ratio(noIncome), 0.015, 0.025)
	checkRange(t, "diagnosis NULL rate", ratio(noDiag), 0.55, 0.65)
	checkRange(t, "two-character surname share", ratio(twoCharSurname), 0.0005, 0.02)
	if len(perDistrict) != len(districts) {
		t.Errorf("%d districts present, want %d", len(perDistrict), len(districts))
	}
	for _, big := range []string{"端州区", "高要区", "四会市"} {
		for _, small := range []string{"封开县", "德庆县"} {
			if perDistrict[big] < 2*perDistrict[small] {
				t.Errorf("district %s (%d) not clearly larger than %s (%d)", big, perDistrict[big], small, perDistrict[small])
			}
		}
	}
}

func checkRange(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s = %.4f, want in [%.4f, %.4f]", what, got, lo, hi)
	}
}

func ageOnRef(birth arrow.Date32) int {
	b := birth.ToTime()
	age := 2026 - b.Year()
	if b.Month() > 1 || b.Day() > 1 {
		age--
	}
	return age
}

func TestBenefitsInvariants(t *testing.T) {
	t.Parallel()
	cfg := Config{Rows: 150_000, Seed: 5}
	people := map[string]citizen{}
	for _, p := range citizensOf(t, cfg) {
		people[p.pid] = p
	}
	names := map[string]bool{}
	for _, p := range programs {
		names[p.s] = true
	}
	lo, hi := arrow.Date32FromTime(mustDate(t, "2024-01-01")), arrow.Date32FromTime(mustDate(t, "2025-12-31"))
	perProgram := map[string]int{}
	withBenefit := map[string]bool{}
	var rows int
	for _, rec := range collect(t, Benefits, cfg) {
		pid := rec.Column(0).(*array.String)
		prog := rec.Column(1).(*array.String)
		amt := rec.Column(2).(*array.Decimal128)
		paid := rec.Column(3).(*array.Date32)
		for i := range int(rec.NumRows()) {
			rows++
			p, ok := people[pid.Value(i)]
			if !ok {
				t.Fatalf("benefit row for unknown person_id %q", pid.Value(i))
			}
			withBenefit[p.pid] = true
			name := prog.Value(i)
			if !names[name] {
				t.Fatalf("unknown program %q", name)
			}
			perProgram[name]++
			age := ageOnRef(p.birth)
			if name == "高龄津贴" && age < 80 {
				t.Fatalf("%s: 高龄津贴 at age %d", p.pid, age)
			}
			if name == "失业保险金" && (age < 16 || age >= 60) {
				t.Fatalf("%s: 失业保险金 at age %d", p.pid, age)
			}
			if c := amt.Value(i).LowBits(); amt.Value(i).HighBits() != 0 || c < 100 || c > 10_000_000 {
				t.Fatalf("%s: amount %s", p.pid, amt.ValueStr(i))
			}
			if d := paid.Value(i); d < lo || d > hi {
				t.Fatalf("%s: paid_on %s", p.pid, d.FormattedString())
			}
		}
	}
	checkRange(t, "benefits per citizen", float64(rows)/float64(cfg.Rows), 1.4, 1.6)
	checkRange(t, "citizens without benefits", 1-float64(len(withBenefit))/float64(cfg.Rows), 0.3, 0.5)
	if len(perProgram) != len(programs) {
		t.Errorf("%d programs present, want %d", len(perProgram), len(programs))
	}
	if perProgram["最低生活保障"] < 3*perProgram["高龄津贴"] {
		t.Errorf("programs not skewed: %v", perProgram)
	}
}

func TestGenerateStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	stop := errors.New("stop")
	calls := 0
	_, err := Generate(context.Background(), mem, Benefits, Config{Rows: 10 * BatchRows, Seed: 1, Workers: 2}, func(arrow.RecordBatch) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 2 {
		t.Fatalf("Generate = %v after %d calls, want the callback error after 2", err, calls)
	}
}

func TestWriteCanceled(t *testing.T) {
	t.Parallel()
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var buf bytes.Buffer
			if _, err := Write(ctx, &buf, mem, Citizens, f, Config{Rows: 5 * BatchRows, Seed: 1}); !errors.Is(err, context.Canceled) {
				t.Fatalf("Write on a canceled context = %v, want context.Canceled", err)
			}
		})
	}
}

func TestWriteRefusesBadInput(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		table  Table
		format Format
		cfg    Config
		want   error
	}{
		"rows":   {Citizens, CSV, Config{Rows: 10}, ErrInvalidConfig},
		"table":  {"people", CSV, Config{Rows: MinRows}, ErrUnknownTable},
		"format": {Citizens, "xlsx", Config{Rows: MinRows}, ErrUnknownFormat},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if _, err := Write(context.Background(), &buf, memory.DefaultAllocator, tc.table, tc.format, tc.cfg); !errors.Is(err, tc.want) {
				t.Fatalf("Write = %v, want %v", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Fatalf("Write wrote %d bytes before refusing", buf.Len())
			}
			if _, _, err := WriteFile(context.Background(), t.TempDir(), memory.DefaultAllocator, tc.table, tc.format, tc.cfg); !errors.Is(err, tc.want) {
				t.Fatalf("WriteFile = %v, want %v", err, tc.want)
			}
		})
	}
}

// The vocabulary must never need CSV quoting or JSON escaping, which the
// encoders of fixed columns rely on.
func TestVocabularyNeedsNoEscaping(t *testing.T) {
	t.Parallel()
	var all []string
	for _, d := range districts {
		all = append(all, d.name)
		if len(d.code) != 6 || !regexp.MustCompile(`^4412[0-9]{2}$`).MatchString(d.code) {
			t.Errorf("district %s has code %q", d.name, d.code)
		}
	}
	for _, s := range surnames {
		all = append(all, s.s)
	}
	for _, p := range programs {
		all = append(all, p.s)
	}
	for _, d := range diagnoses {
		all = append(all, d.code)
	}
	all = append(all, maleGiven, femaleGiven, "男", "女")
	for _, s := range all {
		if !utf8.ValidString(s) || strings.ContainsAny(s, ",\"\\\r\n") || s == "" {
			t.Errorf("vocabulary entry %q needs escaping", s)
		}
		if string(appendCSVField(nil, s)) != s || string(appendJSONString(nil, s)) != `"`+s+`"` {
			t.Errorf("vocabulary entry %q is changed by the encoders", s)
		}
	}
	if len(surnames) < 90 {
		t.Errorf("only %d surnames", len(surnames))
	}
	if n := len(diagnoses); n < 35 || n > 45 {
		t.Errorf("%d diagnosis codes, want about 40", n)
	}
}

func TestEncoders(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		got, want string
	}{
		"csv plain":     {string(appendCSVField(nil, "陈伟")), "陈伟"},
		"csv comma":     {string(appendCSVField(nil, "a,b")), `"a,b"`},
		"csv quote":     {string(appendCSVField(nil, `say "hi"`)), `"say ""hi"""`},
		"csv newline":   {string(appendCSVField(nil, "a\nb")), "\"a\nb\""},
		"json escapes":  {string(appendJSONString(nil, "a\"b\\c\n")), `"a\"b\\c\u000a"`},
		"cents":         {string(appendCents(nil, 123405)), "1234.05"},
		"cents small":   {string(appendCents(nil, 7)), "0.07"},
		"cents negtive": {string(appendCents(nil, -150)), "-1.50"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestCivilDates(t *testing.T) {
	t.Parallel()
	for day := daysFromCivil(1800, 1, 1); day < daysFromCivil(2100, 1, 1); day += 7 {
		y, m, d := civilFromDays(day)
		want := arrow.Date32(day).ToTime()
		if y != want.Year() || m != int(want.Month()) || d != want.Day() {
			t.Fatalf("civilFromDays(%d) = %d-%d-%d, want %s", day, y, m, d, want.Format("2006-01-02"))
		}
		if back := daysFromCivil(y, m, d); back != day {
			t.Fatalf("daysFromCivil(%d, %d, %d) = %d, want %d", y, m, d, back, day)
		}
	}
}

func TestPersonIDsArePermutation(t *testing.T) {
	t.Parallel()
	p := newPersonIDs(99)
	seen := map[uint64]bool{}
	for row := uint64(0); row < 300_000; row++ {
		id := p.of(row)
		if id >= 10_000_000_000 || seen[id] {
			t.Fatalf("row %d maps to %d: out of range or repeated", row, id)
		}
		seen[id] = true
	}
	if p.of(MaxRows-1) >= 10_000_000_000 {
		t.Fatal("last row out of range")
	}
}

func ExampleWrite() {
	var buf bytes.Buffer
	n, err := Write(context.Background(), &buf, memory.DefaultAllocator, Citizens, CSV, Config{Rows: 1000, Seed: 1})
	if err != nil {
		panic(err)
	}
	lines := strings.SplitN(buf.String(), "\n", 4)
	fmt.Println(n)
	fmt.Println(strings.Join(lines[:3], "\n"))
	// Output:
	// 1000
	// person_id,name,id_number,phone,gender,birth_date,district,income,diagnosis_code
	// ZQ5050857373,陈芳艳,441204198201244606,18336081112,女,1982-01-24,高要区,45400,
	// ZQ2236475219,余丽静,441202195712124001,13256711918,女,1957-12-12,端州区,53800,J45.9
}

func mustDate(t *testing.T, s string) (d time.Time) {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
