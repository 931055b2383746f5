package sqlgate

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/inviso/inviso/sandbox/fault"
)

// Column is what the gate knows of a workspace column.
type Column struct {
	Type  string `json:"type"`
	Class string `json:"class"`
	Usage string `json:"usage,omitempty"`
	Unit  bool   `json:"unit,omitempty"`
	// Lo and Hi are an aggregate_only column's clamp bounds (differential privacy).
	Lo, Hi *float64 `json:"-"`
	// InBounds: every value already lies within [Lo, Hi], so clamping can be skipped.
	InBounds bool `json:"-"`
}

// Table is a workspace table's columns by lower-case name.
type Table struct {
	Columns map[string]Column `json:"columns"`
	// MaxRowsPerUnit is the most rows one privacy unit has in the table (the workspace records
	// it). With 1, and no NULL units (workspaces hold none), count(*) counts distinct units.
	MaxRowsPerUnit int64 `json:"-"`
	// Rows is the table's row count (DP sizes its sums so none can overflow).
	Rows int64 `json:"-"`
}

// Schema is a grant's workspace: tables by lower-case name.
type Schema map[string]Table

// Use is one use of a column in a query.
type Use struct {
	Table    string `json:"table"`
	Column   string `json:"column"`
	Context  string `json:"context"`
	Function string `json:"function,omitempty"`
	Distinct bool   `json:"distinct,omitempty"`
}

// Output is one column of the result.
type Output struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"` // group_key, aggregate, projected_raw, constant
	Function string `json:"function,omitempty"`
}

// Function is a function the query calls.
type Function struct {
	Name string   `json:"name"`
	Kind FuncKind `json:"kind"`
}

// ColumnRef names a column of a table.
type ColumnRef struct {
	Table  string `json:"table"`
	Column string `json:"column"`
}

// Join is one join of the query.
type Join struct {
	Type  string    `json:"type"`
	Left  ColumnRef `json:"left"`
	Right ColumnRef `json:"right"`
}

// Analysis is what a query does, as the policy sees it (the "query" of the policy input).
type Analysis struct {
	Tables    []string   `json:"tables"`
	Features  []string   `json:"features"`
	Uses      []Use      `json:"uses"`
	Outputs   []Output   `json:"outputs"`
	Functions []Function `json:"functions"`
	Joins     []Join     `json:"joins"`

	instances []instance
	outs      []outInfo // per output, what the DP planner needs
}

// outInfo is what an output is made of: a group key (its index among the GROUP BY
// expressions), or a plain aggregate call (function, DISTINCT, argument column; nil for
// count(*)). group is -1 and fn empty for anything else.
type outInfo struct {
	group    int
	fn       string
	distinct bool
	arg      *ColumnRef
}

// instance is one table in FROM under its alias.
type instance struct{ alias, table string }

type analyser struct {
	p         *Parser
	schema    Schema
	a         *Analysis
	features  map[string]bool
	uses      map[Use]bool
	funcs     map[Function]bool
	groups    []string // canonical group expressions
	aliases   map[string]bool
	usingCols map[string]bool
}

