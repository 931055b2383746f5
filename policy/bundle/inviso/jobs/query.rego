# Rules on an SQL job's query, as the analyser describes it: the tables, columns and the context
# each column is used in, the outputs, the functions, the joins and the constructs (features).
#
# The shape allowed: one SELECT over granted tables, grouped by dimension columns, returning
# group keys and allowed aggregates, filtered on dimension columns, joined (inner) on join-only
# pseudonyms. Everything else is refused.
#
# Column uses are read through `uses` (lib.rego), which keeps the uses of granted columns with
# their usage and class worked out once.
package inviso.jobs

import data.inviso.config

# --- tables and columns ------------------------------------------------------------------------

referenced_tables contains t if {
	some t in query_tables
	is_string(t)
}

referenced_tables contains t if {
	some [t, _] in referenced_columns
}

referenced_columns contains [u.table, u.column] if {
	some u in query_uses
	is_string(u.table)
	is_string(u.column)
}

referenced_columns contains [s.table, s.column] if {
	some j in query_joins
	some s in [object.get(j, "left", {}), object.get(j, "right", {})]
	is_string(s.table)
	is_string(s.column)
}

deny contains reason("table_not_granted", sprintf("table %s is not in grant %s", [name(t), grant_id])) if {
	some t in referenced_tables
	not granted_table(t)
}

deny contains reason("column_not_granted", sprintf("column %s is not in grant %s", [col(t, c), grant_id])) if {
	some [t, c] in referenced_columns
	granted_table(t)
	not granted_column(t, c)
}

# --- constructs --------------------------------------------------------------------------------

deny contains reason("feature_not_allowed", feature_message(f)) if {
	some f in query_features
	not f in config.features.allowed
}

feature_message(f) := m if {
	m := config.features.messages[f]
} else := sprintf("%s is not allowed in a query", [name(f)])

# --- outputs -----------------------------------------------------------------------------------

raw_rule := "every output must be a group key on a dimension column or an allowed aggregate"

deny contains reason("raw_output", sprintf("output %s returns a raw value per row: %s", [name(o.name), raw_rule])) if {
	some o in query_outputs
	o.kind == "projected_raw"
}

deny contains reason("output_not_allowed", sprintf("output %s is of kind %s, which the policy does not allow", [name(o.name), name(o.kind)])) if {
	some o in query_outputs
	is_string(o.kind)
	o.kind != "projected_raw"
	not o.kind in config.output_kinds
}

# --- column uses -------------------------------------------------------------------------------

known_contexts := {"group_key", "filter", "aggregate_arg", "join_key", "projected_raw", "scalar_arg", "order_key", "having"}

deny contains reason("use_not_allowed", sprintf("column %s is used as %s, which the policy does not know", [col(u.table, u.column), name(u.context)])) if {
	some u in uses
	not u.context in known_contexts
}

deny contains reason("raw_output", sprintf("column %s is returned raw, one value per row: %s", [col(u.table, u.column), raw_rule])) if {
	some u in uses
	u.context == "projected_raw"
}

# What a context asks of a column's usage. One rule reads each use once.
context_needs := {
	"group_key": {"usage": "dimension", "code": "group_key_not_dimension", "what": "be a group key", "only": "dimension"},
	"filter": {"usage": "dimension", "code": "filter_not_dimension", "what": "be filtered on", "only": "dimension"},
	"order_key": {"usage": "dimension", "code": "order_key_not_dimension", "what": "be ordered by", "only": "dimension"},
	"join_key": {"usage": "join_only", "code": "join_key_not_join_only", "what": "be a join key", "only": "join_only (hashed)"},
}

deny contains reason(need.code, sprintf("column %s (usage %s) cannot %s: only %s columns can", [col(u.table, u.column), u.usage, need.what, need.only])) if {
	some u in uses
	need := context_needs[u.context]
	u.usage != need.usage
}

deny contains reason("having_not_aggregate", sprintf("column %s is used in HAVING outside an aggregate: HAVING may only test aggregates", [col(u.table, u.column)])) if {
	some u in uses
	u.context == "having"
}

