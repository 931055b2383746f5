// Package sqlgate decides what a developer's SQL is before anything runs: it parses the text
// with DuckDB's own parser (json_serialize_sql, on a schema-only instance that holds no data),
// walks the tree with an allow-list, resolves every table and column against the grant's
// workspace schema, and produces the policy input (which column is used how, which functions,
// which constructs). After the policy allows a query, it rewrites the tree so each group carries
// its count of distinct privacy units, and regenerates SQL from the tree (json_deserialize_sql).
//
// # Fail closed
//
// Anything the walker does not recognise is refused, not guessed at: an unknown node class, an
// unexpected key in a node, a qualified function name, a three-part column name. Comments,
// several statements, and every statement that is not a SELECT are refused before parsing
// finishes. The engine only ever runs SQL regenerated from a checked tree, never the text sent.
//
// # What it must never do
//
// It never sees data: the parser instance is in-memory, locked down, and has no tables. It never
// echoes a value from a query into an error beyond the developer's own identifiers.
package sqlgate