// Analyse resolves a parsed query against a workspace schema. Constructs the default policy
// refuses but the walker recognises (subqueries, CTEs, windows, …) are reported as features and
// not descended into; anything it cannot classify is an error.
func (p *Parser) Analyse(t *Tree, schema Schema) (*Analysis, error) {
	an := &analyser{p: p, schema: schema, a: &Analysis{}, features: map[string]bool{}, uses: map[Use]bool{},
		funcs: map[Function]bool{}, aliases: map[string]bool{}, usingCols: map[string]bool{}}
	if err := an.node(t.root); err != nil {
		return nil, err
	}
	a := an.a
	a.Features = sortedSet(an.features)
	for u := range an.uses {
		a.Uses = append(a.Uses, u)
	}
	sort.Slice(a.Uses, func(i, j int) bool {
		x, y := a.Uses[i], a.Uses[j]
		return x.Table+"."+x.Column+"/"+x.Context+"/"+x.Function < y.Table+"."+y.Column+"/"+y.Context+"/"+y.Function
	})
	for f := range an.funcs {
		a.Functions = append(a.Functions, f)
	}
	sort.Slice(a.Functions, func(i, j int) bool { return a.Functions[i].Name < a.Functions[j].Name })
	seen := map[string]bool{}
	for _, in := range a.instances {
		if !seen[in.table] {
			seen[in.table] = true
			a.Tables = append(a.Tables, in.table)
		}
	}
	sort.Strings(a.Tables)
	for _, s := range []*[]string{&a.Tables, &a.Features} {
		if *s == nil {
			*s = []string{}
		}
	}
	if a.Uses == nil {
		a.Uses = []Use{}
	}
	if a.Functions == nil {
		a.Functions = []Function{}
	}
	if a.Joins == nil {
		a.Joins = []Join{}
	}
	if a.Outputs == nil {
		a.Outputs = []Output{}
	}
	return a, nil
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func unclassified(what string) error {
	return refuse("unclassified", "the query uses a construct the gate does not classify (%s); it is refused", what)
}

// empty reports whether a tree value carries nothing.
func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case []any:
		return len(x) == 0
	case map[string]any:
		for k, vv := range x {
			if k == "type" || k == "query_location" {
				continue
			}
			if !empty(vv) {
				return false
			}
		}
		return true
	case json.Number:
		return false
	}
	return false
}

// keys refuses a node with a non-empty key outside the allowed set.
func keys(n map[string]any, what string, allowed ...string) error {
	for k, v := range n {
		if k == "query_location" || slices.Contains(allowed, k) {
			continue
		}
		if !empty(v) {
			return unclassified(what + " with " + k)
		}
	}
	return nil
}

func str(n map[string]any, k string) string { s, _ := n[k].(string); return s }
func obj(n map[string]any, k string) map[string]any {
	m, _ := n[k].(map[string]any)
	return m
}
func list(n map[string]any, k string) []any { l, _ := n[k].([]any); return l }

// node analyses the statement's query node.
func (an *analyser) node(n map[string]any) error {
	switch str(n, "type") {
	case "SELECT_NODE":
	case "SET_OPERATION_NODE":
		an.features["set_operation"] = true
		return nil
	default:
		return unclassified("query node " + str(n, "type"))
	}
	if err := keys(n, "SELECT", "type", "modifiers", "cte_map", "select_list", "from_table", "where_clause",
		"group_expressions", "group_sets", "aggregate_handling", "having", "sample", "qualify"); err != nil {
		return err
	}
	if !empty(n["cte_map"]) {
		an.features["cte"] = true
		return nil
	}
	if !empty(n["sample"]) {
		an.features["sample"] = true
	}
	if !empty(n["qualify"]) {
		an.features["qualify"] = true
	}
	if h := str(n, "aggregate_handling"); h != "" && h != "STANDARD_HANDLING" {
		return refuse("group_by_all", "GROUP BY ALL is not allowed: name the group keys")
	}
	from := obj(n, "from_table")
	if from == nil || str(from, "type") == "EMPTY" {
		return refuse("no_table", "a query must read a table of the grant")
	}
	if err := an.from(from); err != nil {
		return err
	}
	if len(an.a.instances) == 0 {
		return nil // only unsupported sources (reported as features)
	}
	// Aliases of the select list, for ORDER BY.
	for _, it := range list(n, "select_list") {
		if m, ok := it.(map[string]any); ok && str(m, "alias") != "" {
			alias := strings.ToLower(str(m, "alias"))
			if strings.HasPrefix(alias, "__inviso") {
				return refuse("reserved_alias", "aliases starting with __inviso are reserved")
			}
			an.aliases[alias] = true
		}
	}
	if w := obj(n, "where_clause"); w != nil {
		an.features["filter"] = true
		if _, err := an.expr(w, "filter", ""); err != nil {
			return err
		}
	}
	groups := list(n, "group_expressions")
	if len(groups) > 0 {
		an.features["group_by"] = true
		for _, g := range groups {
			gm, ok := g.(map[string]any)
			if !ok {
				return unclassified("group expression")
			}
			if str(gm, "class") == "CONSTANT" {
				return refuse("positional_group", "GROUP BY by position is not allowed: name the group keys")
			}
			if _, err := an.expr(gm, "group_key", ""); err != nil {
				return err
			}
			c, err := an.canon(gm)
			if err != nil {
				return err
			}
			an.groups = append(an.groups, c)
		}
		sets := list(n, "group_sets")
		if len(sets) != 1 || len(list(map[string]any{"s": sets[0]}, "s")) != len(groups) {
			an.features["grouping_sets"] = true
		}
	} else if len(list(n, "group_sets")) > 1 {
		an.features["grouping_sets"] = true
	}
	if h := obj(n, "having"); h != nil {
		an.features["having"] = true
		if _, err := an.expr(h, "having", ""); err != nil {
			return err
		}
	}
	for i, it := range list(n, "select_list") {
		m, ok := it.(map[string]any)
		if !ok {
			return unclassified("select item")
		}
		if err := an.output(i, m); err != nil {
			return err
		}
	}
	for _, mod := range list(n, "modifiers") {
		m, _ := mod.(map[string]any)
		if err := an.modifier(m); err != nil {
			return err
		}
	}
	return nil
}