# Identifiers (and columns of an unknown class) may only be join keys or counted, whatever
# their usage says.
deny contains reason("identifier_not_allowed", sprintf("column %s is an identifier: it may only be a join key or counted", [col(u.table, u.column)])) if {
	some u in uses
	not u.class in known_classes
	u.context != "join_key"
	not counted(u)
}

counted(u) if {
	u.context == "aggregate_arg"
	u.function in config.aggregates.counting
}

# --- aggregates --------------------------------------------------------------------------------

aggregates_used contains fn(f.name) if {
	some f in query_functions
	f.kind == "aggregate"
}

aggregates_used contains fn(o.function) if {
	some o in query_outputs
	o.kind == "aggregate"
}

aggregates_used contains fn(u.function) if {
	some u in query_uses
	u.context == "aggregate_arg"
}

deny contains reason("aggregate_not_allowed", aggregate_message(f)) if {
	some f in aggregates_used
	not f in config.aggregates.allowed
}

aggregate_message(f) := sprintf("aggregate %s is not allowed: it returns one person's value, not a statistic of the group", [name(f)]) if {
	f in config.aggregates.value_returning
} else := sprintf("aggregate %s is not allowed: the allowed aggregates are %s", [name(f), concat(", ", config.aggregates.allowed)])

deny contains reason("aggregate_not_allowed", sprintf("%s(DISTINCT %s) is not allowed: only count may be DISTINCT", [name(u.function), col(u.table, u.column)])) if {
	some u in uses
	u.context == "aggregate_arg"
	u.distinct == true
	not u.function in config.aggregates.counting
}

deny contains reason("aggregate_not_allowed", sprintf("%s(%s) is not allowed: %s applies only to aggregate_only or dimension columns", [name(u.function), col(u.table, u.column), name(u.function)])) if {
	some u in uses
	u.context == "aggregate_arg"
	u.usage == "none"
	u.function in config.aggregates.allowed
	not u.function in config.aggregates.counting
}

deny contains reason("aggregate_on_join_key", sprintf("%s(%s) is not allowed: %s is a join key, which may only be counted", [name(u.function), col(u.table, u.column), col(u.table, u.column)])) if {
	some u in uses
	u.context == "aggregate_arg"
	u.usage == "join_only"
	not u.function in config.aggregates.counting
}

# --- scalar functions --------------------------------------------------------------------------

scalars_used contains fn(f.name) if {
	some f in query_functions
	f.kind == "scalar"
}

scalars_used contains fn(u.function) if {
	some u in query_uses
	u.context == "scalar_arg"
}

deny contains reason("scalar_not_allowed", sprintf("scalar function %s is not allowed", [name(f)])) if {
	some f in scalars_used
	not f in config.scalars.allowed
}

deny contains reason("scalar_on_non_dimension", sprintf("%s(%s) is not allowed: scalar functions apply only to dimension columns", [name(u.function), col(u.table, u.column)])) if {
	some u in uses
	u.context == "scalar_arg"
	u.usage != "dimension"
}

deny contains reason("function_not_allowed", sprintf("%s function %s is not allowed", [name(f.kind), name(f.name)])) if {
	some f in query_functions
	is_string(f.kind)
	not f.kind in {"aggregate", "scalar"}
}

# --- joins -------------------------------------------------------------------------------------

deny contains reason("join_not_inner", sprintf("%s join of %s and %s is not allowed: only inner joins are", [name(j.type), col(j.left.table, j.left.column), col(j.right.table, j.right.column)])) if {
	some j in query_joins
	is_string(j.type)
	not lower(j.type) in config.join_types
}

deny contains join_key_reason(t, c, u) if {
	some [t, c] in join_sides
	spec := input.grant.tables[t].columns[c]
	is_object(spec)
	u := object.get(usages, object.get(spec, "usage", ""), "none")
	u != "join_only"
}

join_sides contains [s.table, s.column] if {
	some j in query_joins
	some s in [object.get(j, "left", {}), object.get(j, "right", {})]
	is_string(s.table)
	is_string(s.column)
}

join_key_reason(t, c, u) := reason("join_key_not_join_only", sprintf("column %s (usage %s) cannot be a join key: only join_only (hashed) columns can", [col(t, c), u]))
