# Tests of the rules on an SQL job's query.
package inviso.jobs_test

# --- tables and columns ---

test_table_not_granted if {
	only([add("/query/tables/-", "salaries")], {"table_not_granted"})
	messages(patch([add("/query/tables/-", "salaries")]), "table_not_granted") == {"table salaries is not in grant gr_1"}
}

test_table_not_granted_from_uses_and_joins if {
	# A table only seen in a column use or a join is checked too.
	only([use("salaries", "amount", "filter")], {"table_not_granted"})
	only([rep("/query/joins/0/right", {"table": "salaries", "column": "person_id"})], {"table_not_granted"})
}

test_column_not_granted if {
	only([use_fn("citizens", "salary", "aggregate_arg", "avg")], {"column_not_granted"})
	messages(patch([use_fn("citizens", "salary", "aggregate_arg", "avg")]), "column_not_granted") == {"column citizens.salary is not in grant gr_1"}
	only([rep("/query/joins/0/left/column", "ssn")], {"column_not_granted"})
}

test_column_not_granted_is_the_only_reason_for_its_uses if {
	# An ungranted column has no usage: its contexts add no further reasons.
	only([use("citizens", "salary", "group_key"), use("citizens", "salary", "filter")], {"column_not_granted"})
}

test_granted_columns_allowed if {
	allowed([use("citizens", "program", "group_key"), use("benefits", "kind", "group_key")])
}

# --- constructs ---

test_feature_not_allowed_each if {
	every f in ["subquery", "cte", "set_operation", "window", "qualify", "pivot", "grouping_sets", "distinct_on", "table_function", "sample", "star", "distinct", "offset", "recursive_cte"] {
		only([add("/query/features/-", f)], {"feature_not_allowed"})
	}
}

test_feature_not_allowed_one_reason_per_feature if {
	inp := patch([add("/query/features/-", "subquery"), add("/query/features/-", "window"), add("/query/features/-", "star")])
	count(decide(inp)) == 3
	messages(inp, "feature_not_allowed") == {
		"subqueries are not allowed: write one SELECT over the granted tables",
		"window functions are not allowed: they compute a value per row",
		"* is not allowed: name the group keys and aggregates you want",
	}
}

test_feature_unknown_named if {
	messages(patch([add("/query/features/-", "lateral_join")]), "feature_not_allowed") == {"lateral_join is not allowed in a query"}
}

test_features_allowed if {
	allowed([rep("/query/features", ["group_by", "filter", "join", "order_by", "limit", "having", "case", "cast"])])
}

# --- outputs ---

test_raw_output if {
	only([add("/query/outputs/-", {"name": "income", "kind": "projected_raw"})], {"raw_output"})
	messages(patch([add("/query/outputs/-", {"name": "x", "kind": "projected_raw"})]), "raw_output") == {"output x returns a raw value per row: every output must be a group key on a dimension column or an allowed aggregate"}
}

test_raw_output_of_a_column if {
	only([use("citizens", "income", "projected_raw")], {"raw_output"})

	# Even a public dimension column may not be returned row by row.
	only([use("citizens", "program", "projected_raw")], {"raw_output"})
	messages(patch([use("citizens", "income", "projected_raw")]), "raw_output") == {"column citizens.income is returned raw, one value per row: every output must be a group key on a dimension column or an allowed aggregate"}
}

test_output_not_allowed if {
	only([add("/query/outputs/-", {"name": "r", "kind": "row"})], {"output_not_allowed"})
}

test_constant_output_allowed if allowed([add("/query/outputs/-", {"name": "one", "kind": "constant"})])

# --- column uses ---

test_use_not_allowed if {
	only([use("citizens", "district", "lambda_arg")], {"use_not_allowed"})
}

test_group_key_not_dimension if {
	only([use("citizens", "income", "group_key")], {"group_key_not_dimension"})
	only([use("citizens", "phone", "group_key")], {"group_key_not_dimension"})
	messages(patch([use("citizens", "income", "group_key")]), "group_key_not_dimension") == {"column citizens.income (usage aggregate_only) cannot be a group key: only dimension columns can"}
	messages(patch([use("citizens", "phone", "group_key")]), "group_key_not_dimension") == {"column citizens.phone (usage none) cannot be a group key: only dimension columns can"}
}

test_group_key_on_identifier if {
	codes(patch([use("citizens", "person_id", "group_key")])) == {"group_key_not_dimension", "identifier_not_allowed"}
}

test_group_key_dimension_allowed if allowed([use("citizens", "birth_date", "group_key")])

test_filter_not_dimension if {
	only([use("citizens", "income", "filter")], {"filter_not_dimension"})
	messages(patch([use("citizens", "income", "filter")]), "filter_not_dimension") == {"column citizens.income (usage aggregate_only) cannot be filtered on: only dimension columns can"}
	codes(patch([use("benefits", "person_id", "filter")])) == {"filter_not_dimension", "identifier_not_allowed"}
}

