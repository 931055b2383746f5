# Package inviso.jobs decides whether a job may run under a grant.
#
# The decision is the set `deny` of reasons {"code", "message"}: the job may run when, and only
# when, the set is empty. The Go side reads nothing but `deny` (and the `deny` sets of operator
# modules under inviso.extra), so no rule can say "allow". Every rule adds reasons; none removes.
#
# Messages name grants, tables, columns, functions and constructs. They never carry a data value:
# the input holds none.
#
# The allow-lists are data, in data.inviso.config (config/data.json next to this file).
#
# Malformed input is a denial (input_invalid), never a silent pass: a rule whose input is missing
# would otherwise just not fire.
package inviso.jobs

# reason is one denial.
reason(code, message) := {"code": code, "message": message}

# name is a name fit for a message: clipped, and "?" when it is not a string.
name(s) := s if {
	is_string(s)
	count(s) <= 64
} else := sprintf("%s…", [substring(s, 0, 64)]) if {
	is_string(s)
} else := "?"

# fn is a function name as the allow-lists spell it (DuckDB names are case-insensitive).
fn(s) := lower(s) if is_string(s)

else := ""

grant_id := name(input.grant.id)

# --- input shape -------------------------------------------------------------------------------

rfc3339 := `^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$`

# has_type holds when x is of the named type. Absent values are looked up as false, which is of
# no type here, so a missing field is never taken for an empty one.
has_type("name", x) if is_name(x)

has_type("string", x) if is_string(x)

has_type("timestamp", x) if {
	is_string(x)
	regex.match(rfc3339, x)
}

has_type("number", x) if is_number(x)

has_type("object", x) if is_object(x)

# A list may be null: Go encodes an empty slice that way.
has_type("list", x) if is_array(x)

has_type("list", x) if is_null(x)

has_type("boolean", x) if is_boolean(x)

# Fields every job's input must have. Checked on every job, so the common case (all present) is
# one rule with direct references; the list below only names what is wrong.
job_input_ok if {
	has_type("timestamp", input.now)
	is_name(input.principal.id)
	is_name(input.job.kind)
	is_name(input.grant.id)
	is_name(input.grant.state)
	is_name(input.grant.developer)
	has_type("timestamp", input.grant.valid_until)
	is_number(input.grant.job_budget)
	is_number(input.grant.jobs_used)
	has_type("list", input.grant.job_kinds)
	is_object(input.grant.tables)
}

job_fields := [
	[["now"], "timestamp"],
	[["principal", "id"], "name"],
	[["job", "kind"], "name"],
	[["grant", "id"], "name"],
	[["grant", "state"], "name"],
	[["grant", "developer"], "name"],
	[["grant", "valid_until"], "timestamp"],
	[["grant", "job_budget"], "number"],
	[["grant", "jobs_used"], "number"],
	[["grant", "job_kinds"], "list"],
	[["grant", "tables"], "object"],
]

# Fields an SQL job's input must have.
query_input_ok if {
	is_object(input.query)
	has_type("list", input.query.tables)
	has_type("list", input.query.features)
	has_type("list", input.query.uses)
	has_type("list", input.query.outputs)
	has_type("list", input.query.functions)
	has_type("list", input.query.joins)
}

query_fields := [
	[["query"], "object"],
	[["query", "tables"], "list"],
	[["query", "features"], "list"],
	[["query", "uses"], "list"],
	[["query", "outputs"], "list"],
	[["query", "functions"], "list"],
	[["query", "joins"], "list"],
]

invalid(what, typ) := reason("input_invalid", sprintf("the policy input has no valid %s (%s expected); the job is refused", [what, typ]))

field_errors contains invalid(concat(".", path), typ) if {
	not job_input_ok
	some [path, typ] in job_fields
	not has_type(typ, object.get(input, path, false))
}

field_errors contains invalid(concat(".", path), typ) if {
	sql_job
	not query_input_ok
	some [path, typ] in query_fields
	not has_type(typ, object.get(input, path, false))
}

