// Package crypto is the root of inviso's cryptography: API tokens (token), and later signing
// keys, per-grant pseudonym keys, homomorphic jobs and differential-privacy noise, each in its
// own sub-package. Nothing here imports the sandbox.
package crypto
