// Package token issues and checks API bearer tokens.
//
// A token is "inv_" + selector + "_" + secret: an 8-byte public selector (hex) that finds the
// principal, and a 256-bit random secret (base64url). Only SHA-256(secret) is stored, and it is
// compared in constant time. The secret has full entropy, so a fast hash is enough: there is
// nothing to brute-force that a slow hash would protect.
//
// This package never logs or stores a secret.
package token