deny contains r if some r in field_errors

# Should the lists above ever disagree with the checks, the input is still refused.
deny contains invalid("input", "the documented shape") if {
	not job_input_ok
	count(field_errors) == 0
}

deny contains invalid("input", "the documented shape") if {
	sql_job
	not query_input_ok
	count(field_errors) == 0
}

# The elements of the query's lists.

is_name(x) if {
	is_string(x)
	x != ""
}

deny contains invalid(sprintf("query.tables[%d]", [i]), "a name") if {
	some i, x in query_tables
	not is_name(x)
}

deny contains invalid(sprintf("query.features[%d]", [i]), "a name") if {
	some i, x in query_features
	not is_name(x)
}

deny contains invalid(sprintf("query.uses[%d]", [i]), `{"table", "column", "context"}, a "function" for aggregate_arg and scalar_arg, a boolean "distinct" if any`) if {
	some i, u in query_uses
	not valid_use(u)
}

valid_use(u) if {
	is_name(u.table)
	is_name(u.column)
	is_name(u.context)
	is_boolean(object.get(u, "distinct", false))
	function_named(u)
}

function_named(u) if not u.context in {"aggregate_arg", "scalar_arg"}

function_named(u) if is_name(u.function)

deny contains invalid(sprintf("query.outputs[%d]", [i]), `{"name", "kind"}, a "function" for an aggregate`) if {
	some i, o in query_outputs
	not valid_output(o)
}

valid_output(o) if {
	is_string(o.name)
	is_name(o.kind)
	o.kind != "aggregate"
}

valid_output(o) if {
	is_string(o.name)
	o.kind == "aggregate"
	is_name(o.function)
}

deny contains invalid(sprintf("query.functions[%d]", [i]), `{"name", "kind"}`) if {
	some i, f in query_functions
	not valid_function(f)
}

valid_function(f) if {
	is_name(f.name)
	is_name(f.kind)
}

deny contains invalid(sprintf("query.joins[%d]", [i]), `{"type", "left": {"table", "column"}, "right": {"table", "column"}}`) if {
	some i, j in query_joins
	not valid_join(j)
}

valid_join(j) if {
	is_name(j.type)
	is_name(j.left.table)
	is_name(j.left.column)
	is_name(j.right.table)
	is_name(j.right.column)
}

# Every kind of job is released through a query (a homomorphic job's group sums, a plugin
# job's release query), and every query is held to the same rules.
sql_job if input.job.kind in {"sql", "he", "plugin"}

# The query's lists, empty when absent or null (absence is refused above).
query_tables := list(input.query.tables)

query_features := list(input.query.features)

query_uses := list(input.query.uses)

query_outputs := list(input.query.outputs)

query_functions := list(input.query.functions)

query_joins := list(input.query.joins)

list(x) := x if is_array(x)

else := []

# --- the grant's columns -----------------------------------------------------------------------

granted_table(t) if is_object(input.grant.tables[t])

granted_column(t, c) if is_object(input.grant.tables[t].columns[c])

# usages are the usages the policy knows; a column with any other is usable nowhere.
usages := {"dimension": "dimension", "aggregate_only": "aggregate_only", "join_only": "join_only"}

# known_classes: any other class is treated as identifier (the most sensitive).
known_classes := {"public", "quasi_identifier", "sensitive"}

# uses are the query's uses of granted columns (the others are refused as column_not_granted),
# with their usage and lower-case function worked out once.
uses contains x if {
	some u in query_uses
	spec := input.grant.tables[u.table].columns[u.column]
	is_object(spec)
	x := {
		"table": u.table,
		"column": u.column,
		"context": u.context,
		"function": fn(object.get(u, "function", "")),
		"distinct": object.get(u, "distinct", false),
		"usage": object.get(usages, object.get(spec, "usage", ""), "none"),
		"class": object.get(spec, "class", ""),
	}
}

col(t, c) := sprintf("%s.%s", [name(t), name(c)])
