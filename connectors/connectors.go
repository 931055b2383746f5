package connectors

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Format names a file format a source agency can upload.
type Format string

// The formats inviso imports.
const (
	CSV      Format = "csv"
	Parquet  Format = "parquet"
	NDJSON   Format = "ndjson"
	ArrowIPC Format = "arrow"
)

// Formats lists every supported format, in documentation order.
var Formats = []Format{CSV, Parquet, NDJSON, ArrowIPC}

// ParseFormat accepts a format name as clients send it.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if strings.EqualFold(s, string(f)) {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w: unknown format %q (want csv, parquet, ndjson or arrow)", ErrInvalid, s)
}

// Column is one column of a table: its name and its DuckDB type (as DuckDB spells it, e.g.
// VARCHAR, BIGINT, DATE, DECIMAL(12,2)).
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Loader creates a table from one file.
type Loader interface {
	// Load creates table `table` (a plain identifier chosen by the caller) in conn from the file
	// at path. If want is non-nil the file must have exactly those columns, by name and in that
	// order, and values are read as those types; a difference in the column set is an
	// *InputError of kind KindSchemaDrift and a value that does not convert is KindType. On any
	// error the table does not exist afterwards (the caller also discards the instance).
	Load(ctx context.Context, conn *sql.Conn, path, table string, want []Column) error
}

// ErrInvalid is the category of every input problem; *InputError wraps it.
var ErrInvalid = errors.New("invalid input")

// Kind is a stable, machine-readable name for what is wrong with an input file.
type Kind string

// Kinds of input errors.
const (
	KindEmpty       Kind = "empty_file" // no bytes, or no data rows
	KindMalformed   Kind = "malformed"  // not parseable as the format (bad quoting, broken JSON, bad footer)
	KindColumnCount Kind = "wrong_column_count"
	KindEncoding    Kind = "invalid_utf8"
	KindType        Kind = "type_mismatch" // a value that does not convert to its column's type
	KindSchemaDrift Kind = "schema_drift"  // columns differ from the expected schema
	KindColumnName  Kind = "bad_column_name"
)

// InputError says what is wrong with an input file and where. It never carries a cell value.
type InputError struct {
	Format Format
	Kind   Kind
	Line   int64  // 1-based line (CSV, NDJSON) or row (Parquet, Arrow); 0 if unknown
	Column string // column name, if known
	Detail string // a human explanation that names no value from the file
}

func (e *InputError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Format, e.Kind)
	if e.Line > 0 {
		fmt.Fprintf(&b, " at line %d", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %q", e.Column)
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InputError) Unwrap() error { return ErrInvalid }

// MaxColumnName is the longest column name accepted, in characters.
const MaxColumnName = 63

// CheckColumnNames refuses column names that are not plain names: each must be non-empty, at
// most MaxColumnName characters of Unicode letters, digits and underscore, must not start with
// a digit, and must be unique ignoring case (DuckDB identifiers are case-insensitive). Names are
// printed in the error: they are schema, not values.
func CheckColumnNames(f Format, names []string) error {
	if len(names) == 0 {
		return &InputError{Format: f, Kind: KindColumnName, Detail: "the file has no columns"}
	}
	seen := make(map[string]int, len(names))
	for i, n := range names {
		if d := nameProblem(n); d != "" {
			e := &InputError{Format: f, Kind: KindColumnName, Detail: fmt.Sprintf("column %d %s", i+1, d)}
			if utf8.ValidString(n) && n != "" {
				e.Column = n
			}
			return e
		}
		k := strings.ToLower(n)
		if j, dup := seen[k]; dup {
			return &InputError{Format: f, Kind: KindColumnName, Column: n,
				Detail: fmt.Sprintf("columns %d and %d have the same name (names are case-insensitive)", j+1, i+1)}
		}
		seen[k] = i
	}
	return nil
}

func nameProblem(n string) string {
	switch {
	case n == "":
		return "has an empty name"
	case !utf8.ValidString(n):
		return "has a name that is not valid UTF-8"
	case utf8.RuneCountInString(n) > MaxColumnName:
		return fmt.Sprintf("has a name longer than %d characters", MaxColumnName)
	}
	for i, r := range n {
		if i == 0 && unicode.IsDigit(r) {
			return "has a name starting with a digit"
		}
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return "has a name with a character other than a letter, digit or underscore"
		}
	}
	return ""
}

// CheckSchema compares the file's column names, in order, with the expected schema and returns
// an *InputError of kind KindSchemaDrift naming added, missing and reordered columns.
func CheckSchema(f Format, got []string, want []Column) error {
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = got[i] == want[i].Name
	}
	if same {
		return nil
	}
	wantSet := make(map[string]bool, len(want))
	for _, c := range want {
		wantSet[c.Name] = true
	}
	gotSet := make(map[string]bool, len(got))
	var added, missing []string
	for _, n := range got {
		gotSet[n] = true
		if !wantSet[n] {
			added = append(added, n)
		}
	}
	for _, c := range want {
		if !gotSet[c.Name] {
			missing = append(missing, c.Name)
		}
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "added "+quoteNames(added))
	}
	if len(missing) > 0 {
		parts = append(parts, "missing "+quoteNames(missing))
	}
	if len(added) == 0 && len(missing) == 0 {
		parts = append(parts, fmt.Sprintf("columns reordered: expected %s, got %s", quoteNames(columnNames(want)), quoteNames(got)))
	}
	return &InputError{Format: f, Kind: KindSchemaDrift, Detail: strings.Join(parts, "; ")}
}

func columnNames(cs []Column) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func quoteNames(ns []string) string {
	q := make([]string, len(ns))
	for i, n := range ns {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// ValidType reports whether t looks like a DuckDB type name as DuckDB spells it (BIGINT,
// DECIMAL(12,2), VARCHAR[], STRUCT(a BIGINT, b VARCHAR)). Loaders put wanted types into SQL
// text, so anything else (quotes, semicolons, comments, unbalanced parentheses) is refused.
func ValidType(t string) bool {
	if t == "" || len(t) > 512 {
		return false
	}
	depth := 0
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == ' ', c == ',', c == '[', c == ']':
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return false
			}
		default:
			return false
		}
	}
	return depth == 0 && !strings.Contains(t, "--")
}

// CheckWant refuses an expected schema a loader could not safely put into SQL.
func CheckWant(want []Column) error {
	for _, c := range want {
		if nameProblem(c.Name) != "" || !ValidType(c.Type) {
			return fmt.Errorf("expected schema: column %q of type %q is not usable", c.Name, c.Type)
		}
	}
	return nil
}

// Describe runs a DESCRIBE query (e.g. "DESCRIBE SELECT * FROM read_parquet(…)") and returns the
// columns it lists.
func Describe(ctx context.Context, conn *sql.Conn, describeQuery string) ([]Column, error) {
	rows, err := conn.QueryContext(ctx, describeQuery)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Column
	for rows.Next() {
		var name, typ string
		var null, key, def, extra sql.NullString
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			return nil, err
		}
		out = append(out, Column{Name: name, Type: typ})
	}
	return out, rows.Err()
}
