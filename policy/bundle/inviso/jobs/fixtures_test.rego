# Fixtures and helpers shared by the tests of package inviso.jobs.
package inviso.jobs_test

import data.inviso.jobs

# good is an input every rule allows: a grouped, filtered, joined aggregate under an active grant.
good := {
	"now": "2026-11-27T09:00:00Z",
	"principal": {"id": "dev", "agency": "devco", "roles": ["developer"]},
	"job": {"kind": "sql"},
	"grant": {
		"id": "gr_1",
		"state": "active",
		"developer": "dev",
		"valid_until": "2027-01-01T00:00:00Z",
		"k": 10,
		"job_budget": 100,
		"jobs_used": 3,
		"job_kinds": ["sql"],
		"tables": {
			"citizens": {"columns": {
				"person_id": {"type": "BIGINT", "class": "identifier", "usage": "join_only", "unit": true},
				"district": {"type": "VARCHAR", "class": "quasi_identifier", "usage": "dimension"},
				"birth_date": {"type": "INTEGER", "class": "quasi_identifier", "usage": "dimension"},
				"income": {"type": "BIGINT", "class": "sensitive", "usage": "aggregate_only"},
				"program": {"type": "VARCHAR", "class": "public", "usage": "dimension"},
				"phone": {"type": "BIGINT", "class": "sensitive"},
			}},
			"benefits": {"columns": {
				"person_id": {"type": "BIGINT", "class": "identifier", "usage": "join_only", "unit": true},
				"amount": {"type": "DOUBLE", "class": "sensitive", "usage": "aggregate_only"},
				"kind": {"type": "VARCHAR", "class": "public", "usage": "dimension"},
			}},
		},
	},
	"query": {
		"tables": ["citizens", "benefits"],
		"features": ["group_by", "filter", "join", "order_by", "limit"],
		"uses": [
			{"table": "citizens", "column": "district", "context": "group_key"},
			{"table": "citizens", "column": "district", "context": "order_key"},
			{"table": "benefits", "column": "kind", "context": "filter"},
			{"table": "benefits", "column": "kind", "context": "scalar_arg", "function": "="},
			{"table": "citizens", "column": "income", "context": "aggregate_arg", "function": "avg", "distinct": false},
			{"table": "benefits", "column": "amount", "context": "aggregate_arg", "function": "sum"},
			{"table": "citizens", "column": "person_id", "context": "aggregate_arg", "function": "count", "distinct": true},
			{"table": "citizens", "column": "person_id", "context": "join_key"},
			{"table": "benefits", "column": "person_id", "context": "join_key"},
		],
		"outputs": [
			{"name": "district", "kind": "group_key"},
			{"name": "n", "kind": "aggregate", "function": "count_star"},
			{"name": "people", "kind": "aggregate", "function": "count"},
			{"name": "avg_income", "kind": "aggregate", "function": "avg"},
			{"name": "total", "kind": "aggregate", "function": "sum"},
		],
		"functions": [
			{"name": "count_star", "kind": "aggregate"},
			{"name": "count", "kind": "aggregate"},
			{"name": "avg", "kind": "aggregate"},
			{"name": "sum", "kind": "aggregate"},
			{"name": "=", "kind": "scalar"},
		],
		"joins": [{
			"type": "inner",
			"left": {"table": "citizens", "column": "person_id"},
			"right": {"table": "benefits", "column": "person_id"},
		}],
	},
}

# decide is the default denials for an input.
decide(inp) := d if {
	d := jobs.deny with input as inp
}

# codes are the codes of the default denials for an input.
codes(inp) := {r.code | some r in decide(inp)}

# messages are the messages of the denials with a code.
messages(inp, code) := {r.message | some r in decide(inp); r.code == code}

# patch applies JSON-patch operations to the good input.
patch(ops) := json.patch(good, ops)

rep(path, v) := {"op": "replace", "path": path, "value": v}

add(path, v) := {"op": "add", "path": path, "value": v}

rm(path) := {"op": "remove", "path": path}

# use adds a column use to the good input's query.
use(t, c, ctx) := add("/query/uses/-", {"table": t, "column": c, "context": ctx})

use_fn(t, c, ctx, f) := add("/query/uses/-", {"table": t, "column": c, "context": ctx, "function": f})

# only holds when the input is denied with exactly the given codes.
only(ops, want) if codes(patch(ops)) == want

# allowed holds when the patched input is allowed.
allowed(ops) if count(decide(patch(ops))) == 0

test_good_input_is_allowed if {
	count(decide(good)) == 0
}
