package workspace

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/rules"
)

// safeType matches the DuckDB type names a source column may have. Types are spliced into SQL
// (CAST … AS <type>), so anything else is refused, even though they come from the catalog.
var safeType = regexp.MustCompile(`^[A-Z][A-Z0-9_]*( [A-Z][A-Z0-9_]*)*(\([0-9]{1,2}(,[0-9]{1,2})?\))?$`)

// column is one column of a workspace table as the build computes it.
type column struct {
	Column
	expr string // SQL over the raw row alias s
}

// treat returns the SQL that computes the workspace column of e from the raw column, and the
// workspace column's type. It refuses what it does not know how to do (fail closed).
func treat(e rules.Effective) (column, error) {
	typ := normType(e.Column.Type)
	if !safeType.MatchString(typ) {
		return column{}, fmt.Errorf("%w: column %q has an unexpected type", ErrInvalidSpec, e.Column.Name)
	}
	ref := "s." + duck.Ident(e.Column.Name)
	out := Column{Name: e.Column.Name, Class: e.Rule.Class, Usage: e.Rule.Usage, Unit: e.Unit}
	if out.Class == "" {
		out.Class = rules.Identifier // no class: the most sensitive
	}
	if e.Unit {
		out.Type = "BIGINT"
		return column{out, pseudonymOf(ref, typ)}, nil
	}
	p := e.Rule.Params
	if p == nil {
		p = &rules.Params{}
	}
	if out.Usage == rules.AggregateOnly {
		out.Lo, out.Hi = p.Lo, p.Hi
	}
	kind := rules.KindOf(typ)
	fail := func(why string) (column, error) {
		return column{}, fmt.Errorf("%w: column %q: %s", ErrInvalidSpec, e.Column.Name, why)
	}
	switch e.Rule.Treatment {
	case rules.Keep:
		out.Type = typ
		return column{out, ref}, nil
	case rules.Hash:
		out.Type = "BIGINT"
		return column{out, pseudonymOf(ref, typ)}, nil
	case rules.Mask:
		if kind != rules.KindText {
			return fail("mask applies to text only")
		}
		if p.KeepFirst == nil || p.KeepLast == nil || *p.KeepFirst < 0 || *p.KeepLast < 0 {
			return fail("mask needs keep_first and keep_last ≥ 0")
		}
		mc := p.MaskChar
		if mc == "" {
			mc = "*"
		}
		if utf8.RuneCountInString(mc) != 1 {
			return fail("mask_char must be one character")
		}
		out.Type = "VARCHAR"
		return column{out, maskExpr(ref, *p.KeepFirst, *p.KeepLast, mc)}, nil
	case rules.Generalize:
		expr, t, err := generalize(ref, typ, kind, p)
		if err != nil {
			return fail(err.Error())
		}
		out.Type = t
		return column{out, expr}, nil
	case rules.Drop:
		return fail("a dropped column has no workspace column")
	}
	return fail("unknown treatment")
}

// normType is a type name as DuckDB's information_schema spells it (upper case).
func normType(t string) string { return strings.ToUpper(strings.TrimSpace(t)) }

// textOf is the canonical text of a value: DuckDB's VARCHAR cast, except that a TIMESTAMPTZ is
// rendered in UTC whatever the instance's TimeZone, so pseudonyms do not depend on it.
func textOf(ref, typ string) string {
	if isTimestampTZ(typ) {
		return "(CAST(timezone('UTC', " + ref + ") AS VARCHAR) || '+00')"
	}
	return "CAST(" + ref + " AS VARCHAR)"
}

func pseudonymOf(ref, typ string) string {
	return pseudonymFunc + "(" + textOf(ref, typ) + ")"
}

func isTimestampTZ(typ string) bool {
	return typ == "TIMESTAMPTZ" || typ == "TIMESTAMP WITH TIME ZONE"
}

// maskExpr keeps the first kf and last kl characters (Unicode code points) and replaces the
// others with mc; a value of at most kf+kl characters is masked entirely. The length is kept.
func maskExpr(ref string, kf, kl int, mc string) string {
	n := "length(" + ref + ")"
	m := duck.Quote(mc)
	return fmt.Sprintf("CASE WHEN %[1]s IS NULL THEN NULL WHEN %[2]s <= %[3]d THEN repeat(%[4]s, %[2]s) "+
		"ELSE left(%[1]s, %[5]d) || repeat(%[4]s, %[2]s - %[3]d) || right(%[1]s, %[6]d) END",
		ref, n, kf+kl, m, kf, kl)
}