func (an *analyser) modifier(m map[string]any) error {
	switch str(m, "type") {
	case "ORDER_MODIFIER":
		an.features["order_by"] = true
		for _, o := range list(m, "orders") {
			om, _ := o.(map[string]any)
			e := obj(om, "expression")
			if e == nil {
				return unclassified("order item")
			}
			if str(e, "class") == "CONSTANT" {
				continue // ORDER BY position
			}
			if _, err := an.expr(e, "order_key", ""); err != nil {
				return err
			}
		}
	case "LIMIT_MODIFIER":
		for _, k := range []string{"limit", "offset"} {
			if e := obj(m, k); e != nil {
				if str(e, "class") != "CONSTANT" {
					return refuse("limit_expression", "LIMIT and OFFSET must be numbers")
				}
				an.features[k] = true
			}
		}
	case "DISTINCT_MODIFIER":
		if len(list(m, "distinct_on_targets")) > 0 {
			an.features["distinct_on"] = true
		} else {
			an.features["distinct"] = true
		}
	default:
		return unclassified("modifier " + str(m, "type"))
	}
	return nil
}

// from records the FROM clause's tables and joins.
func (an *analyser) from(n map[string]any) error {
	switch str(n, "type") {
	case "BASE_TABLE":
		if err := keys(n, "table reference", "type", "alias", "table_name", "schema_name", "catalog_name"); err != nil {
			return err
		}
		if str(n, "schema_name") != "" || str(n, "catalog_name") != "" {
			return refuse("qualified_table", "tables are named without schema or catalog")
		}
		table := strings.ToLower(str(n, "table_name"))
		if _, ok := an.schema[table]; !ok {
			return refuse("unknown_table", "the grant's workspace has no table %q", clipIdent(str(n, "table_name")))
		}
		alias := strings.ToLower(str(n, "alias"))
		if alias == "" {
			alias = table
		}
		for _, in := range an.a.instances {
			if in.alias == alias {
				return refuse("duplicate_alias", "the name %q is used for two tables; give each an alias", clipIdent(alias))
			}
		}
		an.a.instances = append(an.a.instances, instance{alias: alias, table: table})
	case "JOIN":
		if err := keys(n, "join", "type", "left", "right", "condition", "join_type", "ref_type", "using_columns", "duplicate_eliminated_columns", "delim_flipped"); err != nil {
			return err
		}
		an.features["join"] = true
		if rt := str(n, "ref_type"); rt != "REGULAR" {
			return refuse("join_kind", "%s joins are not allowed: use an inner join with an ON or USING condition", strings.ToLower(rt))
		}
		if err := an.from(obj(n, "left")); err != nil {
			return err
		}
		if err := an.from(obj(n, "right")); err != nil {
			return err
		}
		jt := strings.ToLower(str(n, "join_type"))
		if using := list(n, "using_columns"); len(using) > 0 {
			left, right := an.a.instances[len(an.a.instances)-2], an.a.instances[len(an.a.instances)-1]
			for _, u := range using {
				col := strings.ToLower(fmt.Sprint(u))
				an.usingCols[col] = true
				l, err := an.resolve([]string{left.alias, col}, "join_key")
				if err != nil {
					return err
				}
				r, err := an.resolve([]string{right.alias, col}, "join_key")
				if err != nil {
					return err
				}
				an.a.Joins = append(an.a.Joins, Join{Type: jt, Left: l, Right: r})
			}
			return nil
		}
		cond := obj(n, "condition")
		if cond == nil {
			return refuse("join_condition", "a join needs an ON or USING condition")
		}
		return an.joinCondition(cond, jt)
	case "TABLE_FUNCTION":
		an.features["table_function"] = true
	case "SUBQUERY":
		an.features["subquery"] = true
	case "PIVOT":
		an.features["pivot"] = true
	default:
		return unclassified("table source " + str(n, "type"))
	}
	return nil
}

