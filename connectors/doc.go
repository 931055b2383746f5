// Package connectors turns source files into DuckDB tables: CSV, Parquet, newline-delimited JSON
// and Arrow IPC streams, each in its own sub-package behind the Loader interface.
//
// A loader runs inside an instance that the domain store has already locked down (see
// sandbox/duck) so that the upload being imported is the only file it can read. It creates one
// table from one file, enforces an expected schema when it is given one, and reports malformed
// input as an *InputError naming the line and column, never the offending value: the value may
// belong to a sensitive column, and error messages travel to logs and clients.
//
// Connectors know nothing of datasets, versions, grants or jobs.
package connectors
