// Package arrowipc loads Arrow IPC data (the streaming format, and the file format with its
// ARROW1 magic) into DuckDB.
//
// DuckDB has no Arrow IPC reader without an extension, and extensions cannot be installed in a
// locked-down instance, so the file is read with arrow-go's ipc reader, batch by batch (memory
// is bounded by one record batch, not the file), and handed to DuckDB as an Arrow stream through
// duckdb-go's RegisterView. The view is scanned exactly once, into the target table, then
// dropped, and only then is the stream released: a second scan of such a view silently returns
// no rows and a scan after release crashes the process.
//
// A stream that breaks off part way (a truncated upload) ends the scan early without an engine
// error, so the loader wraps the reader, records the first read error, and fails the import
// (KindMalformed, naming the row after the last complete batch) rather than keep a partial table.
//
// With an expected schema, names are compared before any batch is read; columns whose Arrow
// type maps to a different DuckDB type are converted afterwards, in the table, after a
// TRY_CAST query has found the first row that would not convert (KindType, 1-based row).
//
// This package never writes a file.
package arrowipc
