// Package ndjson loads newline-delimited JSON (one object per line) into DuckDB with DuckDB's
// own read_json(format='newline_delimited', records=true), in one CREATE TABLE … AS SELECT pass.
//
// # Schema
//
// Without an expected schema, DuckDB infers the columns (the union of keys) and their types from
// a sample of the first lines (sample_size, default 20,480); values of mixed types inside the
// sample widen the column (usually to VARCHAR or JSON). A key that first appears after the
// sample is not a column; a value after the sample that contradicts the inferred type fails the
// import as KindType. With an expected schema, the keys seen in the sample must equal the
// expected names in order, and values are read as the expected types.
//
// # Errors
//
// The fast path carries no error bookkeeping. When it fails, the file is scanned once in Go,
// line by line, for invalid UTF-8, broken JSON and lines that are not objects (KindEncoding,
// KindMalformed), so the error names the 1-based line. If every line is well formed the failure
// was a conversion: the line comes from the engine's error and the column is found by testing
// that one line's values with TRY_CAST, passed as a bound parameter. DuckDB's message text is
// never used, as it quotes values. On any error the target table does not exist afterwards.
//
// This package never writes a file.
package ndjson
