package sqlgate

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// DP limits of the planner.
const (
	// dpQuanta is how many grid steps the larger clamp bound spans at most: sums are taken of
	// values snapped to a power-of-two grid, so noise is added to integers and (S+Z)·γ is exact.
	dpQuanta = 1 << 16
)

// DPSettings are one query's contribution bounds.
type DPSettings struct {
	MaxGroups int64 // groups of the query one privacy unit counts in
	MaxRows   int64 // rows of one unit counted in one group
	Seed      int64 // orders each unit's groups when more than MaxGroups must be dropped
}

// MeasureKind is what a noised aggregate sums per group.
type MeasureKind string

// Measure kinds.
const (
	MeasureUnits MeasureKind = "units" // distinct privacy units
	MeasureRows  MeasureKind = "rows"  // rows, at most MaxRows per unit
	MeasureCount MeasureKind = "count" // non-NULL values of a column
	MeasureSum   MeasureKind = "sum"   // clamped values, on the grid
	MeasureSumSq MeasureKind = "sumsq" // squares of the clamped grid values
)

// Measure is one noised aggregate: a BIGINT column of the DP query's result.
type Measure struct {
	Kind   MeasureKind
	Column ColumnRef // for count, sum and sumsq
	// Quantum is the grid step of sum (its square for sumsq); 1 for counts.
	Quantum float64
	// Sensitivity is how much one privacy unit can change the measure, summed over every group
	// it counts in (L1), in quanta.
	Sensitivity uint64
}

// DPOutput is one column of the released result.
type DPOutput struct {
	Name string
	// Group is the index of the group key it shows, or -1 for an aggregate.
	Group int
	// Function is the aggregate (count, sum, avg, var_samp, var_pop, stddev_samp, stddev_pop).
	Function string
	// Measures index DPPlan.Measures: count [n], sum [s], avg [s, n], variance [s, q, n].
	Measures []int
}

// DPPlan is a query rewritten for differential privacy: the engine returns, per group, the
// group keys, then one BIGINT column per measure; the caller adds noise, drops groups whose
// noisy unit count is under its threshold, and computes the outputs.
type DPPlan struct {
	tree     *Tree
	Keys     int
	Measures []Measure // Measures[0] is MeasureUnits
	Outputs  []DPOutput
}

// Tree is the plan's query, for Deparse.
func (p *DPPlan) Tree() *Tree { return p.tree }

// dpFeatures are the query features a DP query may use.
var dpFeatures = map[string]bool{"group_by": true, "filter": true, "join": true}

// dpUnsupported refuses a query the DP planner cannot release with a known sensitivity.
func dpUnsupported(format string, args ...any) error {
	return refuse("dp_unsupported", "with differential privacy, "+format, args...)
}

