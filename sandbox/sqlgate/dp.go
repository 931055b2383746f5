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
	// dpQuanta is how many grid steps the larger clamp bound of a floating-point column spans
	// at most: its values are snapped to a power-of-two grid so that sums are integers.
	dpQuanta = 1 << 16
	// dpSumLimit bounds every grid sum the engine computes (per-row bound × rows), so no sum
	// can overflow: an overflow error would be an oracle on one person's value.
	dpSumLimit = 1 << 62
)

// DPSettings are one query's contribution bounds.
type DPSettings struct {
	// MaxGroups is the number of groups of the query one privacy unit counts in, MaxRows the
	// rows of one unit counted in one group; both 0: as the workspace bounds them (a person's
	// rows), with per-person bounding (1 and 1) only where the workspace records no bound.
	MaxGroups int64
	MaxRows   int64
	Seed      int64 // orders each unit's groups when more than MaxGroups must be dropped
}

// MeasureKind is what a noised aggregate sums per group.
type MeasureKind string

// Measure kinds.
const (
	MeasureUnits MeasureKind = "units" // distinct privacy units
	MeasureRows  MeasureKind = "rows"  // rows (at most MaxRows per unit and group on the per-unit path)
	MeasureCount MeasureKind = "count" // non-NULL values of a column
	MeasureSum   MeasureKind = "sum"   // clamped values, in grid steps
	MeasureSumSq MeasureKind = "sumsq" // squares of clamped values, in grid steps
)

// Measure is one noised aggregate: a BIGINT column of the DP query's result.
type Measure struct {
	Kind   MeasureKind
	Column ColumnRef // for count, sum and sumsq
	// Quantum is the value of one grid step of sum or sumsq; 1 for counts.
	Quantum float64
	// Sensitivity is how much one privacy unit can change the measure, summed over every group
	// it counts in (L1), in grid steps.
	Sensitivity uint64
	grid        grid // how the engine computes it (sum and sumsq)
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
// noisy Measures[0] is under the threshold, and computes the outputs from noisy measures.
type DPPlan struct {
	tree     *Tree
	Keys     int
	Measures []Measure // Measures[0] decides the threshold
	Outputs  []DPOutput
	// GroupsPerUnit is the most groups one person counts in, and UnitCap the most one person
	// adds to Measures[0] of one group: a group only one person makes up has Measures[0] ≤
	// UnitCap. The threshold is calibrated to both.
	GroupsPerUnit, UnitCap int64
	// PerUnit is true when contributions are bounded by aggregating per person first (the
	// workspace does not bound a person's rows tightly enough for the grant).
	PerUnit bool
}

// Tree is the plan's query, for Deparse.
func (p *DPPlan) Tree() *Tree { return p.tree }

// dpFeatures are the query features a DP query may use.
var dpFeatures = map[string]bool{"group_by": true, "filter": true, "join": true}

// dpUnsupported refuses a query the DP planner cannot release with a known sensitivity.
func dpUnsupported(format string, args ...any) error {
	return refuse("dp_unsupported", "with differential privacy, "+format, args...)
}

// PlanDP rewrites an analysed query so that every privacy unit's contribution is bounded, and
// returns the plan of measures to noise. Queries whose sensitivity cannot be bounded are
// refused. There are two ways to bound:
//
//   - Row path. The workspace records m, the most rows one person has in the query's FROM (one
//     table, or two joined on their privacy units). One person is then at most m rows in all:
//     in at most m groups, adding at most m to any count and m·bound to any clamped sum. When
//     the grant sets no bounds, or m is within them (m ≤ max_groups·max_rows), nothing needs
//     bounding and the query runs row by row, at about the raw query's cost; the threshold is
//     on noisy rows.
//   - Per-unit path (ZetaSQL's two-level aggregation). Rows are aggregated per person and
//     group; each person keeps at most max_groups groups (chosen by a keyed hash) and at most
//     max_rows rows per group; per-person sums are clamped. This costs a hash aggregation over
//     every (person, group) pair; the threshold is on the noisy count of people.
//
// The query is built from a template whose placeholders are replaced by nodes of the checked
// tree (group expressions, aggregate arguments, FROM, WHERE): the developer's text is never
// spliced into SQL, and the numbers in the template are the planner's own.
func (p *Parser) PlanDP(ctx context.Context, t *Tree, a *Analysis, schema Schema, s DPSettings) (*DPPlan, error) {
	if s.MaxGroups < 0 || s.MaxRows < 0 {
		return nil, fmt.Errorf("sqlgate: DP contribution bounds must not be negative")
	}
	bounded := s.MaxGroups > 0 || s.MaxRows > 0 // 0 and 0: as the workspace bounds a person's rows
	s.MaxGroups, s.MaxRows = max(s.MaxGroups, 1), max(s.MaxRows, 1)
	for _, f := range a.Features {
		if !dpFeatures[f] {
			return nil, dpUnsupported("a query may only filter, join on the privacy unit, group and aggregate (it uses %s)", strings.ReplaceAll(f, "_", " "))
		}
	}
	unit, err := dpUnit(a, schema)
	if err != nil {
		return nil, err
	}
	units := map[string]string{}
	var rows int64 // the most rows the query's FROM can have: grids are sized so sums cannot overflow
	for _, in := range a.instances {
		units[in.table] = unitColumn(schema, in.table)
		rows = max(rows, schema[in.table].Rows)
	}
	if len(a.instances) == 2 {
		rows = schema[a.instances[0].table].Rows * max(1, schema[a.instances[1].table].MaxRowsPerUnit)
	}
	plan := &DPPlan{Keys: len(list(t.root, "group_expressions"))}
	// bound is what one person adds to a count over all groups; cap, to one group's count.
	var bound uint64
	if m, ok := rowBound(a, schema, units); ok && (!bounded || m <= s.MaxGroups*s.MaxRows) {
		bound = uint64(m)
		plan.GroupsPerUnit, plan.UnitCap = m, m
		plan.Measures = []Measure{{Kind: MeasureRows, Quantum: 1, Sensitivity: bound}}
	} else {
		bound = uint64(s.MaxGroups * s.MaxRows)
		plan.PerUnit, plan.GroupsPerUnit, plan.UnitCap = true, s.MaxGroups, 1
		plan.Measures = []Measure{{Kind: MeasureUnits, Quantum: 1, Sensitivity: uint64(s.MaxGroups)}}
	}
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
			out.Measures = []int{measure(Measure{Kind: MeasureRows, Quantum: 1, Sensitivity: bound})}
		case oi.fn == "count" && oi.distinct:
			if !col.Unit {
				return nil, dpUnsupported("count(DISTINCT …) is released only of the privacy unit")
			}
			// Per group a person is one unit; over all groups, as many as the groups they reach.
			out.Measures = []int{measure(Measure{Kind: MeasureUnits, Quantum: 1, Sensitivity: uint64(plan.GroupsPerUnit)})}
		case oi.fn == "count":
			out.Measures = []int{measure(Measure{Kind: MeasureCount, Column: *oi.arg, Quantum: 1, Sensitivity: bound})}
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
			out.Function = canonicalAggregate[oi.fn]
			for _, k := range kinds {
				m := Measure{Kind: k, Column: *oi.arg, Quantum: 1, Sensitivity: bound}
				if k != MeasureCount {
					g := gridOf(col, k == MeasureSumSq, rows*s.MaxRows)
					m.grid, m.Quantum, m.Sensitivity = g, g.quantum, bound*g.max
				}
				out.Measures = append(out.Measures, measure(m))
			}
		}
		plan.Outputs = append(plan.Outputs, out)
	}
	text := dpTemplate(t, plan, s)
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