func (an *analyser) joinCondition(c map[string]any, jt string) error {
	switch str(c, "class") {
	case "CONJUNCTION":
		if str(c, "type") != "CONJUNCTION_AND" {
			return refuse("join_condition", "join conditions may only combine equalities with AND")
		}
		for _, ch := range list(c, "children") {
			m, _ := ch.(map[string]any)
			if err := an.joinCondition(m, jt); err != nil {
				return err
			}
		}
		return nil
	case "COMPARISON":
		l, r := obj(c, "left"), obj(c, "right")
		if str(c, "type") != "COMPARE_EQUAL" || str(l, "class") != "COLUMN_REF" || str(r, "class") != "COLUMN_REF" {
			return refuse("join_condition", "join conditions must be equalities between two columns")
		}
		if q := qualifier(l); q != "" && q == qualifier(r) {
			return refuse("join_condition", "a join condition must compare a column of each joined table, not one table with itself")
		}
		lc, err := an.column(l, "join_key", "", false)
		if err != nil {
			return err
		}
		rc, err := an.column(r, "join_key", "", false)
		if err != nil {
			return err
		}
		an.a.Joins = append(an.a.Joins, Join{Type: jt, Left: lc, Right: rc})
		return nil
	}
	return refuse("join_condition", "join conditions must be equalities between two columns")
}

// qualifier is the table or alias a column reference names, lower-cased ("" if unqualified).
func qualifier(e map[string]any) string {
	names := list(e, "column_names")
	if len(names) != 2 {
		return ""
	}
	return strings.ToLower(fmt.Sprint(names[0]))
}

// exprInfo says what an expression contains.
type exprInfo struct {
	aggregate string // top-level aggregate function, if the expression is one
	hasAgg    bool
	raw       bool // a column outside any aggregate
}

