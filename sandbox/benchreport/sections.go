package benchreport

// Section is one table of the report: the results of some benchmarks, one row per result.
type Section struct {
	Key    string   `json:"key"`
	Title  string   `json:"title"`
	Target string   `json:"target,omitempty"` // the target, as stated there
	About  string   `json:"-"`                // what is measured against what
	From   []Source `json:"-"`
	Cols   []Column `json:"-"`
}

// Source selects results: those of package Pkg (an import path suffix) named Bench, or
// Bench/<sub-benchmark>.
type Source struct {
	Pkg, Bench string
	Label      string // figure prefix for these rows (default: the sub-benchmark name)
}

// Column is one column of a section's table.
type Column struct {
	Head   string
	Metric string  // the unit as the benchmark reports it
	Scale  float64 // multiplies the value (0: 1), e.g. 1e-6 for ns/op shown in ms
	// Over, when set, makes the column the ratio Metric / Over (both as reported).
	Over string
	// Role says what the column is in the JSON report: "value" (inviso's figure),
	// "baseline" (what it is compared with), "ratio", or "" (detail).
	Role string
}

// Sections are the report's tables, in order. The benchmarks they read are run by make bench;
// a section whose benchmarks were not run is reported as not run.
var Sections = []Section{
	{
		Key: "import", Title: "Import", Target: "≥ 0.8× DuckDB's own CREATE TABLE AS SELECT",
		About: "Rows per second into a dataset version: upload copy with SHA-256, DuckDB's reader with value-free errors, " +
			"column statistics, checkpoint, fsync, rename, catalog commit; against `CREATE TABLE t AS SELECT * FROM read_csv/read_parquet(file)` plus `CHECKPOINT` into a new file.",
		From: []Source{{Pkg: "sandbox/store", Bench: "BenchmarkImportVsDuckDB"}},
		Cols: []Column{{Head: "inviso rows/s", Metric: "inviso-rows/s", Role: "value"}, {Head: "DuckDB CTAS rows/s", Metric: "raw-rows/s", Role: "baseline"}, {Head: "ratio", Metric: "ratio", Role: "ratio"}},
	},
	{
		Key: "materialize", Title: "Workspace materialization", Target: "≥ 0.5× a plain copy",
		About: "A grant's workspace (hashed identifiers, masked and generalized columns, rows per unit, digest, fsync, rename) against a plain `CREATE TABLE AS SELECT` of the same columns.",
		From:  []Source{{Pkg: "sandbox/workspace", Bench: "BenchmarkMaterialize", Label: "citizens"}},
		Cols: []Column{{Head: "full build rows/s", Metric: "ws_build_rows/s", Role: "value"}, {Head: "workspace CREATE TABLE alone rows/s", Metric: "ws_ctas_rows/s"},
			{Head: "plain copy rows/s", Metric: "plain_rows/s", Role: "baseline"}, {Head: "ratio", Metric: "build_ratio", Role: "ratio"}},
	},
	{
		Key: "sql", Title: "SQL jobs: gated vs raw DuckDB, with the gate broken down", Target: "gated ≤ 1.10× raw DuckDB",
		About: "Gated = grant lookup, parse, analyse, OPA decision, rewrite, locked execution, suppression, result digest, job log append (durable); " +
			"raw = the same SQL on a plain DuckDB instance over a copy of the workspace; alternating order, medians. Stage columns are medians in ms " +
			"(repeated texts are parsed once: the gate-alone table has the uncached costs); serialize (Arrow IPC) is timed outside the gated time.",
		From: []Source{{Pkg: "sandbox", Bench: "BenchmarkQueryVsRaw"}},
		Cols: []Column{{Head: "raw ms", Metric: "raw-ms", Role: "baseline"}, {Head: "gated ms", Metric: "gated-ms", Role: "value"}, {Head: "ratio", Metric: "ratio", Role: "ratio"},
			{Head: "parse", Metric: "parse-ms"}, {Head: "analyse", Metric: "analyse-ms"}, {Head: "policy", Metric: "policy-ms"}, {Head: "rewrite", Metric: "rewrite-ms"},
			{Head: "execute", Metric: "execute-ms"}, {Head: "serialize", Metric: "serialize-ms"}, {Head: "log", Metric: "log-ms"}},
	},
	{
		Key: "gate", Title: "Gate alone (no execution)", Target: "≤ 2 ms median per query",
		About: "Parse, analyse, decide, rewrite and regenerate a join query without the memo, in the sandbox; the parser's and the policy's stages alone.",
		From: []Source{{Pkg: "sandbox", Bench: "BenchmarkGate", Label: "whole gate"}, {Pkg: "sandbox/sqlgate", Bench: "BenchmarkGate", Label: "sqlgate"},
			{Pkg: "policy", Bench: "BenchmarkDecide", Label: "policy"}},
		Cols: []Column{{Head: "ms per query", Metric: "ns/op", Scale: 1e-6, Role: "value"}},
	},
	{
		Key: "concurrency", Title: "16 concurrent clients, small query", Target: "≥ 500 gated queries/s, no errors",
		About: "`SELECT district, count(*) … GROUP BY district` on 100,000 rows from 16 goroutines in process, raw DuckDB then gated, " +
			"with DuckDB's default threads (0) and one thread per instance (`inviso serve --threads 1`).",
		From: []Source{{Pkg: "sandbox", Bench: "BenchmarkConcurrentSmallQueries"}},
		Cols: []Column{{Head: "gated q/s", Metric: "gated-q/s", Role: "value"}, {Head: "raw q/s", Metric: "raw-q/s", Role: "baseline"}, {Head: "ratio", Metric: "ratio", Role: "ratio"}},
	},
	{
		Key: "log", Title: "Job log", Target: "≥ 5,000 durable appends/s with 16 writers; verify ≥ 100,000 entries/s at 1,000,000",
		About: "Durable = in the write-ahead file and synced (what a release waits for); indexed = also integrated in the Merkle tree; verify re-hashes every leaf against the tiles and recomputes the root.",
		From:  []Source{{Pkg: "sandbox/audit", Bench: "BenchmarkAppend16", Label: "append, 16 writers"}, {Pkg: "sandbox/audit", Bench: "BenchmarkVerify", Label: "verify"}},
		Cols:  []Column{{Head: "durable entries/s", Metric: "durable-entries/s", Role: "value"}, {Head: "indexed entries/s", Metric: "indexed-entries/s"}, {Head: "verified entries/s", Metric: "entries/s", Role: "value"}},
	},
	{
		Key: "dp", Title: "Differential privacy", Target: "DP ≤ 1.3× the same gated query without DP",
		About: "The suite gated with the k threshold, with DP on the row path (bounds as the workspace has them) and with tight bounds (the per-person path), beside raw DuckDB; medians.",
		From:  []Source{{Pkg: "sandbox", Bench: "BenchmarkDPVsGated"}},
		Cols: []Column{{Head: "raw ms", Metric: "raw-ms"}, {Head: "gated ms", Metric: "gated-ms", Role: "baseline"}, {Head: "DP ms", Metric: "dp-ms", Role: "value"},
			{Head: "DP / gated", Metric: "dp/gated", Role: "ratio"}, {Head: "tight bounds ms", Metric: "dp-tight-ms"}, {Head: "tight / gated", Metric: "tight/gated"}},
	},
	{
		Key: "noise", Title: "Noise sampling", About: "One exact discrete Laplace sample (rejection sampler in integer arithmetic, ChaCha8 keyed by HMAC).",
		From: []Source{{Pkg: "crypto/noise", Bench: "BenchmarkSample"}},
		Cols: []Column{{Head: "µs per sample", Metric: "ns/op", Scale: 1e-3, Role: "value"}},
	},
	{
		Key: "he", Title: "Homomorphic jobs", Target: "linear_score ≤ 100 ms after the group sums; row_score ≤ 2 s (1M rows × 8 features, 100 groups, 2^13 ring)",
		About: "The circuit in the sandbox against the same score computed in plaintext DuckDB in the same run.",
		From:  []Source{{Pkg: "sandbox", Bench: "BenchmarkHEVsDuckDB"}},
		Cols: []Column{{Head: "circuit ms", Metric: "he-circuit-ms", Role: "value"}, {Head: "plaintext DuckDB ms", Metric: "duckdb-plain-ms", Role: "baseline"},
			{Head: "circuit / plaintext", Metric: "he-circuit-ms", Over: "duckdb-plain-ms", Role: "ratio"}, {Head: "group sums ms", Metric: "group-sums-ms"},
			{Head: "reading rows ms", Metric: "read-rows-ms"}, {Head: "keys bytes", Metric: "key-bytes"}, {Head: "inputs bytes", Metric: "input-bytes"}, {Head: "result bytes", Metric: "result-bytes"}},
	},
	{
		Key: "he-circuits", Title: "Homomorphic circuits alone",
		About: "Lattigo circuits in crypto/he beside the same computation in plain Go.",
		From:  []Source{{Pkg: "crypto/he", Bench: "BenchmarkLinearScore", Label: "linear_score"}, {Pkg: "crypto/he", Bench: "BenchmarkLinearScorePlaintext", Label: "linear_score plaintext"}, {Pkg: "crypto/he", Bench: "BenchmarkRowScore", Label: "row_score"}, {Pkg: "crypto/he", Bench: "BenchmarkRowScorePlaintext", Label: "row_score plaintext"}, {Pkg: "crypto/he", Bench: "BenchmarkExactCount", Label: "exact_count"}, {Pkg: "crypto/he", Bench: "BenchmarkExactCountPlaintext", Label: "exact_count plaintext"}},
		Cols:  []Column{{Head: "ms", Metric: "ns/op", Scale: 1e-6, Role: "value"}, {Head: "keys bytes", Metric: "key_bytes"}, {Head: "inputs bytes", Metric: "input_bytes"}, {Head: "result bytes", Metric: "result_bytes"}},
	},
	{
		Key: "plugin", Title: "Plugin jobs", Target: "≥ 1,000,000 rows/s through an identity plugin (10M rows × 6 columns)",
		About: "Rows to an isolated identity plugin and back over mTLS with every output check; sink hands output on batch by batch, collect keeps it in memory.",
		From:  []Source{{Pkg: "sandbox/plugin", Bench: "BenchmarkIdentity10M"}},
		Cols:  []Column{{Head: "rows/s", Metric: "rows/s", Role: "value"}, {Head: "start ms", Metric: "start-ms"}},
	},
	{
		Key: "postgres", Title: "Gated inviso vs raw PostgreSQL", Target: "gated inviso faster than raw PostgreSQL on every aggregate query",
		About: "The suite gated against the same SQL on the same rows in a throwaway PostgreSQL cluster (Debian package, local socket); medians.",
		From:  []Source{{Pkg: "sandbox", Bench: "BenchmarkPostgresVsInviso"}},
		Cols:  []Column{{Head: "gated ms", Metric: "gated-ms", Role: "value"}, {Head: "PostgreSQL ms", Metric: "postgres-ms", Role: "baseline"}, {Head: "gated / PostgreSQL", Metric: "gated/postgres", Role: "ratio"}},
	},
}
