package connectors

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
	KindEmpty       Kind = "empty_file"       // no bytes, or no data rows
	KindMalformed   Kind = "malformed"        // not parseable as the format (bad quoting, broken JSON, bad footer)
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
