// Package he is inviso's homomorphic-encryption core, on Lattigo v6: the fixed circuits of
// homomorphic jobs, both sides of them, and the checks at the trust boundary.
//
// A developer scores the sandbox's data with an encrypted model: the operator never sees the
// model, the developer never sees a row, and only an encrypted per-group aggregate leaves,
// which only the developer can decrypt.
//
// # What the package owns
//
//   - Named parameter sets (Lookup), each within the 128-bit bounds of the HE security
//     standard, and a validator for arbitrary Lattigo parameters (ValidateParameters).
//   - The client side: KeyGen, key files (WriteDir, ReadDir), the evaluation material a circuit
//     needs (EvaluationMaterial), encrypted inputs (EncryptLinearWeights, EncryptRowWeights,
//     EncryptSelection) and decryption (DecryptScores, DecryptCounts).
//   - The sandbox side: the three circuits (LinearScore, RowScore, ExactCount), which take the
//     developer's uploaded blobs and plaintext data the sandbox has already gated, and return
//     a Result with a digest for the job log.
//   - The wire format of every blob (see codec.go), decoded without trusting any length in it.
//
// It does not choose groups, apply the k-threshold, read the database or talk HTTP: the
// sandbox passes already-gated plaintext in and takes a Result out.
//
// # Circuits, layouts and keys
//
// linear_score (CKKS): the sandbox computes per-group feature sums S[g][i] through the gated
// SQL path; the developer sends one ciphertext per feature encrypting the constant polynomial
// w_i (the weight replicated in every slot). The result's coefficient g is Σ_i S[g][i]·w_i.
// Keys: the public key at level 2 only (for re-randomization). No rotation, no
// relinearization.
//
// row_score (CKKS): Σ over the group's rows of p(x·w), p an approved polynomial of degree
// d ≤ 3 (ApprovedPolynomial). Rows are not packed into slots. By the multinomial theorem
// Σ_r p(x_r·w) = Σ_α a_|α|·(|α|!/α!)·w^α·Σ_r x_r^α, so the sandbox computes the per-group
// moment sums Σ_r x_r^α in plaintext and the developer sends the monomials w^α encrypted
// (C(features+d, d) ciphertexts: 9 for 8 features linear, 165 at degree 3). The circuit is
// then linear_score over moment sums. Keys: as linear_score; no relinearization key, whatever
// the degree.
//
// Why not rows in slots: a developer can encrypt weights that are not the same in every
// slot, for instance zero everywhere but one slot. Per-group sums of a slot-wise product then
// return that single row's score, and neither masking nor noise flooding stops it, because
// the leak is in the intended output slots. Enforcing replication on the server would take
// Galois keys the developer generates, which it can also craft. Aggregating in plaintext
// first means no ciphertext ever meets a row: whatever a developer sends, the result is a
// function of per-group aggregates over k-thresholded groups. It is also fast: about 70 ms
// of sandbox time for 1M rows × 8 features × 100 groups (linear), 0.4 s at degree 3.
//
// exact_count (BGV, bgv-n14): with C' the code space rounded up to a power of two and
// G' = N/C', the developer encrypts its selection (1 for each wanted code) with slot c·G'+g =
// sel[c] for every g. The sandbox multiplies slot-wise by the histogram (slot c·G'+g = rows of
// group g with code c), sums the code blocks with log2(C')-1 column rotations and one row
// swap, so every slot of group g's column holds the full count, masks every slot but
// 0..groups-1, re-randomizes, floods at level 1 and rescales to level 0. Keys: the public key
// at level 1 and the log2(C') Galois keys of those rotations, generated at level 2 where they
// are used. No relinearization key. The plaintext modulus t = 4294475777 (≡ 1 mod 2^15) makes
// counts exact up to (t-1)/2 ≈ 2.1·10^9; 65537 would overflow above 32767.
//
// # Encodings
//
// CKKS results are coefficient-encoded: value g is coefficient g of the plaintext
// polynomial, and the developer's constants are constant polynomials (which slot-encoding
// would also produce). The sandbox turns its plaintext operand into an integer polynomial
// (values scaled by 2^(52-k), 2^k ≥ Σ_i max_g|S[g][i]|), so every product is exact and no
// encoding error depends on the data. Slot-encoded plaintexts carry an FFT rounding error
// that is a function of all groups' values and is multiplied by the weights; hiding it with
// statistical flooding would cost about 20 bits of precision. The operand is zero outside
// the output coefficients, so it is its own mask.
//
// The developer scales its weights so that any result stays 2^4 below the input modulus
// (about 2^180). After two rescales the result sits at level 0; DecryptScores rounds to
// 2^-DecodeLogPrecision of the dynamic range, which bounds the error by about 2^-36 of
// B = max|w|·Σ_i max_g|S[g][i]| (measured: 2^-37).
//
// # Who sees what
//
//   - Operator (sandbox): the developer's public key, Galois keys and ciphertexts (RLWE,
//     128-bit); the plaintext data it already holds; the result ciphertext. Never a secret
//     key, never a weight or a selection.
//   - Developer: its own keys and inputs, and the decrypted result: one value per group.
//     A CKKS result's scale also reveals k, the power of two bounding Σ_i max_g|S[g][i]|
//     (the order of magnitude of the aggregates). Nothing else, under the assumptions below.
//   - Job log: the result digest. Replaying the job reproduces it bit for bit.
//
// # Circuit privacy
//
// Before a result leaves, every circuit (1) zeroes every position that is not an intended
// output (BGV: a plaintext mask; CKKS: the operand is zero there), (2) adds a fresh
// public-key encryption of zero, so the result's c1 is a fresh RLWE sample (without it, a
// developer who sets its input's c1 to a known constant reads the sandbox's plaintext operand
// straight out of the result's c1: see attack_test.go), (3) adds noise uniform on
// [-2^b, 2^b) to every coefficient, with b chosen so that, for well-formed inputs, results
// from two databases with the same intended outputs are within statistical distance 2^-40,
// and (4) rescales (CKKS: flood at level 2, two rescales; BGV: flood at level 1, one
// rescale). All randomness comes from a BLAKE2b XOF keyed by the sandbox's seed (its secret
// and the job id) through integer-only samplers, so replay is bit-identical on any machine.
//
// # Limits
//
// Re-randomization and flooding protect against a developer who follows the protocol and
// looks at the result (honest-but-curious). A developer who crafts its material can defeat
// them: a public key that is not an RLWE sample or input noise close to the modulus survives
// any flooding that still decrypts. Closing that needs zero-knowledge proofs of
// well-formedness, which Lattigo does not provide. What such a developer can learn is bounded
// by the design: only per-group aggregates ever meet its ciphertexts (feature sums, moment
// sums of degree ≤ d, per-code counts), never a row. It may learn several of them in one job
// instead of one weighted sum. Treat a row_score job of degree d as releasing every moment
// sum of degree ≤ d of every group and set k well above the number of monomials; exact_count
// releases exact counts of sub-populations chosen in secret, which the k-threshold on groups
// does not bound.
//
// Decrypted CKKS values depend on the secret key (IND-CPA-D, Li and Micciancio, EUROCRYPT
// 2021): use a fresh key pair per job and never send decrypted values back to the platform.
//
// # What this package must never do
//
//   - accept, store or log a secret key on the sandbox side (no server entry point takes
//     one, and the wire format has no field for it);
//   - return a ciphertext that is not masked, re-randomized and flooded (the switches exist
//     for tests only and are unexported);
//   - evaluate anything but the fixed circuits above, or on parameters that are not a named
//     set;
//   - decode a blob with a decoder that trusts its lengths, or let a Lattigo panic escape
//     (errors wrap ErrInternal instead).
package he
