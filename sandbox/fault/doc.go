// Package fault carries errors that reach people: a stable code a program can switch on, a
// message a person understands, and optionally the reasons behind a refusal.
//
// An internal cause (an engine message, a file path, a stack of wrapped errors) may be attached
// for logs, but it is never part of what a client sees: DuckDB messages can quote row values,
// and nothing raw may leave the sandbox in an error.
package fault
