// Package policy decides every job with Open Policy Agent: allow, or deny with every reason.
//
// # What it owns
//
// The default policy bundle (embedded from bundle/: Rego modules, their Rego tests and the
// allow-lists in bundle/inviso/config/data.json), the loading of an operator's extra modules
// (--policy-dir), and the evaluation of one input into a Decision that the job log records: the
// exact input, the reasons, and the digest of the modules that decided.
//
// The input is a plain JSON document built by the caller (the SQL analyser, the grant store):
// the clock's "now", the principal, the job, the grant with its tables and column rules, and the
// analysed query. This package does not build it and never reads data.
//
// # What it must never do
//
// It imports nothing from sandbox (ARCHITECTURE: policy and crypto import nothing from sandbox):
// the sandbox depends on the policy, not the other way round. Codes here are plain strings; the
// caller turns a denial into its own policy_denied error.
//
// # Only denials
//
// The decision is computed in Go from denial sets alone: data.inviso.jobs.deny (the default
// rules) and data.inviso.extra.<name>.deny (operator modules). Allow is true exactly when both
// are empty. No rule can answer "allow", and an operator module may only declare
// package inviso.extra.<name>, so it cannot add to, override or remove the default rules or
// their allow-lists. Operator modules that fail to parse, compile, keep to their namespace, or
// define deny as anything but a set, make New fail: the server refuses to start.
//
// Modules cannot call http.send, time.now_ns, rand.intn, uuid.rfc4122, opa.runtime or reach
// the network: a decision is a pure function of the input and the modules, so the job log can
// replay it.
//
// # Writing an operator module
//
// A file in the --policy-dir, in Rego v1 syntax:
//
//	package inviso.extra.census
//
//	deny contains {"code": "table_embargoed", "message": sprintf("table %s is under embargo", [t])} if {
//		some t in input.query.tables
//		t in {"benefits"}
//	}
//
// The code must be snake_case and the message non-empty, or the job is denied with policy_error.
// Files ending in _test.rego are tests, not loaded into the engine. Beware a Rego trap when adding
// rules: `not f(input.x)` is undefined, not true, when input.x is missing, because OPA evaluates
// the argument before the negation; test a helper rule instead (`not has_x`) and test the
// missing case.
//
// # Failing closed
//
// Every problem at decision time is a denial: an input that is not a JSON object, a missing or
// malformed field (input_invalid, from the Rego), an evaluation error (built-in errors are
// strict), a timeout, a cancelled context, a panic, or a malformed reason all give
// Allow=false with a policy_error reason, and an error wrapping ErrEvaluation for the log.
//
// # Deny codes of the default bundle
//
//	input_invalid            a required field is missing or of the wrong type
//	grant_inactive           the grant's state is not active
//	grant_expired            now >= valid_until
//	not_grantee              the caller is not the grant's developer
//	job_kind_not_granted     the grant does not list the job's kind
//	job_kind_unsupported     the policy has no rules for the job's kind
//	budget_exhausted         jobs_used >= job_budget
//	table_not_granted        a table outside the grant
//	column_not_granted       a column outside the grant
//	feature_not_allowed      a construct outside the allow-list (one reason per construct)
//	raw_output               a column or output returned raw, one value per row
//	output_not_allowed       an output of an unknown kind
//	use_not_allowed          a column used in an unknown context
//	group_key_not_dimension  a group key on a column that is not a dimension
//	filter_not_dimension     a filter on a column that is not a dimension
//	order_key_not_dimension  an ORDER BY on a column that is not a dimension
//	having_not_aggregate     a column in HAVING outside an aggregate
//	identifier_not_allowed   an identifier used other than as a join key or counted
//	aggregate_not_allowed    an aggregate outside the allow-list, DISTINCT other than count,
//	                         or a statistic on a column that is neither aggregate_only nor dimension
//	aggregate_on_join_key    an aggregate other than count on a join-only column
//	scalar_not_allowed       a scalar function outside the allow-list
//	scalar_on_non_dimension  a scalar function on a column that is not a dimension
//	function_not_allowed     a window or table function
//	join_not_inner           a join that is not inner
//	join_key_not_join_only   a join key that is not a join-only (hashed) column
//	policy_error             (Go) the policy could not decide
package policy
