// Package pseudonym computes keyed pseudonyms: HMAC-SHA-256 under a key that belongs to one grant.
//
// # Construction
//
// A grant's key is derived from the sandbox's 32-byte master secret (stored elsewhere; this
// package never stores or reads it) and the grant's id:
//
//	key = HMAC-SHA-256(master, "inviso/pseudonym/v1" || 0x00 || grantID)
//
// The label fixes the purpose and the version of the construction; the NUL byte separates it from
// the id. Keys of different grants are unrelated (HMAC is a PRF), so a person's pseudonyms in two
// grants cannot be linked without the master secret; the same grant always gets the same key, so
// a rebuild of its workspace or the replay of a job reproduces the pseudonyms exactly.
//
// A value's pseudonym is the first 8 bytes, read big-endian as a signed 64-bit integer, of
//
//	HMAC-SHA-256(key, value)
//
// # Canonical input
//
// Values are hashed as bytes of their text form. The workspace builder passes every value as
// DuckDB's VARCHAR cast of it, so the text "123" and the integer 123 get the same pseudonym, and
// a person id stored as BIGINT in one dataset and as VARCHAR in another still joins. A DECIMAL's
// text keeps its scale ("12.50"), so it differs from the text "12.5".
//
// # Collisions
//
// 64 bits: among n distinct values the chance of any collision is about n²/2⁶⁵ (≈ 3·10⁻⁶ for
// ten million people). A collision merges two people into one pseudonym, which only makes
// distinct-unit counts smaller: the release gate errs on the safe side.
//
// # What it must never do
//
// This package never logs, prints or returns a master secret, and never prints a key: [Key]
// formats as a placeholder through every fmt verb. (fmt cannot call methods on an unexported
// struct field, so a Key kept in an unexported field of a printed struct would still print;
// don't print such structs.) It imports nothing from the sandbox.
package pseudonym
