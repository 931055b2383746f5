// Package noise samples the noise of differential privacy exactly, from a keyed generator.
//
// # Why exact
//
// Adding floating-point Laplace noise (scale·ln(U)) leaks: the doubles it can produce are not
// evenly spread, and which ones appear depends on the true value, so an observer can often tell
// the true value from the low bits of the released one (Mironov, "On significance of the least
// significant bits for differential privacy", CCS 2012). This package never touches floating
// point when it samples. Noise is an integer drawn from the discrete Laplace distribution
//
//	P[Z = z] ∝ exp(−|z| / b),   b = t/s rational,
//
// with the rejection sampler of Canonne, Kamath and Steinke ("The Discrete Gaussian for
// Differential Privacy", NeurIPS 2020, Algorithms 1 and 2), which needs only uniform integers
// and exact rational comparisons (math/big). Callers add it to integer aggregates: counts, and
// sums of values snapped to a power-of-two grid, so that (S + Z)·γ is exact in float64.
//
// # Keyed and reproducible
//
// A [Generator] is ChaCha8 (math/rand/v2, a specified stream cipher) seeded with
//
//	HMAC-SHA-256(secret, "inviso/noise/v1" || 0x00 || label)
//
// where the sandbox passes its master secret and a job id as the label. The same job draws the
// same noise on replay, so an auditor reproduces the released numbers bit for bit; without the
// secret the noise is unpredictable, and each job's stream is unrelated to every other's.
//
// # What it must never do
//
// It never logs or returns the secret or a seed, never samples through float64, and imports
// nothing from the sandbox.
package noise