// generalize returns the expression and result type of a generalized column.
func generalize(ref, typ string, kind rules.Kind, p *rules.Params) (string, string, error) {
	switch kind {
	case rules.KindDate, rules.KindTimestamp:
		v := ref
		if isTimestampTZ(typ) {
			v = "timezone('UTC', " + ref + ")" // calendar fields in UTC, not the instance's zone
		}
		switch p.To {
		case "month":
			if p.Width != nil {
				return "", "", fmt.Errorf("generalize to month takes no width")
			}
			return "CAST(date_trunc('month', " + v + ") AS DATE)", "DATE", nil
		case "year":
			w := 1.0
			if p.Width != nil {
				w = *p.Width
			}
			if w < 1 || w > 100 || w != math.Trunc(w) {
				return "", "", fmt.Errorf("generalize to year: width is a whole number of years from 1 to 100")
			}
			y := "CAST(year(" + v + ") AS BIGINT)"
			if w == 1 {
				return "CAST(" + y + " AS INTEGER)", "INTEGER", nil
			}
			n := "CAST(" + duck.Quote(strconv.Itoa(int(w))) + " AS BIGINT)"
			return fmt.Sprintf("CAST(%[1]s - ((%[1]s %% %[2]s) + %[2]s) %% %[2]s AS INTEGER)", y, n), "INTEGER", nil
		}
		return "", "", fmt.Errorf(`generalize a date with {"to": "month"} or {"to": "year", "width": N}`)
	case rules.KindInteger, rules.KindDecimal:
		if p.Width == nil || !(*p.Width > 0) || math.IsInf(*p.Width, 0) || math.IsNaN(*p.Width) {
			return "", "", fmt.Errorf("generalize a number needs a width > 0")
		}
		return bucket(ref, typ, kind, *p.Width)
	case rules.KindText:
		if len(p.Map) == 0 || p.Default == nil {
			return "", "", fmt.Errorf("generalize text needs a map and a default")
		}
		keys := make([]string, 0, len(p.Map))
		for k := range p.Map {
			keys = append(keys, k)
		}
		slices.Sort(keys) // deterministic SQL
		var b strings.Builder
		b.WriteString("CASE WHEN " + ref + " IS NULL THEN NULL")
		for _, k := range keys {
			b.WriteString(" WHEN " + ref + " = " + duck.Quote(k) + " THEN " + duck.Quote(p.Map[k]))
		}
		b.WriteString(" ELSE " + duck.Quote(*p.Default) + " END")
		return b.String(), "VARCHAR", nil
	}
	return "", "", fmt.Errorf("generalize does not apply to %s", typ)
}

// maxExactWidth bounds the widths computed in integer arithmetic.
const maxExactWidth = 1 << 62

// bucket maps a number to the lower bound of its bucket of width w (buckets start at 0), keeping
// its type where the bound is representable in it, exactly: integers with a whole width and
// decimals whose scale holds the width are computed in integer or DECIMAL arithmetic. Otherwise
// (an integer with a fractional width, a decimal too fine for its scale, floating point) the
// bound is floor(x / w) · w in DOUBLE, cast back to a DECIMAL or FLOAT column's own type.
func bucket(ref, typ string, kind rules.Kind, w float64) (string, string, error) {
	wholeWidth := w == math.Trunc(w) && w <= maxExactWidth
	floorMod := func(x, n string) string { return fmt.Sprintf("(%[1]s - ((%[1]s %% %[2]s) + %[2]s) %% %[2]s)", x, n) }
	switch {
	case kind == rules.KindInteger && wholeWidth:
		ws := duck.Quote(strconv.FormatInt(int64(w), 10))
		switch typ {
		case "UHUGEINT":
			// Unsigned: x ≥ 0, the plain remainder is the floor remainder.
			return fmt.Sprintf("(%[1]s - %[1]s %% CAST(%[2]s AS UHUGEINT))", ref, ws), typ, nil
		case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER":
			// Every value fits a BIGINT, and with w ≤ 2^61 no intermediate overflows; a bound
			// below the type's minimum fails the cast (the build fails, closed).
			if w <= 1<<61 {
				x := "CAST(" + ref + " AS BIGINT)"
				return "CAST(" + floorMod(x, "CAST("+ws+" AS BIGINT)") + " AS " + typ + ")", typ, nil
			}
		}
		x := "CAST(" + ref + " AS HUGEINT)"
		return "CAST(" + floorMod(x, "CAST("+ws+" AS HUGEINT)") + " AS " + typ + ")", typ, nil
	case kind == rules.KindInteger:
		n := "CAST(" + duck.Quote(strconv.FormatFloat(w, 'g', -1, 64)) + " AS DOUBLE)"
		return fmt.Sprintf("(floor(CAST(%s AS DOUBLE) / %[2]s) * %[2]s)", ref, n), "DOUBLE", nil
	case strings.HasPrefix(typ, "DECIMAL"):
		scale := decimalScale(typ)
		ws := strconv.FormatFloat(w, 'f', -1, 64)
		if scale >= 0 && decimalsOf(ws) <= scale && len(ws) <= 30 {
			wide := fmt.Sprintf("DECIMAL(38,%d)", scale)
			x := "CAST(" + ref + " AS " + wide + ")"
			n := "CAST(" + duck.Quote(ws) + " AS " + wide + ")"
			return "CAST(" + floorMod(x, n) + " AS " + typ + ")", typ, nil
		}
		fallthrough
	default: // DOUBLE, FLOAT, or a width finer than the decimal's scale
		n := "CAST(" + duck.Quote(strconv.FormatFloat(w, 'g', -1, 64)) + " AS DOUBLE)"
		return fmt.Sprintf("CAST(floor(CAST(%s AS DOUBLE) / %[2]s) * %[2]s AS %[3]s)", ref, n, typ), typ, nil
	}
}

// decimalScale is s of DECIMAL(p,s), 3 for a bare DECIMAL (DuckDB's DECIMAL(18,3)), -1 if unknown.
func decimalScale(typ string) int {
	if typ == "DECIMAL" {
		return 3
	}
	open, comma := strings.IndexByte(typ, '('), strings.IndexByte(typ, ',')
	if open < 0 || comma < 0 || !strings.HasSuffix(typ, ")") {
		return -1
	}
	s, err := strconv.Atoi(typ[comma+1 : len(typ)-1])
	if err != nil {
		return -1
	}
	return s
}

func decimalsOf(s string) int {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}
