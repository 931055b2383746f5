package synth

import (
	"errors"
	"fmt"
	"runtime"
)

// Row-count bounds accepted by [Config.Validate].
const (
	MinRows = 1_000
	MaxRows = 50_000_000
)

// BatchRows is the number of citizens generated per batch. It is part of the
// output definition: changing it changes the data generated for a seed.
const BatchRows = 1 << 16

// Errors returned by this package, to be tested with [errors.Is].
var (
	// ErrInvalidConfig reports a [Config] that [Config.Validate] refuses.
	ErrInvalidConfig = errors.New("synth: invalid config")
	// ErrUnknownTable reports a table name other than those in [Tables].
	ErrUnknownTable = errors.New("synth: unknown table")
	// ErrUnknownFormat reports a format name other than those in [Formats].
	ErrUnknownFormat = errors.New("synth: unknown format")
)

// Config says how much data to generate and from which seed. The zero value
// is refused by Validate (Rows must be set).
type Config struct {
	// Rows is the number of citizens, between MinRows and MaxRows. The
	// benefits row count follows from Rows and Seed.
	Rows int
	// Seed selects the data set; equal seeds give byte-identical output.
	Seed int64
	// Workers bounds the batches generated in parallel; 0 means
	// runtime.GOMAXPROCS(0). It never changes the output.
	Workers int
}

// Validate reports whether c can be generated, wrapping ErrInvalidConfig.
func (c Config) Validate() error {
	if c.Rows < MinRows || c.Rows > MaxRows {
		return fmt.Errorf("%w: rows %d out of range [%d, %d]", ErrInvalidConfig, c.Rows, MinRows, MaxRows)
	}
	if c.Workers < 0 {
		return fmt.Errorf("%w: workers %d is negative", ErrInvalidConfig, c.Workers)
	}
	return nil
}

func (c Config) workers(batches int) int {
	w := c.Workers
	if w == 0 {
		w = runtime.GOMAXPROCS(0)
	}
	return max(1, min(w, batches))
}

func (c Config) batches() int { return (c.Rows + BatchRows - 1) / BatchRows }

// Table names one of the generated tables.
type Table string

// The generated tables.
const (
	// Citizens is the civil-affairs bureau's register of residents.
	Citizens Table = "citizens"
	// Benefits is the human-resources and social-security bureau's payments.
	Benefits Table = "benefits"
)

// Tables lists every table, citizens first.
func Tables() []Table { return []Table{Citizens, Benefits} }

// ParseTable returns the table named s, or an error wrapping ErrUnknownTable.
func ParseTable(s string) (Table, error) {
	switch t := Table(s); t {
	case Citizens, Benefits:
		return t, nil
	}
	return "", fmt.Errorf("%w: %q (want citizens or benefits)", ErrUnknownTable, s)
}

// Format names an output encoding.
type Format string

// The output encodings.
const (
	// CSV is RFC 4180 text with a header line.
	CSV Format = "csv"
	// Parquet is Apache Parquet with snappy compression.
	Parquet Format = "parquet"
	// NDJSON is one JSON object per line.
	NDJSON Format = "ndjson"
	// Arrow is the Arrow IPC streaming format.
	Arrow Format = "arrow"
)

// Formats lists every output format.
func Formats() []Format { return []Format{CSV, Parquet, NDJSON, Arrow} }

// ParseFormat returns the format named s, or an error wrapping
// ErrUnknownFormat.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case CSV, Parquet, NDJSON, Arrow:
		return f, nil
	}
	return "", fmt.Errorf("%w: %q (want csv, parquet, ndjson or arrow)", ErrUnknownFormat, s)
}

// Ext returns the file extension of f, with the dot; Arrow streams use
// ".arrows".
func (f Format) Ext() string {
	if f == Arrow {
		return ".arrows"
	}
	return "." + string(f)
}

// FileName returns the conventional file name of a table in a format, such
// as "citizens.csv" or "benefits.arrows".
func FileName(t Table, f Format) string { return string(t) + f.Ext() }
