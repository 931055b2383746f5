// Package store is the raw domain store: every imported dataset version as an immutable DuckDB
// file of its own, inside the data directory (the domain, 域).
//
// # Atomic, immutable versions
//
// An import streams the upload into a private staging directory while hashing it, loads it with
// DuckDB's own readers in a fresh instance that can read only that upload, computes per-column
// counts, checkpoints and fsyncs the file, renames it into the store, and only then commits the
// version to the catalog. A version is therefore visible entirely or not at all: a crash before
// the catalog commit leaves at most an unreferenced file, and Open sweeps those and the staging
// directory away. Committed files are never opened for writing again.
//
// # What it must never do
//
// The raw store is never attached to a connection that runs a developer's SQL. Its files are
// read only by trusted code (imports here, workspace materialisation later), and no row value
// of a dataset ever appears in an error, a log line or the catalog: only names, types, counts
// and digests.
package store
