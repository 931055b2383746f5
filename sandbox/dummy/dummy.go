package dummy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/rules"
)

// ErrInvalid means a request was refused before anything was generated: an unknown format, rows
// out of range, a table without columns, a type that is not a checkable DuckDB type name, a
// parameter out of range. Test for it with errors.Is.
var ErrInvalid = errors.New("dummy: invalid request")

// Limits of a request.
const (
	DefaultRows = 1000       // rows per table when Options.Rows is 0
	MaxRows     = 100_000    // most rows per table
	MaxCells    = 20_000_000 // most values in one request (rows × columns, over all tables)
	MaxTables   = 256
	MaxColumns  = 2048 // per table
	maxNameLen  = 255  // bytes, table and column names
	maxTypeLen  = 64
)

// Format is the kind of file Write produces.
type Format string

// Formats.
const (
	FormatDuckDB  Format = "duckdb"  // one DuckDB database file, one table per workspace table
	FormatParquet Format = "parquet" // one Parquet file, or a zip of one per table
)

// File is the file name extension and media type of what Write produces in format f for the
// given number of tables, for a download's headers.
func (f Format) File(tables int) (ext, mediaType string) {
	switch {
	case f == FormatDuckDB:
		return ".duckdb", "application/octet-stream"
	case f == FormatParquet && tables == 1:
		return ".parquet", "application/vnd.apache.parquet"
	case f == FormatParquet:
		return ".zip", "application/zip"
	}
	return "", ""
}

// Column is one column of a workspace table, as the workspace has it after treatment.
type Column struct {
	Name string
	// Type is the column's DuckDB type in the workspace (after treatment): BIGINT for hashed
	// columns and the privacy unit, VARCHAR for masked ones, DATE for dates generalized to
	// months, INTEGER for year bands, the numeric type for buckets.
	Type string
	// Rule is the column's effective rule (treatment, usage, params).
	Rule rules.Rule
	// Unit marks the privacy unit: a BIGINT pseudonym.
	Unit bool
	// NullFraction is the share of NULLs in the real column, from 0 to 1 (a ratio of counts).
	NullFraction float64
	// Distinct is the approximate distinct count of the real column; 0 if unknown.
	Distinct int64
}

// Table is one workspace table.
type Table struct {
	Name    string
	Columns []Column
	// Rows is the real table's row count, 0 if unknown. It only scales tables against each
	// other (the largest gets Options.Rows rows) and sets how often units repeat.
	Rows int64
}

// Options of Write. The zero value asks for DefaultRows rows per table with seed 0.
type Options struct {
	// Rows is the number of rows of the largest table, 1 to MaxRows; 0 means DefaultRows.
	// Smaller tables get proportionally fewer rows (by Table.Rows), at least min(Rows, 10).
	Rows int
	// Seed makes the values: the same seed and input give the same values.
	Seed int64
	// DuckDB limits the instance that builds the file (memory, threads, temp directory). Its
	// AllowedPaths and ReadOnly are Write's to set and must be left empty.
	DuckDB duck.Config
	// Dir is where the temporary build directory is made; empty means os.TempDir().
	Dir string
}

