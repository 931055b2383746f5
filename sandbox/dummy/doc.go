// Package dummy writes synthetic data with the exact schema of a grant's workspace, so that a
// developer can write and test queries and plugins offline (as OpenSAFELY's dummy data and
// PySyft's mock data let them do). The file holds plausible values, NULLs and skewed
// categories, so code that works on it does not break on the real workspace for trivial reasons.
//
// # What it owns
//
// [Write] and the value generators: one deterministic stream per column, seeded by
// [Options.Seed] and the table and column names, so the same request gives the same values.
//
//   - Privacy unit and hashed columns: random BIGINT pseudonyms. The privacy units of every
//     table draw from one pool, and a hashed column from the pool of the columns of its name
//     (the units' if a unit has that name), so joins on the unit and on same-named join keys
//     return rows offline, and a join of unrelated pseudonyms returns none, as on the real
//     workspace. A column whose distinct count is close to its table's row count gets each
//     pseudonym once; the others repeat them with a skew (some units have many rows).
//   - Kept text (dimensions and the rest): synthetic labels "<column>_01", "<column>_02", …,
//     min(distinct count, 50) of them (10 when the count is unknown), Zipf-distributed.
//   - Masked text: keep_first random digits, mask characters, keep_last random digits; a few
//     values are masked entirely, as short real values are.
//   - Generalized text: the rule's group names (the map's targets and the default), skewed.
//   - Generalized dates: random first days of months (DATE), or year bands: multiples of the
//     width from 1930 to 2025 (INTEGER).
//   - Numbers: within the rule's clamp bounds [lo, hi] when it has them, otherwise a small
//     positive range; skewed towards lo (log-uniform); integers for integer types, the type's
//     scale for DECIMAL, two decimals for DOUBLE and FLOAT; multiples of the width for buckets.
//   - Dates and timestamps kept: random, 1930–2010 for a column whose name says birth, else
//     2015–2025. TIME, BOOLEAN and UUID: random.
//   - Every other type (BLOB, BIT, INTERVAL, lists, …): NULL in every row. STRUCT, MAP, UNION
//     and ENUM types are refused, because their names cannot be checked before they go into
//     SQL text.
//   - NULLs at the column's NullFraction, coarsened to whole percent. Ratios of counts (rows of
//     a table to the largest one, distinct values to rows) are rounded to two significant
//     digits before use: the file shows the shape of the real data, not its exact counts.
//
// # Output
//
//   - [FormatDuckDB]: one DuckDB database file with one table per workspace table.
//   - [FormatParquet]: for one table, one Parquet file; for several, a zip archive holding one
//     "<table>.parquet" per table (stored, not recompressed). Parquet cannot represent every
//     DuckDB type: DuckDB writes HUGEINT and UHUGEINT as DOUBLE and BIT as VARCHAR.
//
// The values are deterministic; the bytes are for Parquet and the zip, but not for the DuckDB
// file, whose blocks DuckDB lays out as it likes.
//
// The file is built in a temporary directory by a locked-down DuckDB instance (sandbox/duck)
// whose only reachable paths are that file (and, for Parquet, the files COPY writes), streamed
// to the caller, and removed.
//
// # What it must never do
//
// This package never opens a workspace, a raw dataset version or any other file holding real
// values, and it has no way to receive a value: its inputs are names, types, rules and counts
// (a NULL share, an approximate distinct count, a row count), nothing else. The one place a rule
// carries real values is the text generalization map's keys (the source values being grouped);
// they are never read. Its map's targets and default are the source agency's group names, which
// the workspace shows as they are, and they are used. A test walks the input types and fails when
// a field is added, so a new input channel has to be argued for.
package dummy
