// Package workspace builds a grant's workspace: its own DuckDB file holding, already desensitized,
// exactly the data the grant may touch (Art. 19, 13(3)). No developer job ever reaches a raw value
// because no raw value is in the only file a job can open.
//
// # What a build does
//
// [Build] takes raw dataset versions (store files, one table "data" each), the effective rule of
// every column (rules.Resolve), optional consent filters and the grant's pseudonym key. In a fresh
// instance opened by duck.Open, locked down, whose only reachable files are the raw and consent
// files it needs, it attaches each raw version READ_ONLY and materializes its table with one
// CREATE TABLE … AS SELECT: every treatment and the consent filter are applied in that single pass
// over the raw rows. It then counts rows and the largest number of rows of one privacy unit,
// verifies the result, computes the content digest, checkpoints, and publishes the file atomically
// (temporary name in the same directory, fsync, chmod 0600, rename, fsync of the directory). A
// failed or cancelled build leaves no file at the output path, and an existing workspace there
// untouched.
//
// # Treatments
//
//   - keep: the value as it is.
//   - drop, or no rule: the column is absent.
//   - hash: a BIGINT keyed pseudonym (crypto/pseudonym) of the value's text (its VARCHAR cast;
//     a TIMESTAMPTZ is rendered in UTC whatever the instance's time zone). The privacy unit
//     column is always such a pseudonym, whatever its rule says, computed by the same function, so
//     one person has one pseudonym across the datasets of a grant and unrelated ones across grants.
//     The pseudonym is computed in Go, by a scalar function registered on the build connection only;
//     the key never appears in SQL and the function is not stored in the file.
//   - mask: the first keep_first and last keep_last characters (Unicode code points) are kept and
//     the others replaced by mask_char (default '*'); a value of at most keep_first+keep_last
//     characters is masked entirely. The length is kept.
//   - generalize: a date or timestamp to the first day of its month (DATE) or to the first year of
//     its band of width years (INTEGER; bands start at year 0, so 1987 in 5-year bands is 1985);
//     a number to the lower bound of its bucket of the given width (buckets start at 0), in the
//     column's own type when that is exact (integers with a whole width, DECIMALs whose scale holds
//     the width) and otherwise through DOUBLE (an integer column with a fractional width becomes
//     DOUBLE); text through the rule's map, values not in it becoming the default.
//
// NULL stays NULL under every treatment. Rows whose privacy unit is NULL are left out of the
// workspace (counted in ExcludedNoUnit): the release gate could not count them. Every literal
// taken from a rule reaches SQL through duck.Quote; type names are checked against a strict
// pattern; and the attached raw table's schema must be exactly the one the rules were resolved on,
// or the build is refused.
//
// # Consent
//
// With a consent filter, a row is kept only if its privacy unit's raw text is the subject of a
// consent in the registry whose purpose is one of the scenario's and whose valid_until is at or
// after the given instant. The filter is a semi-join in the same statement, on the raw value before
// hashing; the rows it leaves out are counted (ExcludedByConsent).
//
// # Rows per unit
//
// For each table, MaxRowsPerUnit is the largest number of rows sharing one privacy unit pseudonym.
// The SQL gate uses count(*)/MaxRowsPerUnit as a lower bound on the distinct units of a group. A
// pseudonym collision can only merge two people, which makes the bound smaller (safe).
//
// # Digest
//
// The digest is "sha256:" + SHA-256 over a canonical text listing, for each table in name order,
// its name, row count, MaxRowsPerUnit and exclusion counts, each column's name, type, class, usage
// and unit flag, and a fold of its rows: the count, the sum and the XOR of DuckDB's hash() of
// every row. The fold does not depend on row order, thread count, source order or the file's
// layout, so a rebuild from the same raw versions, rules, consent filter and key gives the same
// digest with the same DuckDB version; a different key gives a different one. DuckDB's file bytes
// are not deterministic and are not hashed.
//
// It is not a cryptographic commitment to the rows: hash() is DuckDB's fast 64-bit non-
// cryptographic hash, so it detects accidental differences and non-reproducible rebuilds, not a
// party who crafts a different table with the same fold. And hash() may change between DuckDB
// versions: compare digests made by the same version.
//
// # Verification (fail closed)
//
// Before a workspace is published, Build checks that the function computing pseudonyms returns
// the pseudonym package's answers, and that the finished database holds exactly the planned tables
// with exactly the planned columns and types, no column a rule drops, no view, macro or sequence,
// and no attached raw file. Any mismatch is ErrVerify and nothing is published.
//
// # Errors
//
// DuckDB's messages can quote row values, and a build reads raw rows. Engine failures are returned
// as errors naming the operation and DuckDB's error class only; the engine's own error stays
// reachable through errors.As/Unwrap for trusted diagnostics and must not be shown to clients.
//
// # What it must never do
//
// This package never gives a developer, a job or any caller a connection to a raw file or to the
// build instance: the raw files are attached read-only, only in the build instance, and detached
// before the workspace is verified. It never writes a raw file, never stores or logs the key, and
// never puts a raw value in an error. The workspace it returns is the only thing a job may open,
// and only read-only.
package workspace
