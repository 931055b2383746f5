// Package parquet loads Parquet files into DuckDB with DuckDB's own read_parquet, in one
// CREATE TABLE … AS SELECT pass.
//
// The schema comes from the file's footer (DESCRIBE on read_parquet reads nothing else), so
// names are checked with connectors.CheckColumnNames and, for a later version, compared with
// the expected schema before any data is read. Columns whose Parquet type differs from the
// expected type are CAST in the same pass; when a cast fails, a diagnostic query finds the
// first failing row with TRY_CAST and file_row_number, so the *connectors.InputError names
// the 1-based row and the column, never the value (DuckDB's cast errors quote it).
//
// A file that is not Parquet, or whose footer is damaged (a truncated upload), is KindMalformed;
// a zero-byte file or one without rows is KindEmpty. On any error the target table does not
// exist afterwards. This package never writes a file.
package parquet
