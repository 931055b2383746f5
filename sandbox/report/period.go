package report

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/inviso/inviso/sandbox/fault"
)

// Years a period may fall in.
const (
	MinYear = 2000
	MaxYear = 9999
)

// Period is a reporting period: the half-open interval [From, To) in UTC.
type Period struct {
	Label string    `json:"label"` // "2026Q3" or "2026"
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
}

// Contains reports whether t falls in the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.From) && t.Before(p.To) }

// Quarter parses a quarter written YYYYQn ("2026Q3"; a lower-case q is accepted).
func Quarter(s string) (Period, error) {
	bad := func(why string) (Period, error) {
		return Period{}, fault.E(fault.InvalidInput, "quarter %q: %s; write it YYYYQn with n from 1 to 4, e.g. 2026Q3", clip(s), why)
	}
	y, q, ok := strings.Cut(strings.ToUpper(strings.TrimSpace(s)), "Q")
	if !ok {
		return bad("no Q between year and quarter")
	}
	year, err := parseYear(y)
	if err != nil {
		return bad(err.Error())
	}
	if len(q) != 1 || q[0] < '1' || q[0] > '4' {
		return bad("the quarter number must be 1, 2, 3 or 4")
	}
	n := int(q[0] - '0')
	from := time.Date(year, time.Month(3*(n-1)+1), 1, 0, 0, 0, 0, time.UTC)
	return Period{Label: strconv.Itoa(year) + "Q" + q, From: from, To: from.AddDate(0, 3, 0)}, nil
}

// Year parses a calendar year written YYYY ("2026").
func Year(s string) (Period, error) {
	year, err := parseYear(strings.TrimSpace(s))
	if err != nil {
		return Period{}, fault.E(fault.InvalidInput, "year %q: %s; write it YYYY, e.g. 2026", clip(s), err.Error())
	}
	from := time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC)
	return Period{Label: strconv.Itoa(year), From: from, To: from.AddDate(1, 0, 0)}, nil
}

type periodError string

func (e periodError) Error() string { return string(e) }

func parseYear(s string) (int, error) {
	if len(s) != 4 {
		return 0, periodError("the year must have four digits")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, periodError("the year must have four digits")
		}
	}
	y, _ := strconv.Atoi(s)
	if y < MinYear || y > MaxYear {
		return 0, periodError("the year must be between " + strconv.Itoa(MinYear) + " and " + strconv.Itoa(MaxYear))
	}
	return y, nil
}

// clip shortens input before it is echoed in an error.
func clip(s string) string {
	if !utf8.ValidString(s) {
		return "<invalid UTF-8>"
	}
	if utf8.RuneCountInString(s) > 32 {
		return string([]rune(s)[:32]) + "…"
	}
	return s
}