test_filter_dimension_allowed if allowed([use("citizens", "program", "filter")])

test_order_key_not_dimension if only([use("citizens", "income", "order_key")], {"order_key_not_dimension"})

test_order_key_dimension_allowed if allowed([use("citizens", "program", "order_key")])

test_having_not_aggregate if {
	only([add("/query/features/-", "having"), use("citizens", "district", "having")], {"having_not_aggregate"})
}

test_having_on_aggregate_allowed if {
	allowed([add("/query/features/-", "having"), use_fn("citizens", "income", "aggregate_arg", "avg")])
}

test_identifier_not_allowed_whatever_its_usage if {
	# A grant that (wrongly) makes an identifier a dimension still cannot group or filter on it.
	inp := patch([
		rep("/grant/tables/citizens/columns/person_id/usage", "dimension"),
		rep("/query/joins", []),
		rm("/query/uses/8"), rm("/query/uses/7"),
		use("citizens", "person_id", "group_key"),
	])
	codes(inp) == {"identifier_not_allowed"}
	messages(inp, "identifier_not_allowed") == {"column citizens.person_id is an identifier: it may only be a join key or counted"}
}

test_unknown_class_is_an_identifier if {
	only([rep("/grant/tables/citizens/columns/district/class", "secret")], {"identifier_not_allowed"})
	only([rm("/grant/tables/citizens/columns/district/class")], {"identifier_not_allowed"})
}

test_identifier_counted_or_joined_allowed if {
	allowed([
		add("/query/uses/-", {"table": "benefits", "column": "person_id", "context": "aggregate_arg", "function": "count", "distinct": true}),
		use_fn("citizens", "person_id", "aggregate_arg", "COUNT"),
	])
}

# --- aggregates ---

test_value_aggregates_not_allowed if {
	every f in ["min", "max", "median", "quantile_cont", "mode", "string_agg", "list", "array_agg", "first", "last", "any_value", "arg_max", "arg_min", "histogram"] {
		only([use_fn("citizens", "income", "aggregate_arg", f)], {"aggregate_not_allowed"})
		messages(patch([use_fn("citizens", "income", "aggregate_arg", f)]), "aggregate_not_allowed") == {sprintf("aggregate %s is not allowed: it returns one person's value, not a statistic of the group", [f])}
	}
}

test_value_aggregate_seen_in_functions_or_outputs if {
	only([add("/query/functions/-", {"name": "max", "kind": "aggregate"})], {"aggregate_not_allowed"})
	only([add("/query/outputs/-", {"name": "m", "kind": "aggregate", "function": "MAX"})], {"aggregate_not_allowed"})

	# The three sightings of one aggregate give one reason.
	inp := patch([
		add("/query/functions/-", {"name": "max", "kind": "aggregate"}),
		add("/query/outputs/-", {"name": "m", "kind": "aggregate", "function": "max"}),
		use_fn("citizens", "income", "aggregate_arg", "max"),
	])
	count(decide(inp)) == 1
}

test_unknown_aggregate_not_allowed if {
	messages(patch([use_fn("citizens", "income", "aggregate_arg", "regr_slope")]), "aggregate_not_allowed") == {"aggregate regr_slope is not allowed: the allowed aggregates are count_star, count, sum, avg, stddev_samp, var_samp"}
}

test_only_count_may_be_distinct if {
	inp := patch([add("/query/uses/-", {"table": "citizens", "column": "income", "context": "aggregate_arg", "function": "sum", "distinct": true})])
	codes(inp) == {"aggregate_not_allowed"}
	messages(inp, "aggregate_not_allowed") == {"sum(DISTINCT citizens.income) is not allowed: only count may be DISTINCT"}
}

test_statistic_on_unusable_column if {
	inp := patch([use_fn("citizens", "phone", "aggregate_arg", "avg")])
	codes(inp) == {"aggregate_not_allowed"}
	messages(inp, "aggregate_not_allowed") == {"avg(citizens.phone) is not allowed: avg applies only to aggregate_only or dimension columns"}
}

test_allowed_aggregates if {
	allowed([
		use_fn("citizens", "income", "aggregate_arg", "stddev_samp"),
		use_fn("citizens", "income", "aggregate_arg", "VAR_SAMP"),
		use_fn("citizens", "birth_date", "aggregate_arg", "avg"),
		use_fn("citizens", "phone", "aggregate_arg", "count"),
		add("/query/uses/-", {"table": "citizens", "column": "district", "context": "aggregate_arg", "function": "count", "distinct": true}),
		add("/query/functions/-", {"name": "stddev_samp", "kind": "aggregate"}),
	])
}

