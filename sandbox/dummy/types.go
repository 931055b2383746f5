package dummy

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// kind is what the generator can make of a DuckDB type.
type kind int

const (
	kindNull kind = iota // generated as NULL
	kindText
	kindInt
	kindFloat
	kindDecimal
	kindDate
	kindTimestamp
	kindTimestampTZ
	kindTime
	kindBool
	kindUUID
)

// typeInfo is a checked column type.
type typeInfo struct {
	sql    string // the type as it goes into SQL: trimmed, upper case, checked
	kind   kind
	lo, hi float64 // representable range of a number
	scale  int     // digits after the point a number is written with
}

// safeType matches the type names that may go into SQL text: words, an optional (p) or (p,s),
// optional list suffixes. Nothing else (no quotes, no STRUCT(…) field lists) gets through.
var safeType = regexp.MustCompile(`^[A-Z][A-Z0-9_]*( [A-Z][A-Z0-9_]*)*(\([0-9]{1,2}(,[0-9]{1,2})?\))?(\[[0-9]{0,5}\])*$`)

// refusedPrefixes are types whose real definition needs a field list or values that the check
// above cannot follow; their bare names would not make a table anyway.
var refusedPrefixes = []string{"STRUCT", "MAP", "UNION", "ENUM", "ROW"}

// parseType checks a column type and classifies it. DuckDB itself refuses names it does not
// know when the table is created.
func parseType(t string) (typeInfo, error) {
	s := strings.ToUpper(strings.TrimSpace(t))
	if s == "" {
		return typeInfo{}, errors.New("empty type")
	}
	if len(s) > maxTypeLen || !safeType.MatchString(s) {
		return typeInfo{}, errors.New("type is not a plain DuckDB type name")
	}
	for _, p := range refusedPrefixes {
		if s == p || strings.HasPrefix(s, p+"(") {
			return typeInfo{}, errors.New("nested and enumerated types are not supported")
		}
	}
	ti := typeInfo{sql: s}
	if strings.Contains(s, "[") {
		return ti, nil // lists and arrays: NULL
	}
	base, args := s, ""
	if i := strings.IndexByte(s, '('); i >= 0 {
		base, args = s[:i], s[i+1:len(s)-1]
	}
	intRange := func(lo, hi float64) (typeInfo, error) {
		if args != "" {
			return typeInfo{}, errors.New("integer types take no arguments")
		}
		ti.kind, ti.lo, ti.hi = kindInt, lo, hi
		return ti, nil
	}
	switch base {
	case "VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "NVARCHAR":
		ti.kind = kindText
		return ti, nil
	case "TINYINT", "INT1":
		return intRange(math.MinInt8, math.MaxInt8)
	case "SMALLINT", "INT2", "SHORT":
		return intRange(math.MinInt16, math.MaxInt16)
	case "INTEGER", "INT", "INT4", "SIGNED":
		return intRange(math.MinInt32, math.MaxInt32)
	case "BIGINT", "INT8", "LONG":
		return intRange(-9e18, 9e18) // inside int64 after float rounding
	case "HUGEINT", "INT128":
		return intRange(-1e38, 1e38)
	case "UTINYINT", "UINT8":
		return intRange(0, math.MaxUint8)
	case "USMALLINT", "UINT16":
		return intRange(0, math.MaxUint16)
	case "UINTEGER", "UINT32":
		return intRange(0, math.MaxUint32)
	case "UBIGINT", "UINT64":
		return intRange(0, 1.8e19)
	case "UHUGEINT", "UINT128":
		return intRange(0, 3e38)
	case "DOUBLE", "FLOAT8":
		ti.kind, ti.lo, ti.hi, ti.scale = kindFloat, -1e300, 1e300, 2
	case "FLOAT", "FLOAT4", "REAL":
		ti.kind, ti.lo, ti.hi, ti.scale = kindFloat, -3e38, 3e38, 2
	case "DECIMAL", "NUMERIC":
		p, s := 18, 3 // DuckDB's DECIMAL without arguments
		if args != "" {
			ps := strings.Split(args, ",")
			p, _ = strconv.Atoi(ps[0])
			s = 0
			if len(ps) == 2 {
				s, _ = strconv.Atoi(ps[1])
			}
		}
		if p < 1 || p > 38 || s > p {
			return typeInfo{}, errors.New("DECIMAL(p,s) needs 1 ≤ p ≤ 38 and s ≤ p")
		}
		// Largest magnitude: 10^(p-s) - 10^-s, kept a hair inside against float rounding.
		m := math.Pow(10, float64(p-s)) - math.Pow(10, -float64(s))
		m *= 1 - 1e-12
		ti.kind, ti.lo, ti.hi, ti.scale = kindDecimal, -m, m, s
		return ti, nil
	case "DATE":
		ti.kind = kindDate
	case "TIMESTAMP", "DATETIME", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP_US", "TIMESTAMP WITHOUT TIME ZONE":
		ti.kind = kindTimestamp
	case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		ti.kind = kindTimestampTZ
	case "TIME", "TIME WITHOUT TIME ZONE":
		ti.kind = kindTime
	case "BOOLEAN", "BOOL", "LOGICAL":
		ti.kind = kindBool
	case "UUID":
		ti.kind = kindUUID
	}
	// Anything else (BLOB, BIT, INTERVAL, TIMETZ, VARINT, JSON, …) is NULL; arguments on types
	// that take none are left for DuckDB to refuse.
	return ti, nil
}
