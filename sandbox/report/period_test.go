package report

import (
	"strings"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox/fault"
)

func TestQuarter(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		in       string
		label    string
		from, to string
	}{
		"first":      {"2026Q1", "2026Q1", "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z"},
		"third":      {"2026Q3", "2026Q3", "2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z"},
		"last":       {"2026Q4", "2026Q4", "2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		"lower case": {"2026q2", "2026Q2", "2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z"},
		"spaces":     {" 2027Q1 ", "2027Q1", "2027-01-01T00:00:00Z", "2027-04-01T00:00:00Z"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := Quarter(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if p.Label != tc.label || p.From.Format(time.RFC3339) != tc.from || p.To.Format(time.RFC3339) != tc.to {
				t.Fatalf("%s: got %+v", tc.in, p)
			}
			if !p.Contains(p.From) || p.Contains(p.To) || !p.Contains(p.To.Add(-time.Nanosecond)) {
				t.Fatalf("%s: the period is not [from, to)", tc.in)
			}
		})
	}
}

func TestBadPeriodsAreInvalidInput(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		parse func(string) (Period, error)
		in    string
		says  string
	}{
		"quarter 5":      {Quarter, "2026Q5", "1, 2, 3 or 4"},
		"quarter 0":      {Quarter, "2026Q0", "1, 2, 3 or 4"},
		"two digits":     {Quarter, "2026Q12", "1, 2, 3 or 4"},
		"no Q":           {Quarter, "2026-3", "no Q"},
		"short year":     {Quarter, "26Q3", "four digits"},
		"empty quarter":  {Quarter, "", "no Q"},
		"ancient":        {Quarter, "1999Q1", "between 2000 and 9999"},
		"year word":      {Year, "twenty", "four digits"},
		"year quarter":   {Year, "2026Q3", "four digits"},
		"empty year":     {Year, "", "four digits"},
		"negative year":  {Year, "-202", "four digits"},
		"long input":     {Year, strings.Repeat("9", 500), "…"},
		"invalid utf-8":  {Quarter, "2026Q\xff", "invalid UTF-8"},
		"unicode digits": {Year, "２０２６", "four digits"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := tc.parse(tc.in)
			if fault.CodeOf(err) != fault.InvalidInput {
				t.Fatalf("%q: %v, want invalid_input", tc.in, err)
			}
			if msg := fault.Public(err).Message; !strings.Contains(msg, tc.says) || len(msg) > 200 {
				t.Fatalf("%q: message %q should say %q (and be short)", tc.in, msg, tc.says)
			}
		})
	}
}

func TestYear(t *testing.T) {
	t.Parallel()
	p, err := Year("2026")
	if err != nil {
		t.Fatal(err)
	}
	if p.Label != "2026" || !p.From.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || !p.To.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v", p)
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Format{"": Markdown, "md": Markdown, "markdown": Markdown, "csv": CSV, "json": JSON} {
		if got, err := ParseFormat(in, Markdown); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseFormat("xlsx", JSON); fault.CodeOf(err) != fault.InvalidInput {
		t.Fatalf("xlsx: %v", err)
	}
}

// FuzzPeriod: the parsers never panic, accept only what they can print back, and every
// period they return is a proper quarter or year in UTC.
func FuzzPeriod(f *testing.F) {
	for _, s := range []string{"2026Q3", "2026q4", "2026", "9999Q4", "2000Q1", "2026Q5", "Q", "0000", " 2026 ", "2026Q3Q", "２０２６"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := Quarter(s); err == nil {
			if q, err := Quarter(p.Label); err != nil || q != p {
				t.Fatalf("%q → %+v does not round-trip: %+v %v", s, p, q, err)
			}
			if p.From.Location() != time.UTC || p.To.Sub(p.From) < 89*24*time.Hour || p.To.Sub(p.From) > 92*24*time.Hour {
				t.Fatalf("%q → %+v", s, p)
			}
		} else if fault.CodeOf(err) != fault.InvalidInput {
			t.Fatalf("%q: %v", s, err)
		}
		if p, err := Year(s); err == nil {
			if p.To != p.From.AddDate(1, 0, 0) || p.From.Month() != time.January || p.From.Day() != 1 {
				t.Fatalf("%q → %+v", s, p)
			}
		} else if fault.CodeOf(err) != fault.InvalidInput {
			t.Fatalf("%q: %v", s, err)
		}
	})
}
