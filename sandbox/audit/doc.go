// Package audit is inviso's tamper-evident job log: a Merkle-tree transparency log in the C2SP
// tlog-tiles layout, written by transparency-dev/tessera on POSIX storage, with checkpoints
// signed by the sandbox's Ed25519 key (C2SP signed-note).
//
// Every state change and every job is one Entry. Append returns only once the entry is durable
// (sequenced, integrated into the tree and fsynced); concurrent appends share a batch and its
// fsyncs. Verify re-derives the whole tree from the entries, checks the checkpoint signature and
// consistency with a checkpoint an auditor kept, and names the first entry that does not match.
// Nothing here ever holds a raw value of a non-public column: jobs are logged as SQL text,
// digests and counts.
package audit