// grid is how a column's clamped values become integers the noise is added to: exactly for
// integers (step 1) and decimals (step 10^-scale), on a power-of-two grid for floating point.
// Steps are made coarser where needed so that no sum over the table can overflow BIGINT.
type grid struct {
	quantum float64
	max     uint64 // the largest |value| of one row, in steps
	sum     string // SQL of the sum over rows in steps, over the placeholder {x}
}

// gridOf is the grid of a column for sums (or sums of squares) over at most rows rows.
func gridOf(c Column, squares bool, rows int64) grid {
	lo, hi := *c.Lo, *c.Hi
	m := math.Max(math.Abs(lo), math.Abs(hi))
	rows = max(rows, 1)
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	fitsSteps := func(per float64) bool { // per-row bound in steps × rows within dpSumLimit
		per++
		if squares {
			per *= per
		}
		return per*float64(rows) <= dpSumLimit
	}
	fits := func(step float64) bool { return fitsSteps(math.Ceil(m / step)) }
	ilo, ihi := math.Ceil(lo), math.Floor(hi)
	if integerType(c.Type) && squares && ilo <= ihi && m < 1<<31 {
		// Integer arithmetic all the way: steps of a power of two, rounded half up.
		step := 1.0
		for !fitsSteps(math.Ceil(m/step) + 1) {
			step *= 2
		}
		clamp := fmt.Sprintf("least(greatest({x}, %d), %d)", int64(ilo), int64(ihi))
		if c.InBounds && ilo == lo && ihi == hi {
			clamp = "{x}"
		}
		v := clamp
		per := uint64(math.Max(math.Abs(ilo), math.Abs(ihi)))
		if step > 1 {
			v = fmt.Sprintf("((%s + %d) // %d)", clamp, int64(step)/2, int64(step))
			per = uint64(math.Ceil(m/step)) + 1
		}
		return grid{quantum: step * step, max: per * per, sum: fmt.Sprintf("sum(%s * %s)", v, v)}
	}
	switch {
	case integerType(c.Type) && !squares && ilo <= ihi && fits(1) && m < 1<<53:
		clamp := fmt.Sprintf("least(greatest({x}, %d), %d)", int64(ilo), int64(ihi))
		if c.InBounds && ilo == lo && ihi == hi {
			clamp = "{x}" // the workspace holds no value outside the bounds
		}
		return grid{quantum: 1, max: uint64(math.Max(math.Abs(ilo), math.Abs(ihi))), sum: "sum(" + clamp + ")"}
	case !squares:
		p, sc := decimalType(c.Type)
		if sc < 0 {
			break
		}
		// Exact in steps of 10^-scale; bounds beyond the type's range change nothing.
		f := math.Pow(10, float64(sc))
		limit := math.Pow(10, float64(p)) - 1
		dlo, dhi := math.Max(math.Ceil(lo*f), -limit), math.Min(math.Floor(hi*f), limit)
		if dlo > dhi || !fitsSteps(math.Max(math.Abs(dlo), math.Abs(dhi))) || math.Max(math.Abs(dlo), math.Abs(dhi)) >= 1<<53 {
			break
		}
		typ := fmt.Sprintf("DECIMAL(%d, %d)", p, sc)
		clamp := fmt.Sprintf("least(greatest({x}, CAST('%s' AS %s)), CAST('%s' AS %s))",
			strconv.FormatFloat(dlo/f, 'f', sc, 64), typ, strconv.FormatFloat(dhi/f, 'f', sc, 64), typ)
		if c.InBounds && dlo == lo*f && dhi == hi*f {
			clamp = "{x}"
		}
		return grid{quantum: 1 / f, max: uint64(math.Max(math.Abs(dlo), math.Abs(dhi))),
			sum: fmt.Sprintf("CAST(sum(%s) * %d AS BIGINT)", clamp, int64(f))} // an integer factor: the sum stays DECIMAL, exact
	}
	step := math.Pow(2, math.Ceil(math.Log2(m/dpQuanta)))
	for !fits(step) {
		step *= 2
	}
	row := fmt.Sprintf("CAST(round(least(greatest(CAST({x} AS DOUBLE), %s), %s) / %s) AS BIGINT)", num(lo), num(hi), num(step))
	g := grid{quantum: step, max: uint64(math.Round(m / step)), sum: "sum(" + row + ")"}
	if squares {
		g.quantum, g.max, g.sum = step*step, g.max*g.max, "sum("+row+" * "+row+")"
	}
	return g
}

