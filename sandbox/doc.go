// Package sandbox wires inviso together: the control catalog, the raw domain store and, as they
// land, workspaces, the SQL gate, the policy engine and the audit log. A Sandbox is the service
// layer every front end calls (the HTTP API, and through it the CLI and the demo).
//
// Methods take the acting principal. Role checks happen at the API's route table; the methods
// here enforce what depends on the data, such as a source agency acting only on its own
// datasets.
//
// # Data directory
//
//	<data>/LOCK            held while a server runs: one process per data directory
//	<data>/admin.token     the bootstrap admin token, written once, mode 0600
//	<data>/control.duckdb  the catalog (no dataset rows)
//	<data>/store/          raw domain store: one immutable DuckDB file per dataset version
//	<data>/staging/        uploads and half-built versions; emptied at start
package sandbox