// PlanDP rewrites an analysed query so that every privacy unit's contribution is bounded
// (ZetaSQL's two-level aggregation: per unit and group first, at most MaxGroups groups per unit,
// at most MaxRows rows per unit and group, sums clamped to the column's bounds), and returns
// the plan of measures to noise. Queries whose sensitivity cannot be bounded are refused.
//
// The query is built from a template whose placeholders are replaced by nodes of the checked
// tree (group expressions, aggregate arguments, FROM, WHERE): the developer's text is never
// spliced into SQL, and the numbers in the template are the planner's own.
func (p *Parser) PlanDP(ctx context.Context, t *Tree, a *Analysis, schema Schema, s DPSettings) (*DPPlan, error) {
	if s.MaxGroups < 1 || s.MaxRows < 1 {
		return nil, fmt.Errorf("sqlgate: DP contribution bounds must be at least 1")
	}
	for _, f := range a.Features {
		if !dpFeatures[f] {
			return nil, dpUnsupported("a query may only filter, join on the privacy unit, group and aggregate (it uses %s)", strings.ReplaceAll(f, "_", " "))
		}
	}
	unit, err := dpUnit(a, schema)
	if err != nil {
		return nil, err
	}
	plan := &DPPlan{Keys: len(list(t.root, "group_expressions")), Measures: []Measure{{Kind: MeasureUnits, Quantum: 1, Sensitivity: uint64(s.MaxGroups)}}}
	measure := func(m Measure) int {
		for i, x := range plan.Measures {
			if x.Kind == m.Kind && x.Column == m.Column {
				return i
			}
		}
		plan.Measures = append(plan.Measures, m)
		return len(plan.Measures) - 1
	}
	argNodes := map[ColumnRef]map[string]any{}
	items := list(t.root, "select_list")
	for i, o := range a.Outputs {
		oi := a.outs[i]
		out := DPOutput{Name: o.Name, Group: oi.group}
		if oi.group >= 0 {
			plan.Outputs = append(plan.Outputs, out)
			continue
		}
		if oi.fn == "" {
			return nil, dpUnsupported("each output must be a group key or a plain aggregate call (output %q is not)", clipIdent(o.Name))
		}
		item, _ := items[i].(map[string]any)
		if oi.arg != nil {
			if ch := list(item, "children"); len(ch) == 1 {
				argNodes[*oi.arg], _ = ch[0].(map[string]any)
			}
		}
		out.Function = oi.fn
		var col Column
		if oi.arg != nil {
			col = schema[oi.arg.Table].Columns[oi.arg.Column]
		}
		switch {
		case oi.fn == "count_star" || (oi.fn == "count" && oi.arg == nil):
			out.Function = "count"
			out.Measures = []int{measure(Measure{Kind: MeasureRows, Quantum: 1, Sensitivity: uint64(s.MaxGroups * s.MaxRows)})}
		case oi.fn == "count" && oi.distinct:
			if !col.Unit {
				return nil, dpUnsupported("count(DISTINCT …) is released only of the privacy unit")
			}
			out.Measures = []int{0}
		case oi.fn == "count":
			out.Measures = []int{measure(Measure{Kind: MeasureCount, Column: *oi.arg, Quantum: 1, Sensitivity: uint64(s.MaxGroups * s.MaxRows)})}
		case oi.distinct:
			return nil, dpUnsupported("DISTINCT is allowed only in count(DISTINCT <privacy unit>)")
		default:
			kinds, ok := dpAggregates[oi.fn]
			if !ok {
				return nil, dpUnsupported("%s cannot be released; use count, sum, avg, var_samp, var_pop, stddev_samp or stddev_pop", oi.fn)
			}
			if col.Lo == nil || col.Hi == nil {
				return nil, dpUnsupported("column %s.%s has no clamp bounds (an aggregate_only rule's lo and hi); its %s cannot be noised", oi.arg.Table, oi.arg.Column, oi.fn)
			}
			q, mq := quantum(*col.Lo, *col.Hi, col.Type)
			out.Function = canonicalAggregate[oi.fn]
			for _, k := range kinds {
				m := Measure{Kind: k, Column: *oi.arg, Quantum: 1, Sensitivity: uint64(s.MaxGroups * s.MaxRows)}
				switch k {
				case MeasureSum:
					m.Quantum, m.Sensitivity = q, uint64(s.MaxGroups*s.MaxRows)*mq
				case MeasureSumSq:
					m.Quantum, m.Sensitivity = q*q, uint64(s.MaxGroups*s.MaxRows)*mq*mq
				}
				out.Measures = append(out.Measures, measure(m))
			}
		}
		plan.Outputs = append(plan.Outputs, out)
	}
	text := dpTemplate(t, plan, schema, s, a.instances, unit)
	tmpl, err := p.Parse(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("sqlgate: DP template: %w", err)
	}
	groups := list(t.root, "group_expressions")
	subst := func(name string) (any, bool) {
		switch {
		case name == "__inviso_from":
			return deepCopy(t.root["from_table"]), true
		case name == "__inviso_where":
			return deepCopy(t.root["where_clause"]), true
		case name == "__inviso_unit":
			return colRef(unit.alias, unit.column), true
		case strings.HasPrefix(name, "__inviso_g"):
			i, err := strconv.Atoi(name[len("__inviso_g"):])
			if err != nil || i >= len(groups) {
				return nil, false
			}
			g := deepCopy(groups[i]).(map[string]any)
			g["alias"] = ""
			return g, true
		case strings.HasPrefix(name, "__inviso_x"):
			i, err := strconv.Atoi(name[len("__inviso_x"):])
			if err != nil || i >= len(plan.Measures) {
				return nil, false
			}
			n := argNodes[plan.Measures[i].Column]
			if n == nil {
				return nil, false
			}
			return deepCopy(n), true
		}
		return nil, false
	}
	if err := substitute(tmpl.root, subst); err != nil {
		return nil, err
	}
	plan.tree = tmpl
	return plan, nil
}

