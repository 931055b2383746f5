package rules

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/inviso/inviso/sandbox/fault"
)

// Class is how sensitive a column is.
type Class string

// Column classes, least to most protected: public < quasi_identifier < sensitive < identifier.
const (
	Public          Class = "public"
	QuasiIdentifier Class = "quasi_identifier"
	Sensitive       Class = "sensitive"
	Identifier      Class = "identifier"
)

// Treatment is what happens to a column's values on the way into a workspace.
type Treatment string

// Treatments.
const (
	Keep       Treatment = "keep"
	Drop       Treatment = "drop"
	Hash       Treatment = "hash"
	Mask       Treatment = "mask"
	Generalize Treatment = "generalize"
)

// Usage is how a job may use a column in a workspace. Empty means not at all.
type Usage string

// Usages.
const (
	Dimension     Usage = "dimension"      // group key or filter
	AggregateOnly Usage = "aggregate_only" // only inside an allowed aggregate
	JoinOnly      Usage = "join_only"      // only in an inner-join condition
)

// Params are a treatment's parameters. Only the fields of the treatment in use may be set.
type Params struct {
	// mask
	KeepFirst *int   `json:"keep_first,omitempty"`
	KeepLast  *int   `json:"keep_last,omitempty"`
	MaskChar  string `json:"mask_char,omitempty"`
	// generalize: dates to "month" or "year" (Width years per band), numbers to buckets of Width,
	// text through Map (values not in it become Default).
	To      string            `json:"to,omitempty"`
	Width   *float64          `json:"width,omitempty"`
	Map     map[string]string `json:"map,omitempty"`
	Default *string           `json:"default,omitempty"`
	// aggregate_only clamp bounds (used by differential privacy)
	Lo *float64 `json:"lo,omitempty"`
	Hi *float64 `json:"hi,omitempty"`
}

// Rule is the rule of one column.
type Rule struct {
	Class     Class     `json:"class"`
	Treatment Treatment `json:"treatment"`
	Usage     Usage     `json:"usage,omitempty"`
	Params    *Params   `json:"params,omitempty"`
}

// Set is the rules of a dataset's columns, as PUT /v1/datasets/{name}/rules carries them.
type Set struct {
	Columns map[string]Rule `json:"columns"`
}

// Column is a column of the dataset's schema: name and DuckDB type.
type Column struct {
	Name string
	Type string
}

// Kind of a DuckDB type, as far as treatments care.
type Kind int

// Type kinds.
const (
	KindOther Kind = iota
	KindText
	KindInteger
	KindDecimal // DECIMAL, DOUBLE, FLOAT
	KindDate
	KindTimestamp
)

// KindOf classifies a DuckDB type name.
func KindOf(typ string) Kind {
	t := strings.ToUpper(strings.TrimSpace(typ))
	switch {
	case t == "VARCHAR" || strings.HasPrefix(t, "VARCHAR("):
		return KindText
	case slices.Contains([]string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}, t):
		return KindInteger
	case t == "DOUBLE" || t == "FLOAT" || strings.HasPrefix(t, "DECIMAL"):
		return KindDecimal
	case t == "DATE":
		return KindDate
	case strings.HasPrefix(t, "TIMESTAMP"):
		return KindTimestamp
	}
	return KindOther
}

// Effective is the rule that applies to a column after defaults: what the workspace will do.
type Effective struct {
	Column Column
	Rule   Rule
	// Unit is true for the dataset's privacy unit: always a 64-bit keyed pseudonym.
	Unit bool
}

// Present reports whether the column exists in a workspace.
func (e Effective) Present() bool { return e.Unit || e.Rule.Treatment != Drop }

// Resolve applies a rule set to a schema: every column gets its rule, or drop when it has none;
// the privacy unit is forced to a pseudonym. It returns the columns in schema order.
func Resolve(s Set, schema []Column, unit string) []Effective {
	out := make([]Effective, 0, len(schema))
	for _, c := range schema {
		r, ok := lookup(s, c.Name)
		if !ok {
			r = Rule{Class: Identifier, Treatment: Drop} // no rule: the most sensitive, dropped
		}
		e := Effective{Column: c, Rule: r}
		if strings.EqualFold(c.Name, unit) {
			e.Unit = true
			e.Rule.Treatment = Hash
			if e.Rule.Usage != JoinOnly {
				e.Rule.Usage = "" // counted by the gate, never referenced unless a join key
			}
			e.Rule.Params = nil
		}
		out = append(out, e)
	}
	return out
}

func lookup(s Set, name string) (Rule, bool) {
	for k, r := range s.Columns {
		if strings.EqualFold(k, name) {
			return r, true
		}
	}
	return Rule{}, false
}

// Validate checks a rule set against the dataset's schema and privacy unit. It returns every
// problem at once, as reasons of one invalid_input error.
func Validate(s Set, schema []Column, unit string) error {
	var reasons []fault.Reason
	add := func(col, format string, args ...any) {
		reasons = append(reasons, fault.Reason{Code: "invalid_rule", Message: fmt.Sprintf("column %q: ", clip(col)) + fmt.Sprintf(format, args...)})
	}
	if s.Columns == nil {
		return fault.E(fault.InvalidInput, `a rule set needs "columns": {column: {class, treatment, usage, params}}`)
	}
	names := make([]string, 0, len(s.Columns))
	for n := range s.Columns {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		r := s.Columns[name]
		col, ok := find(schema, name)
		if !ok {
			add(name, "no such column in the dataset's latest version")
			continue
		}
		for _, p := range check(r, col, strings.EqualFold(name, unit)) {
			add(name, "%s", p)
		}
	}
	if len(reasons) > 0 {
		return fault.E(fault.InvalidInput, "the rules were refused (%d problem(s)); nothing was changed", len(reasons)).With(reasons...)
	}
	return nil
}

