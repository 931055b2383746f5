// Package sdk is what a plugin author imports: implement a Processor (or wrap a function with
// Map) and call Serve from main.
//
//	func main() {
//		sdk.Serve(sdk.Map(outputSchema, score))
//	}
//
// The plugin receives the rows of the job's approved input query as Arrow record batches and
// returns output rows as Arrow record batches. Every input batch has a column "__row"
// (int64): an opaque handle for each row. Every output row must carry, in its own "__row"
// column, the handle of an input row the plugin has received; the sandbox refuses the whole
// job otherwise. Output columns may be integers, floats, booleans or strings.
//
// Only an aggregate of the output that passes the grant's policy and thresholds ever leaves
// the sandbox, and the plugin runs without network, without a filesystem worth the name, as
// an unprivileged user with resource limits. What a plugin writes to stdout or stderr is kept
// for the operator and never shown to the developer.
//
// Run executes a Processor in-process over local data (for example the dummy data of a
// grant), with the same checks the sandbox applies, so a plugin can be tested without the
// sandbox.
//
// This package never opens files, the network or the environment on the plugin's behalf.
package sdk