// dpAggregates are the aggregates DP releases, and the measures each needs.
var dpAggregates = map[string][]MeasureKind{
	"sum":         {MeasureSum},
	"avg":         {MeasureSum, MeasureCount},
	"mean":        {MeasureSum, MeasureCount},
	"var_samp":    {MeasureSum, MeasureSumSq, MeasureCount},
	"variance":    {MeasureSum, MeasureSumSq, MeasureCount},
	"var_pop":     {MeasureSum, MeasureSumSq, MeasureCount},
	"stddev_samp": {MeasureSum, MeasureSumSq, MeasureCount},
	"stddev":      {MeasureSum, MeasureSumSq, MeasureCount},
	"stddev_pop":  {MeasureSum, MeasureSumSq, MeasureCount},
}

var canonicalAggregate = map[string]string{"sum": "sum", "avg": "avg", "mean": "avg", "var_samp": "var_samp", "variance": "var_samp",
	"var_pop": "var_pop", "stddev_samp": "stddev_samp", "stddev": "stddev_samp", "stddev_pop": "stddev_pop"}

// quantum is the grid step of a column's values: the smallest power of two with the larger
// bound at most dpQuanta steps away (at least 1 for integer columns), and that bound in steps.
func quantum(lo, hi float64, typ string) (float64, uint64) {
	m := math.Max(math.Abs(lo), math.Abs(hi))
	q := math.Pow(2, math.Ceil(math.Log2(m/dpQuanta)))
	if integerType(typ) && q < 1 {
		q = 1
	}
	return q, uint64(math.Round(m / q))
}

func integerType(t string) bool {
	switch strings.ToUpper(t) {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT":
		return true
	}
	return false
}

// unitRef is the column DP bounds contributions by.
type unitRef struct{ alias, column string }

// dpUnit is the query's privacy unit: its one table's, or, for two tables joined inner on their
// privacy units, the first one's (the same person on both sides). Other joins mix people of
// different tables, whose contributions DP cannot bound together.
func dpUnit(a *Analysis, schema Schema) (unitRef, error) {
	unitOf := func(table string) string {
		for name, c := range schema[table].Columns {
			if c.Unit {
				return name
			}
		}
		return ""
	}
	switch len(a.instances) {
	case 1:
		if u := unitOf(a.instances[0].table); u != "" {
			return unitRef{a.instances[0].alias, u}, nil
		}
	case 2:
		u0, u1 := unitOf(a.instances[0].table), unitOf(a.instances[1].table)
		for _, j := range a.Joins {
			if u0 != "" && j.Type == "inner" && ((j.Left == ColumnRef{a.instances[0].table, u0} && j.Right == ColumnRef{a.instances[1].table, u1}) ||
				(j.Right == ColumnRef{a.instances[0].table, u0} && j.Left == ColumnRef{a.instances[1].table, u1})) {
				return unitRef{a.instances[0].alias, u0}, nil
			}
		}
		return unitRef{}, dpUnsupported("two tables may be joined only inner on their privacy units")
	}
	return unitRef{}, dpUnsupported("a query reads one table, or two joined on their privacy units")
}