test_aggregate_on_join_key if {
	inp := patch([use_fn("citizens", "person_id", "aggregate_arg", "sum")])
	codes(inp) == {"aggregate_on_join_key", "identifier_not_allowed"}
	messages(inp, "aggregate_on_join_key") == {"sum(citizens.person_id) is not allowed: citizens.person_id is a join key, which may only be counted"}
	codes(patch([use_fn("citizens", "person_id", "aggregate_arg", "max")])) == {"aggregate_on_join_key", "aggregate_not_allowed", "identifier_not_allowed"}
}

# --- scalar functions ---

test_scalar_not_allowed if {
	only([use_fn("citizens", "district", "scalar_arg", "md5")], {"scalar_not_allowed"})
	only([add("/query/functions/-", {"name": "read_blob", "kind": "scalar"})], {"scalar_not_allowed"})
	only([use_fn("citizens", "birth_date", "scalar_arg", "%")], {"scalar_not_allowed"})
	messages(patch([use_fn("citizens", "district", "scalar_arg", "hash")]), "scalar_not_allowed") == {"scalar function hash is not allowed"}
}

test_scalar_on_non_dimension if {
	only([use_fn("citizens", "income", "scalar_arg", "floor")], {"scalar_on_non_dimension"})
	only([use_fn("citizens", "income", "scalar_arg", "*")], {"scalar_on_non_dimension"})
	messages(patch([use_fn("citizens", "income", "scalar_arg", "FLOOR")]), "scalar_on_non_dimension") == {"floor(citizens.income) is not allowed: scalar functions apply only to dimension columns"}
}

test_scalars_on_dimensions_allowed if {
	allowed([
		use_fn("citizens", "birth_date", "scalar_arg", "floor"),
		use_fn("citizens", "birth_date", "scalar_arg", "/"),
		use_fn("citizens", "district", "scalar_arg", "lower"),
		use_fn("citizens", "program", "scalar_arg", "CAST"),
		use_fn("citizens", "program", "scalar_arg", "case"),
		add("/query/features/-", "case"),
		add("/query/features/-", "cast"),
		add("/query/functions/-", {"name": "year", "kind": "scalar"}),
		add("/query/functions/-", {"name": "between", "kind": "scalar"}),
	])
}

test_function_not_allowed if {
	only([add("/query/functions/-", {"name": "row_number", "kind": "window"})], {"function_not_allowed"})
	only([add("/query/functions/-", {"name": "read_csv", "kind": "table"})], {"function_not_allowed"})
	messages(patch([add("/query/functions/-", {"name": "read_csv", "kind": "table"})]), "function_not_allowed") == {"table function read_csv is not allowed"}
}

# --- joins ---

test_join_not_inner if {
	only([rep("/query/joins/0/type", "left")], {"join_not_inner"})
	only([rep("/query/joins/0/type", "cross")], {"join_not_inner"})
	messages(patch([rep("/query/joins/0/type", "full")]), "join_not_inner") == {"full join of citizens.person_id and benefits.person_id is not allowed: only inner joins are"}
}

test_join_inner_any_case_allowed if allowed([rep("/query/joins/0/type", "INNER")])

test_join_key_not_join_only if {
	inp := patch([
		add("/query/joins/-", {"type": "inner", "left": {"table": "citizens", "column": "program"}, "right": {"table": "benefits", "column": "kind"}}),
		use("citizens", "program", "join_key"),
		use("benefits", "kind", "join_key"),
	])
	codes(inp) == {"join_key_not_join_only"}
	messages(inp, "join_key_not_join_only") == {
		"column citizens.program (usage dimension) cannot be a join key: only join_only (hashed) columns can",
		"column benefits.kind (usage dimension) cannot be a join key: only join_only (hashed) columns can",
	}
}

# --- everything at once ---

test_every_reason_at_once if {
	inp := patch([
		rep("/grant/state", "revoked"),
		add("/query/tables/-", "salaries"),
		add("/query/features/-", "subquery"),
		add("/query/features/-", "window"),
		add("/query/outputs/-", {"name": "x", "kind": "projected_raw"}),
		use("citizens", "income", "projected_raw"),
		use("citizens", "income", "group_key"),
		use("citizens", "income", "filter"),
		use_fn("citizens", "income", "aggregate_arg", "max"),
		use_fn("citizens", "income", "scalar_arg", "md5"),
		rep("/query/joins/0/type", "left"),
	])
	codes(inp) == {
		"grant_inactive", "table_not_granted", "feature_not_allowed", "raw_output",
		"group_key_not_dimension", "filter_not_dimension", "aggregate_not_allowed",
		"scalar_not_allowed", "scalar_on_non_dimension", "join_not_inner",
	}
	count(messages(inp, "feature_not_allowed")) == 2
	count(messages(inp, "raw_output")) == 2
}
