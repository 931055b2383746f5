// Package blob is a content-addressed store of opaque uploads: homomorphic key material and
// ciphertexts a developer sends with a job. A blob is named by the SHA-256 of its bytes
// ("sha256:<hex>"), written once (temp file, fsync, rename), never changed, and read back only
// after its digest is checked again.
//
// It never interprets what it stores and never holds raw data of the domain: uploads come from
// developers, and what they mean is checked by the job that uses them.
package blob