// dpTemplate writes the DP query over placeholders: __inviso_from, __inviso_where,
// __inviso_unit, __inviso_g<i> (group expressions) and __inviso_x<m> (measure m's column).
func dpTemplate(t *Tree, plan *DPPlan, schema Schema, s DPSettings, inst []instance, unit unitRef) string {
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	grid := func(i int) string { // measure i's per-row grid value
		m := plan.Measures[i]
		col := schema[m.Column.Table].Columns[m.Column.Column]
		q := m.Quantum
		if m.Kind == MeasureSumSq {
			q = math.Sqrt(q)
		}
		return fmt.Sprintf("CAST(round(least(greatest(CAST(__inviso_x%d AS DOUBLE), %s), %s) / %s) AS BIGINT)", i, num(*col.Lo), num(*col.Hi), num(q))
	}
	var keys, keyNames, groupBy []string
	for i := 0; i < plan.Keys; i++ {
		keys = append(keys, fmt.Sprintf("__inviso_g%d AS __inviso_k%d", i, i))
		keyNames = append(keyNames, fmt.Sprintf("__inviso_k%d", i))
		groupBy = append(groupBy, fmt.Sprintf("__inviso_g%d", i))
	}
	where := ""
	if t.root["where_clause"] != nil {
		where = " WHERE __inviso_where"
	}
	orderBy := ""
	if plan.Keys > 0 {
		orderBy = " ORDER BY " + strings.Join(keyNames, ", ")
	}
	// Every row its own unit's only row: no unit can reach two groups or two rows of one.
	oneRowEach := len(inst) == 1 && schema[inst[0].table].MaxRowsPerUnit == 1
	if oneRowEach {
		sel := append(append([]string{}, keys...), "count(*) AS __inviso_m0")
		for i, m := range plan.Measures[1:] {
			i++
			var e string
			switch m.Kind {
			case MeasureRows:
				e = "count(*)"
			case MeasureCount:
				e = fmt.Sprintf("count(__inviso_x%d)", i)
			case MeasureSum:
				e = fmt.Sprintf("coalesce(CAST(sum(%s) AS BIGINT), 0)", grid(i))
			case MeasureSumSq:
				e = fmt.Sprintf("coalesce(CAST(sum(%s * %s) AS BIGINT), 0)", grid(i), grid(i))
			}
			sel = append(sel, fmt.Sprintf("%s AS __inviso_m%d", e, i))
		}
		q := "SELECT " + strings.Join(sel, ", ") + " FROM __inviso_from" + where
		if plan.Keys > 0 {
			q += " GROUP BY " + strings.Join(groupBy, ", ")
		}
		return q + orderBy
	}
	inner := append(append([]string{}, keys...), "__inviso_unit AS __inviso_u")
	outer := append(append([]string{}, keyNames...), "count(*) AS __inviso_m0")
	r := s.MaxRows
	for i, m := range plan.Measures[1:] {
		i++
		switch m.Kind {
		case MeasureRows:
			inner = append(inner, fmt.Sprintf("count(*) AS __inviso_p%d", i))
			outer = append(outer, fmt.Sprintf("coalesce(CAST(sum(least(__inviso_p%d, %d)) AS BIGINT), 0) AS __inviso_m%d", i, r, i))
		case MeasureCount:
			inner = append(inner, fmt.Sprintf("count(__inviso_x%d) AS __inviso_p%d", i, i))
			outer = append(outer, fmt.Sprintf("coalesce(CAST(sum(least(__inviso_p%d, %d)) AS BIGINT), 0) AS __inviso_m%d", i, r, i))
		case MeasureSum:
			col := schema[m.Column.Table].Columns[m.Column.Column]
			lo := min(0, r*int64(math.Round(*col.Lo/m.Quantum)))
			hi := max(0, r*int64(math.Round(*col.Hi/m.Quantum)))
			inner = append(inner, fmt.Sprintf("coalesce(sum(%s), 0) AS __inviso_p%d", grid(i), i))
			outer = append(outer, fmt.Sprintf("coalesce(CAST(sum(least(greatest(__inviso_p%d, %d), %d)) AS BIGINT), 0) AS __inviso_m%d", i, lo, hi, i))
		case MeasureSumSq:
			inner = append(inner, fmt.Sprintf("coalesce(sum(%s * %s), 0) AS __inviso_p%d", grid(i), grid(i), i))
			outer = append(outer, fmt.Sprintf("coalesce(CAST(sum(least(__inviso_p%d, %d)) AS BIGINT), 0) AS __inviso_m%d", i, uint64(r)*m.Sensitivity/uint64(s.MaxGroups*s.MaxRows), i))
		}
	}
	rank := append([]string{"__inviso_u"}, keyNames...)
	rank = append(rank, strconv.FormatInt(s.Seed, 10))
	order := append([]string{fmt.Sprintf("hash(%s)", strings.Join(rank, ", "))}, keyNames...)
	q := "SELECT " + strings.Join(outer, ", ") + " FROM (SELECT *, row_number() OVER (PARTITION BY __inviso_u ORDER BY " + strings.Join(order, ", ") +
		") AS __inviso_rk FROM (SELECT " + strings.Join(inner, ", ") + " FROM __inviso_from" + where +
		" GROUP BY " + strings.Join(append(groupBy, "__inviso_unit"), ", ") + ") AS __inviso_per_unit) AS __inviso_bounded" +
		fmt.Sprintf(" WHERE __inviso_rk <= %d", s.MaxGroups)
	if plan.Keys > 0 {
		q += " GROUP BY " + strings.Join(keyNames, ", ")
	}
	return q + orderBy
}