// expr walks an expression; ctx is the context of column references outside aggregates.
func (an *analyser) expr(e map[string]any, ctx, inAgg string) (exprInfo, error) {
	var info exprInfo
	walk := func(children ...any) error {
		for _, c := range children {
			m, ok := c.(map[string]any)
			if !ok {
				if c == nil {
					continue
				}
				return unclassified("expression child")
			}
			ci, err := an.expr(m, ctx, inAgg)
			if err != nil {
				return err
			}
			info.hasAgg = info.hasAgg || ci.hasAgg
			info.raw = info.raw || ci.raw
		}
		return nil
	}
	common := []string{"class", "type", "alias"}
	switch str(e, "class") {
	case "COLUMN_REF":
		if err := keys(e, "column", append(common, "column_names")...); err != nil {
			return info, err
		}
		if ctx == "order_key" && inAgg == "" {
			names := list(e, "column_names")
			if len(names) == 1 && an.aliases[strings.ToLower(fmt.Sprint(names[0]))] {
				return info, nil // ORDER BY an output alias
			}
		}
		if _, err := an.column(e, ctx, inAgg, false); err != nil {
			return info, err
		}
		info.raw = inAgg == ""
		return info, nil
	case "CONSTANT":
		return info, keys(e, "constant", append(common, "value")...)
	case "FUNCTION":
		return an.function(e, ctx, inAgg)
	case "COMPARISON":
		if err := keys(e, "comparison", append(common, "left", "right")...); err != nil {
			return info, err
		}
		an.funcs[Function{Name: comparisonName(str(e, "type")), Kind: Scalar}] = true
		return info, walk(e["left"], e["right"])
	case "CONJUNCTION":
		if err := keys(e, "conjunction", append(common, "children")...); err != nil {
			return info, err
		}
		an.funcs[Function{Name: strings.ToLower(strings.TrimPrefix(str(e, "type"), "CONJUNCTION_")), Kind: Scalar}] = true
		return info, walk(list(e, "children")...)
	case "OPERATOR":
		if err := keys(e, "operator", append(common, "children")...); err != nil {
			return info, err
		}
		name := operatorName(str(e, "type"))
		if name == "" {
			return info, unclassified("operator " + str(e, "type"))
		}
		an.funcs[Function{Name: name, Kind: Scalar}] = true
		return info, walk(list(e, "children")...)
	case "BETWEEN":
		if err := keys(e, "between", append(common, "input", "lower", "upper")...); err != nil {
			return info, err
		}
		an.funcs[Function{Name: "between", Kind: Scalar}] = true
		return info, walk(e["input"], e["lower"], e["upper"])
	case "CAST":
		if err := keys(e, "cast", append(common, "child", "cast_type", "try_cast")...); err != nil {
			return info, err
		}
		if try, _ := e["try_cast"].(bool); !try {
			// A cast that fails on one person's value turns an error into an answer ("someone
			// here has a non-numeric district"); TRY_CAST yields NULL instead of failing.
			return info, refuse("cast_can_fail", "CAST can fail on one person's value and the failure itself would tell; use TRY_CAST")
		}
		an.features["cast"] = true
		return info, walk(e["child"])
	case "CASE":
		if err := keys(e, "case", append(common, "case_checks", "else_expr")...); err != nil {
			return info, err
		}
		an.features["case"] = true
		for _, c := range list(e, "case_checks") {
			m, _ := c.(map[string]any)
			if err := walk(m["when_expr"], m["then_expr"]); err != nil {
				return info, err
			}
		}
		return info, walk(e["else_expr"])
	case "STAR":
		an.features["star"] = true
		return info, nil
	case "SUBQUERY":
		an.features["subquery"] = true
		return info, nil
	case "WINDOW":
		an.features["window"] = true
		return info, nil
	case "POSITIONAL_REFERENCE":
		return info, refuse("positional_reference", "positional column references (#n) are not allowed")
	case "PARAMETER":
		return info, refuse("parameter", "query parameters are not allowed")
	}
	return info, unclassified("expression " + str(e, "class"))
}

func (an *analyser) function(e map[string]any, ctx, inAgg string) (exprInfo, error) {
	var info exprInfo
	if err := keys(e, "function", "class", "type", "alias", "function_name", "schema", "catalog", "children", "distinct", "is_operator", "order_bys", "filter", "export_state"); err != nil {
		return info, err
	}
	if str(e, "schema") != "" || str(e, "catalog") != "" {
		return info, refuse("qualified_function", "functions are called by their plain name (no schema or catalog)")
	}
	if !empty(e["filter"]) {
		return info, refuse("aggregate_filter", "FILTER clauses on aggregates are not allowed")
	}
	if !empty(e["order_bys"]) {
		return info, refuse("ordered_aggregate", "ORDER BY inside an aggregate is not allowed")
	}
	if !empty(e["export_state"]) {
		return info, unclassified("exported aggregate state")
	}
	name := strings.ToLower(str(e, "function_name"))
	if overflowing[name] {
		return info, refuse("operator_can_fail", "the operator %s can overflow on one person's value, and the error itself would tell; it is not allowed", name)
	}
	kind := an.p.Kind(name)
	if b, _ := e["is_operator"].(bool); b && kind == Unknown {
		kind = Scalar
	}
	distinct, _ := e["distinct"].(bool)
	an.funcs[Function{Name: name, Kind: kind}] = true
	switch kind {
	case Aggregate:
		if inAgg != "" {
			return info, refuse("nested_aggregate", "aggregates inside aggregates are not allowed")
		}
		info.hasAgg, info.aggregate = true, name
		for _, c := range list(e, "children") {
			m, ok := c.(map[string]any)
			if !ok {
				return info, unclassified("aggregate argument")
			}
			if _, err := an.exprDistinct(m, name, distinct); err != nil {
				return info, err
			}
		}
		return info, nil
	case Scalar, Macro:
		if distinct {
			return info, unclassified("DISTINCT in a scalar function")
		}
		for _, c := range list(e, "children") {
			m, ok := c.(map[string]any)
			if !ok {
				return info, unclassified("function argument")
			}
			if str(m, "class") == "COLUMN_REF" && !isOperator(name) {
				if _, err := an.column(m, "scalar_arg", name, false); err != nil {
					return info, err
				}
			}
			ci, err := an.expr(m, ctx, inAgg)
			if err != nil {
				return info, err
			}
			info.hasAgg = info.hasAgg || ci.hasAgg
			info.raw = info.raw || ci.raw
		}
		return info, nil
	case Window:
		an.features["window"] = true
		return info, nil
	case TableFunc:
		an.features["table_function"] = true
		return info, nil
	}
	return info, refuse("unknown_function", "unknown function %q", clipIdent(name))
}

