// Package csv loads comma-separated files into DuckDB with DuckDB's own read_csv, in one
// CREATE TABLE … AS SELECT pass.
//
// # Dialect
//
// One dialect only: a header line is required, the delimiter is ',', the quote and escape are
// '"', the encoding is UTF-8 (a leading byte-order mark is ignored), lines end in LF or CRLF, an
// empty field is NULL. The sniffer may guess column types, nothing else: comment characters and
// skipped leading lines are switched off, because a guessed '#' comment would silently drop rows.
// strict_mode is on, so a stray or unterminated quote is an error rather than data.
//
// # Schema
//
// The header is read in Go first (one line, bounded) and its names are checked with
// connectors.CheckColumnNames. Without an expected schema, column types are inferred by DuckDB's
// sniffer from a sample; a later value that contradicts the inferred type fails the import as
// KindType. With an expected schema the sniffer is not used at all: names must match
// (connectors.CheckSchema) and values are read as the expected types.
//
// # Errors
//
// The fast path carries no error bookkeeping. When it fails, the file is read again with
// store_rejects, first with every column as VARCHAR (structure: quoting, field counts, UTF-8),
// then with the real types (conversions), and the earliest reject's line, column and error type
// become the *connectors.InputError. DuckDB's message text is never used: it quotes the
// offending line. The rejects tables are temporary and dropped before Load returns, and on any
// error the target table does not exist.
//
// This package never writes a file and never keeps a partially imported table.
package csv
