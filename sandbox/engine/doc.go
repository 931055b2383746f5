// Package engine runs checked, regenerated SQL on a grant's workspace and nothing else.
//
// Each workspace gets its own DuckDB instance, opened read-only with external access off,
// extension loading off and the configuration locked (see sandbox/duck), with memory and thread
// limits. An instance is refused if any non-internal function exists in it (a user macro could
// shadow a built-in aggregate). Queries run under a deadline and a cap on result rows.
//
// # What it must never do
//
// This package never imports or opens the raw domain store (sandbox/store): only a workspace
// file, which holds desensitized data only, is ever attached to a connection that runs a
// developer's query. Engine error messages can quote row values: they are returned wrapped
// for the operator's log, and callers show clients only a coded message.
package engine