// exprDistinct walks an aggregate's argument, which must be a plain column: a computed argument
// (CASE, arithmetic, a cast, a function) can make a large group's aggregate depend on one
// person (sum(CASE WHEN <isolating condition> THEN income END)) or fail on one person's value
// (an overflow), so it is refused outright.
func (an *analyser) exprDistinct(e map[string]any, agg string, distinct bool) (exprInfo, error) {
	if str(e, "class") != "COLUMN_REF" {
		return exprInfo{}, refuse("computed_aggregate_argument", "the argument of %s must be a plain column: computed arguments (CASE, arithmetic, casts, functions) can single out one person inside a group", agg)
	}
	if err := keys(e, "column", "class", "type", "alias", "column_names"); err != nil {
		return exprInfo{}, err
	}
	_, err := an.column(e, "aggregate_arg", agg, distinct)
	return exprInfo{}, err
}

// overflowing are the operators whose result can overflow (an error that depends on a value).
// Division (/) yields a double or NULL and never fails.
var overflowing = map[string]bool{"+": true, "-": true, "*": true, "%": true, "//": true, "^": true, "**": true, "<<": true, ">>": true, "abs": true, "add": true, "subtract": true, "multiply": true, "mod": true, "power": true, "pow": true, "factorial": true, "!__postfix": true}

func isOperator(name string) bool {
	return strings.IndexFunc(name, func(r rune) bool { return r >= 'a' && r <= 'z' }) < 0
}

// column resolves a column reference and records its use.
func (an *analyser) column(e map[string]any, ctx, fn string, distinct bool) (ColumnRef, error) {
	var names []string
	for _, n := range list(e, "column_names") {
		names = append(names, strings.ToLower(fmt.Sprint(n)))
	}
	if ctx == "aggregate_arg" || (ctx == "scalar_arg" && fn != "") {
		ref, err := an.resolveRef(names)
		if err != nil {
			return ColumnRef{}, err
		}
		an.uses[Use{Table: ref.Table, Column: ref.Column, Context: ctx, Function: fn, Distinct: distinct}] = true
		return ref, nil
	}
	return an.resolve(names, ctx)
}

func (an *analyser) resolve(names []string, ctx string) (ColumnRef, error) {
	ref, err := an.resolveRef(names)
	if err != nil {
		return ColumnRef{}, err
	}
	an.uses[Use{Table: ref.Table, Column: ref.Column, Context: ctx}] = true
	return ref, nil
}

func (an *analyser) resolveRef(names []string) (ColumnRef, error) {
	switch len(names) {
	case 1:
		var found []instance
		for _, in := range an.a.instances {
			if _, ok := an.schema[in.table].Columns[names[0]]; ok {
				found = append(found, in)
			}
		}
		switch {
		case len(found) == 0:
			return ColumnRef{}, refuse("unknown_column", "the grant's workspace has no column %q", clipIdent(names[0]))
		case len(found) > 1 && !an.usingCols[names[0]]:
			return ColumnRef{}, refuse("ambiguous_column", "column %q is in several tables; qualify it", clipIdent(names[0]))
		}
		return ColumnRef{Table: found[0].table, Column: names[0]}, nil
	case 2:
		for _, in := range an.a.instances {
			if in.alias == names[0] {
				if _, ok := an.schema[in.table].Columns[names[1]]; !ok {
					return ColumnRef{}, refuse("unknown_column", "table %q has no column %q in the grant's workspace", clipIdent(in.table), clipIdent(names[1]))
				}
				return ColumnRef{Table: in.table, Column: names[1]}, nil
			}
		}
		return ColumnRef{}, refuse("unknown_table", "no table or alias %q in FROM", clipIdent(names[0]))
	}
	return ColumnRef{}, refuse("qualified_column", "columns are named as column or table.column")
}