// decimalType is the precision and scale of a DECIMAL(p,s) type stored in 64 bits; scale -1
// for any other type.
func decimalType(t string) (int, int) {
	var p, s int
	if n, _ := fmt.Sscanf(strings.ToUpper(strings.ReplaceAll(t, " ", "")), "DECIMAL(%d,%d)", &p, &s); n == 2 && s >= 0 && p <= 18 && s <= p {
		return p, s
	}
	return 0, -1
}

func unitColumn(schema Schema, table string) string {
	for name, c := range schema[table].Columns {
		if c.Unit {
			return name
		}
	}
	return ""
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
func dpTemplate(t *Tree, plan *DPPlan, s DPSettings) string {
	x := func(i int, sql string) string { return strings.ReplaceAll(sql, "{x}", fmt.Sprintf("__inviso_x%d", i)) }
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
	if !plan.PerUnit {
		sel := append([]string{}, keys...)
		for i, m := range plan.Measures {
			var e string
			switch m.Kind {
			case MeasureRows:
				e = "count(*)"
			case MeasureUnits:
				e = "count(DISTINCT __inviso_unit)"
			case MeasureCount:
				e = fmt.Sprintf("count(__inviso_x%d)", i)
			case MeasureSum, MeasureSumSq:
				e = fmt.Sprintf("coalesce(CAST(%s AS BIGINT), 0)", x(i, m.grid.sum))
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
	outer := append([]string{}, keyNames...)
	r := s.MaxRows
	for i, m := range plan.Measures {
		switch m.Kind {
		case MeasureUnits:
			outer = append(outer, fmt.Sprintf("count(*) AS __inviso_m%d", i))
			continue
		case MeasureRows:
			inner = append(inner, fmt.Sprintf("count(*) AS __inviso_p%d", i))
		case MeasureCount:
			inner = append(inner, fmt.Sprintf("count(__inviso_x%d) AS __inviso_p%d", i, i))
		case MeasureSum, MeasureSumSq:
			inner = append(inner, fmt.Sprintf("coalesce(%s, 0) AS __inviso_p%d", x(i, m.grid.sum), i))
		}
		// One person's contribution to one group, capped: r rows, or r rows' worth of value.
		lo, hi := int64(0), r
		if m.Kind == MeasureSum || m.Kind == MeasureSumSq {
			lo, hi = -r*int64(m.grid.max), r*int64(m.grid.max)
		}
		outer = append(outer, fmt.Sprintf("coalesce(CAST(sum(least(greatest(__inviso_p%d, %d), %d)) AS BIGINT), 0) AS __inviso_m%d", i, lo, hi, i))
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
