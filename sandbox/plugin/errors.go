package plugin

import "errors"

// Sentinel errors. Run and the Store wrap them with a short detail; test with errors.Is.
//
// No error from this package carries text the plugin controls (its error messages, its
// output, its column names or its handle values) or row values: a plugin could smuggle data
// through them to whoever reads the error. That text goes to RunResult.Stats for the operator.
var (
	// ErrNotApproved: the grant does not list the binary's digest.
	ErrNotApproved = errors.New("plugin binary is not approved for this grant")
	// ErrUnknownBinary: no binary with this digest was uploaded.
	ErrUnknownBinary = errors.New("no plugin binary with this digest has been uploaded")
	// ErrDigestMismatch: the stored file no longer hashes to its digest (it was swapped or
	// corrupted); it is not run.
	ErrDigestMismatch = errors.New("plugin binary does not match its digest")
	// ErrBadDigest: a digest is not of the form "sha256:" and 64 lowercase hex digits.
	ErrBadDigest = errors.New("malformed plugin digest")
	// ErrBadBinary: an upload is not a statically linked executable for this machine.
	ErrBadBinary = errors.New("not a statically linked executable for this machine")
	// ErrTooLarge: an upload exceeds the size limit.
	ErrTooLarge = errors.New("plugin binary is too large")
	// ErrIsolationUnavailable: the host cannot isolate plugins, and the insecure development
	// mode is off, so plugin jobs are refused.
	ErrIsolationUnavailable = errors.New("plugin isolation is unavailable on this host, so plugin jobs are refused")
	// ErrPluginFailed: the plugin did not start, crashed, exited early or returned an error.
	ErrPluginFailed = errors.New("the plugin failed")
	// ErrBadOutput: the plugin's output breaks the contract (schema, types, malformed Arrow
	// data, or a row handle it was not given).
	ErrBadOutput = errors.New("the plugin's output breaks the plugin contract")
	// ErrLimit: the job hit a resource limit (wall-clock deadline, CPU time, memory, output
	// rows or bytes).
	ErrLimit = errors.New("the plugin job exceeded a resource limit")
	// ErrBadInput: the job's input or settings are unusable.
	ErrBadInput = errors.New("invalid plugin job")
)