// Write generates synthetic tables with the given schemas and writes them to w in format. It
// reads no data: only the names, types, rules and counts it is given. Nothing is written to w
// unless the file was built completely.
func Write(ctx context.Context, w io.Writer, format Format, tables []Table, opt Options) error {
	p, err := prepare(format, tables, opt)
	if err != nil {
		return err
	}
	return build(ctx, w, format, p, opt)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// validate checks everything that does not need a plan: format, options, names, counts, params.
func validate(format Format, tables []Table, opt Options) error {
	if format != FormatDuckDB && format != FormatParquet {
		return invalid("format %q: want %q or %q", clip(string(format)), FormatDuckDB, FormatParquet)
	}
	if opt.Rows < 0 || opt.Rows > MaxRows {
		return invalid("rows %d: want 1 to %d (0 for %d)", opt.Rows, MaxRows, DefaultRows)
	}
	if len(opt.DuckDB.AllowedPaths) > 0 || opt.DuckDB.ReadOnly {
		return invalid("the build instance's allowed paths and read-only flag are set by Write")
	}
	if err := opt.DuckDB.Validate(); err != nil {
		return invalid("duckdb config: %v", err)
	}
	if len(tables) == 0 {
		return invalid("no tables")
	}
	if len(tables) > MaxTables {
		return invalid("%d tables: at most %d", len(tables), MaxTables)
	}
	seen := map[string]bool{}
	for _, t := range tables {
		if err := checkName(t.Name, true); err != nil {
			return invalid("table %q: %v", clip(t.Name), err)
		}
		key := strings.ToLower(t.Name) // DuckDB identifiers, and many file systems, ignore case
		if seen[key] {
			return invalid("table %q appears twice (names are compared without case)", clip(t.Name))
		}
		seen[key] = true
		if t.Rows < 0 {
			return invalid("table %q: rows %d < 0", clip(t.Name), t.Rows)
		}
		if len(t.Columns) == 0 {
			return invalid("table %q has no columns", clip(t.Name))
		}
		if len(t.Columns) > MaxColumns {
			return invalid("table %q: %d columns, at most %d", clip(t.Name), len(t.Columns), MaxColumns)
		}
		cols := map[string]bool{}
		for _, c := range t.Columns {
			if err := checkColumn(c); err != nil {
				return invalid("table %q, column %q: %v", clip(t.Name), clip(c.Name), err)
			}
			key := strings.ToLower(c.Name)
			if cols[key] {
				return invalid("table %q: column %q appears twice (names are compared without case)", clip(t.Name), clip(c.Name))
			}
			cols[key] = true
		}
	}
	return nil
}

// checkName refuses names that are empty, too long, not UTF-8, or hold control characters; a
// table name also becomes a file name in a zip, so it may not hold a path separator or be a
// dot name.
func checkName(name string, file bool) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case len(name) > maxNameLen:
		return fmt.Errorf("name longer than %d bytes", maxNameLen)
	case !utf8.ValidString(name):
		return errors.New("name is not valid UTF-8")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("name holds a control character")
	case file && (strings.ContainsAny(name, `/\:`) || name == "." || name == ".."):
		return errors.New(`a table name may not hold / \ : or be . or ..`)
	}
	return nil
}

func checkColumn(c Column) error {
	if err := checkName(c.Name, false); err != nil {
		return err
	}
	if _, err := parseType(c.Type); err != nil {
		return err
	}
	if math.IsNaN(c.NullFraction) || c.NullFraction < 0 || c.NullFraction > 1 {
		return errors.New("null fraction must be from 0 to 1")
	}
	if c.Distinct < 0 {
		return errors.New("distinct count must be ≥ 0")
	}
	p := c.Rule.Params
	if p == nil {
		return nil
	}
	finite := func(f *float64) bool { return f == nil || !(math.IsNaN(*f) || math.IsInf(*f, 0)) }
	if !finite(p.Lo) || !finite(p.Hi) || (p.Lo != nil && p.Hi != nil && !(*p.Lo < *p.Hi)) {
		return errors.New("clamp bounds must be finite with lo < hi")
	}
	if p.Width != nil && (!finite(p.Width) || !(*p.Width > 0)) {
		return errors.New("width must be finite and > 0")
	}
	if (p.KeepFirst != nil && (*p.KeepFirst < 0 || *p.KeepFirst > 32)) ||
		(p.KeepLast != nil && (*p.KeepLast < 0 || *p.KeepLast > 32)) ||
		(p.KeepFirst != nil && p.KeepLast != nil && *p.KeepFirst+*p.KeepLast > 32) {
		return errors.New("mask keep_first and keep_last must each be ≥ 0, together at most 32")
	}
	if p.MaskChar != "" && (utf8.RuneCountInString(p.MaskChar) != 1 || !utf8.ValidString(p.MaskChar) || p.MaskChar == "\x00") {
		return errors.New("mask_char must be one character")
	}
	// Only the map's targets and the default are ever read (the keys are real values).
	for _, v := range p.Map {
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return errors.New("generalization group names must be valid UTF-8 without NUL")
		}
	}
	if p.Default != nil && (!utf8.ValidString(*p.Default) || strings.ContainsRune(*p.Default, 0)) {
		return errors.New("generalization default must be valid UTF-8 without NUL")
	}
	return nil
}

// clip shortens a caller's string for an error message.
func clip(s string) string {
	if !utf8.ValidString(s) {
		return "<invalid UTF-8>"
	}
	if utf8.RuneCountInString(s) > 64 {
		return string([]rune(s)[:64]) + "…"
	}
	return s
}