// noLocation is the query_location DuckDB gives nodes that have none.
var noLocation = json.Number("18446744073709551615")

func colRef(names ...string) map[string]any {
	ns := make([]any, len(names))
	for i, n := range names {
		ns[i] = n
	}
	return map[string]any{"class": "COLUMN_REF", "type": "COLUMN_REF", "alias": "", "query_location": noLocation, "column_names": ns}
}

// substitute replaces, everywhere in a template tree, the placeholder column references and
// the placeholder table __inviso_from by the nodes sub returns. A placeholder it does not know
// is an error (the template and the plan disagree).
func substitute(n map[string]any, sub func(string) (any, bool)) error {
	for k, v := range n {
		switch x := v.(type) {
		case map[string]any:
			if name, ok := placeholder(x); ok {
				r, ok := sub(name)
				if !ok {
					return fmt.Errorf("sqlgate: DP template: unknown placeholder %s", name)
				}
				if m, ok := r.(map[string]any); ok && str(x, "alias") != "" && str(m, "class") != "" {
					m["alias"] = str(x, "alias")
				}
				n[k] = r
				continue
			}
			if err := substitute(x, sub); err != nil {
				return err
			}
		case []any:
			for i, e := range x {
				m, ok := e.(map[string]any)
				if !ok {
					continue
				}
				if name, ok := placeholder(m); ok {
					r, ok := sub(name)
					if !ok {
						return fmt.Errorf("sqlgate: DP template: unknown placeholder %s", name)
					}
					if rm, ok := r.(map[string]any); ok && str(m, "alias") != "" {
						rm["alias"] = str(m, "alias")
					}
					x[i] = r
					continue
				}
				if err := substitute(m, sub); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// placeholder reports whether a node is a template placeholder: a one-part column reference
// or a base table named __inviso_<name> other than the template's own columns.
func placeholder(n map[string]any) (string, bool) {
	var name string
	switch {
	case str(n, "class") == "COLUMN_REF":
		names := list(n, "column_names")
		if len(names) != 1 {
			return "", false
		}
		name, _ = names[0].(string)
	case str(n, "type") == "BASE_TABLE":
		name = str(n, "table_name")
	default:
		return "", false
	}
	switch {
	case name == "__inviso_from" || name == "__inviso_where" || name == "__inviso_unit",
		strings.HasPrefix(name, "__inviso_g"), strings.HasPrefix(name, "__inviso_x"):
		return name, true
	}
	return "", false
}