func find(schema []Column, name string) (Column, bool) {
	for _, c := range schema {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Column{}, false
}

// check returns the problems of one rule.
func check(r Rule, col Column, unit bool) []string {
	var p []string
	if !slices.Contains([]Class{Public, QuasiIdentifier, Sensitive, Identifier}, r.Class) {
		p = append(p, fmt.Sprintf("class %q: want identifier, quasi_identifier, sensitive or public", clip(string(r.Class))))
	}
	if !slices.Contains([]Treatment{Keep, Drop, Hash, Mask, Generalize}, r.Treatment) {
		p = append(p, fmt.Sprintf("treatment %q: want keep, drop, hash, mask or generalize", clip(string(r.Treatment))))
		return p
	}
	if r.Usage != "" && !slices.Contains([]Usage{Dimension, AggregateOnly, JoinOnly}, r.Usage) {
		p = append(p, fmt.Sprintf("usage %q: want dimension, aggregate_only or join_only", clip(string(r.Usage))))
	}
	kind := KindOf(col.Type)
	params := r.Params
	if params == nil {
		params = &Params{}
	}
	switch r.Treatment {
	case Drop:
		if r.Usage != "" {
			p = append(p, "a dropped column cannot have a usage")
		}
	case Keep:
		if r.Class == Identifier && !unit {
			p = append(p, "an identifier cannot be kept as it is: hash, mask or drop it")
		}
	case Hash:
		if r.Usage == Dimension || r.Usage == AggregateOnly {
			p = append(p, "a hashed column may only be a join key (usage join_only) or have no usage")
		}
	case Mask:
		if kind != KindText {
			p = append(p, fmt.Sprintf("mask applies to text columns, this one is %s", col.Type))
		}
		if params.KeepFirst == nil || params.KeepLast == nil || *params.KeepFirst < 0 || *params.KeepLast < 0 || *params.KeepFirst+*params.KeepLast > 32 {
			p = append(p, "mask needs params keep_first and keep_last, each ≥ 0, together at most 32")
		}
		if params.MaskChar != "" && utf8.RuneCountInString(params.MaskChar) != 1 {
			p = append(p, "mask_char must be one character")
		}
		if r.Class == Identifier && r.Usage == Dimension {
			p = append(p, "a masked identifier cannot be a dimension: it would single people out")
		}
	case Generalize:
		p = append(p, checkGeneralize(params, kind, col.Type)...)
	}
	switch r.Usage {
	case Dimension:
		if r.Class == Identifier {
			p = append(p, "an identifier cannot be a dimension: grouping on it releases individuals")
		}
	case AggregateOnly:
		if kind != KindInteger && kind != KindDecimal {
			p = append(p, fmt.Sprintf("aggregate_only applies to numeric columns, this one is %s", col.Type))
		}
		if r.Treatment != Keep && r.Treatment != Generalize {
			p = append(p, "aggregate_only needs the values: treatment keep or generalize")
		}
		if params.Lo == nil || params.Hi == nil || !(*params.Lo < *params.Hi) || math.IsInf(*params.Lo, 0) || math.IsInf(*params.Hi, 0) {
			p = append(p, "aggregate_only needs finite clamp bounds params lo < hi (used by differential privacy)")
		}
	case JoinOnly:
		if r.Treatment != Hash {
			p = append(p, "a join key must be hashed (treatment hash), so it links only within one grant")
		}
	}
	return p
}

func checkGeneralize(params *Params, kind Kind, typ string) []string {
	var p []string
	switch kind {
	case KindDate, KindTimestamp:
		switch params.To {
		case "month":
			if params.Width != nil {
				p = append(p, "generalize to month takes no width")
			}
		case "year":
			if params.Width != nil && (*params.Width < 1 || *params.Width > 100 || *params.Width != math.Trunc(*params.Width)) {
				p = append(p, "generalize to year: width is a whole number of years from 1 to 100")
			}
		default:
			p = append(p, `generalize a date with params {"to": "month"} or {"to": "year", "width": N}`)
		}
	case KindInteger, KindDecimal:
		if params.Width == nil || !(*params.Width > 0) || math.IsInf(*params.Width, 0) {
			p = append(p, `generalize a number with params {"width": W}, W > 0: values become the start of their bucket`)
		}
	case KindText:
		if len(params.Map) == 0 || params.Default == nil {
			p = append(p, `generalize text with params {"map": {value: group}, "default": group}`)
		}
		for k, v := range params.Map {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				p = append(p, "map keys and values must be valid UTF-8")
				break
			}
		}
	default:
		p = append(p, fmt.Sprintf("generalize does not apply to %s columns", typ))
	}
	return p
}

// Parse decodes a rule set strictly (unknown fields refused).
func Parse(b []byte) (Set, error) {
	var s Set
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Set{}, fault.Wrap(err, fault.InvalidInput, "the rules are not the expected JSON")
	}
	return s, nil
}

func clip(s string) string {
	if !utf8.ValidString(s) {
		return "<invalid UTF-8>"
	}
	if utf8.RuneCountInString(s) > 64 {
		return string([]rune(s)[:64]) + "…"
	}
	return s
}