// output classifies one select item.
func (an *analyser) output(i int, e map[string]any) error {
	name := str(e, "alias")
	if name == "" {
		name = fmt.Sprintf("column%d", i)
		if str(e, "class") == "COLUMN_REF" {
			names := list(e, "column_names")
			name = fmt.Sprint(names[len(names)-1])
		} else if str(e, "class") == "FUNCTION" {
			name = strings.ToLower(str(e, "function_name"))
		}
	}
	c, err := an.canon(e)
	if err != nil {
		return err
	}
	if g := slices.Index(an.groups, c); g >= 0 {
		if _, err := an.expr(e, "group_key", ""); err != nil {
			return err
		}
		an.a.Outputs = append(an.a.Outputs, Output{Name: name, Kind: "group_key"})
		an.a.outs = append(an.a.outs, outInfo{group: g})
		return nil
	}
	oi := outInfo{group: -1}
	if str(e, "class") == "FUNCTION" && an.p.Kind(strings.ToLower(str(e, "function_name"))) == Aggregate {
		oi.fn = strings.ToLower(str(e, "function_name"))
		oi.distinct, _ = e["distinct"].(bool)
		if ch := list(e, "children"); len(ch) == 1 {
			if m, ok := ch[0].(map[string]any); ok && str(m, "class") == "COLUMN_REF" {
				var names []string
				for _, n := range list(m, "column_names") {
					names = append(names, strings.ToLower(fmt.Sprint(n)))
				}
				if ref, err := an.resolveRef(names); err == nil {
					oi.arg = &ref
				}
			}
		}
	}
	an.a.outs = append(an.a.outs, oi)
	info, err := an.expr(e, "projected_raw", "")
	if err != nil {
		return err
	}
	out := Output{Name: name, Kind: "constant"}
	switch {
	case info.raw:
		out.Kind = "projected_raw"
	case info.hasAgg:
		out.Kind, out.Function = "aggregate", info.aggregate
	}
	an.a.Outputs = append(an.a.Outputs, out)
	return nil
}

// canon renders an expression for structural comparison: without aliases and positions, and
// with column references resolved to table.column.
func (an *analyser) canon(e map[string]any) (string, error) {
	var strip func(v any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, vv := range x {
				if k == "alias" || k == "query_location" {
					continue
				}
				out[k] = strip(vv)
			}
			if str(x, "class") == "COLUMN_REF" {
				var names []string
				for _, n := range list(x, "column_names") {
					names = append(names, strings.ToLower(fmt.Sprint(n)))
				}
				if ref, err := an.resolveRef(names); err == nil {
					out["column_names"] = []any{ref.Table, ref.Column}
				}
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i := range x {
				out[i] = strip(x[i])
			}
			return out
		}
		return v
	}
	b, err := appendJSON(nil, strip(e))
	return string(b), err
}

func comparisonName(t string) string {
	return map[string]string{
		"COMPARE_EQUAL": "=", "COMPARE_NOTEQUAL": "<>", "COMPARE_LESSTHAN": "<", "COMPARE_GREATERTHAN": ">",
		"COMPARE_LESSTHANOREQUALTO": "<=", "COMPARE_GREATERTHANOREQUALTO": ">=", "COMPARE_DISTINCT_FROM": "is_distinct_from",
		"COMPARE_NOT_DISTINCT_FROM": "is_not_distinct_from",
	}[t]
}

func operatorName(t string) string {
	return map[string]string{
		"COMPARE_IN": "in", "COMPARE_NOT_IN": "not_in", "OPERATOR_NOT": "not", "OPERATOR_IS_NULL": "is_null",
		"OPERATOR_IS_NOT_NULL": "is_not_null", "OPERATOR_COALESCE": "coalesce",
	}[t]
}

func clipIdent(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

var _ = fault.InvalidInput
