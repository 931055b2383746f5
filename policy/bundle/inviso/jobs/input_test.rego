# Tests of the input shape checks: a missing or mistyped field is a denial, never a pass.
package inviso.jobs_test

test_missing_job_fields if {
	every path in [
		"/now", "/principal", "/principal/id", "/job", "/job/kind", "/grant", "/grant/id",
		"/grant/state", "/grant/developer", "/grant/valid_until", "/grant/job_budget",
		"/grant/jobs_used", "/grant/job_kinds", "/grant/tables",
	] {
		"input_invalid" in codes(patch([rm(path)]))
	}
}

test_missing_query_fields_of_an_sql_job if {
	every path in ["/query", "/query/tables", "/query/features", "/query/uses", "/query/outputs", "/query/functions", "/query/joins"] {
		"input_invalid" in codes(patch([rm(path)]))
	}
}

test_misnamed_list_is_refused if {
	# A list under a wrong name must not read as an empty list.
	only([rm("/query/uses"), add("/query/use", [])], {"input_invalid"})
}

test_null_lists_are_empty if {
	allowed([rep("/query/features", null)])
	only([rep("/grant/job_kinds", null)], {"job_kind_not_granted"})
}

test_wrong_types if {
	only([rep("/grant/jobs_used", "3")], {"input_invalid"})
	codes(patch([rep("/grant/tables", [])])) == {"input_invalid", "table_not_granted"}
	only([rep("/query/uses", {})], {"input_invalid"})
	"input_invalid" in codes(patch([rep("/grant", "gr_1")]))
	"input_invalid" in codes(patch([rep("/principal/id", "")]))
	"input_invalid" in codes(patch([rep("/grant/developer", "")]))
}

test_empty_ids_do_not_match if {
	# An empty caller and an empty grantee are not the same person: both are invalid.
	codes(patch([rep("/principal/id", ""), rep("/grant/developer", "")])) == {"input_invalid"}
}

test_bad_timestamps if {
	only([rep("/now", "yesterday")], {"input_invalid"})
	only([rep("/grant/valid_until", "2027-01-01")], {"input_invalid"})
	only([rep("/grant/valid_until", 1798761600)], {"input_invalid"})
	messages(patch([rep("/now", "tomorrow")]), "input_invalid") == {"the policy input has no valid now (timestamp expected); the job is refused"}
}

test_malformed_elements if {
	only([add("/query/uses/-", {"table": "citizens", "column": "district"})], {"input_invalid"})
	only([add("/query/uses/-", "citizens.district")], {"input_invalid"})
	only([add("/query/outputs/-", {"kind": "constant"})], {"input_invalid"})
	only([add("/query/functions/-", {"name": "lower"})], {"input_invalid"})
	only([add("/query/tables/-", 7)], {"input_invalid"})
	codes(patch([add("/query/features/-", "")])) == {"input_invalid", "feature_not_allowed"}
	some msg in messages(patch([add("/query/uses/-", {"table": "citizens", "column": "district"})]), "input_invalid")
	startswith(msg, "the policy input has no valid query.uses[9] (")
}

test_malformed_joins if {
	"input_invalid" in codes(patch([add("/query/joins/-", {"type": "inner"})]))
	"input_invalid" in codes(patch([add("/query/joins/-", {"type": "inner", "left": {"table": "citizens", "column": "person_id"}, "right": "benefits"})]))
}

test_functions_required_in_aggregate_and_scalar_uses if {
	"input_invalid" in codes(patch([use("citizens", "income", "aggregate_arg")]))
	"input_invalid" in codes(patch([use("citizens", "district", "scalar_arg")]))
	"input_invalid" in codes(patch([add("/query/outputs/-", {"name": "s", "kind": "aggregate"})]))
}

test_distinct_must_be_boolean if {
	only([add("/query/uses/-", {"table": "citizens", "column": "income", "context": "aggregate_arg", "function": "sum", "distinct": "true"})], {"input_invalid"})
}

test_every_job_kind_needs_a_query if {
	# A plugin or homomorphic job releases through a query too: without one it is refused.
	"input_invalid" in codes(patch([rm("/query"), rep("/job/kind", "plugin"), rep("/grant/job_kinds", ["plugin"])]))
	"input_invalid" in codes(patch([rm("/query"), rep("/job/kind", "he"), rep("/grant/job_kinds", ["he"])]))
}

test_unknown_job_kind_needs_no_query if {
	# A kind the policy has no rules for is refused for that alone.
	codes(patch([rm("/query"), rep("/job/kind", "shell"), rep("/grant/job_kinds", ["shell"])])) == {"job_kind_unsupported"}
}

test_empty_input if {
	inp := {}
	"input_invalid" in codes(inp)
	not "grant_inactive" in codes(inp)
}
