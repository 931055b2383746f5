package sqlgate

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// UnitsColumn is the hidden column the rewrite adds: the group's count of distinct privacy
// units (the smallest over the query's tables). The executor drops it before release.
const UnitsColumn = "__inviso_units"

// Rewritten is a query ready to execute.
type Rewritten struct {
	tree *Tree
	// Limit and Offset were taken out of the query: they apply after suppression, so a small
	// group never takes the place of a released one. Limit < 0 means none.
	Limit, Offset int64
	// RowsPerUnit is 0 when the units column is an exact distinct-unit count. Otherwise the
	// units column counts rows, of which one person has at most RowsPerUnit: a group with at
	// least k·RowsPerUnit rows surely has k people, and if any group falls short the caller
	// must run Fallback (the exact query) instead. Most aggregates never need it.
	RowsPerUnit int64
	Fallback    *Tree
}

// Rewrite adds the hidden per-group count of distinct privacy units to an analysed query and
// lifts LIMIT/OFFSET out of it. Every table of the query must have a privacy unit column.
func (p *Parser) Rewrite(t *Tree, a *Analysis, schema Schema) (*Rewritten, error) {
	return p.rewrite(t, a, schema, false)
}

// rewrite is Rewrite; naive forces count(DISTINCT unit) everywhere (the reference the tests
// compare the shortcut against).
func (p *Parser) rewrite(t *Tree, a *Analysis, schema Schema, naive bool) (*Rewritten, error) {
	c := t.clone()
	units := map[string]string{} // table → its privacy unit column
	for _, in := range a.instances {
		for name, col := range schema[in.table].Columns {
			if col.Unit {
				units[in.table] = name
			}
		}
		if units[in.table] == "" {
			return nil, fmt.Errorf("sqlgate: table %s has no privacy unit: refusing to release from it", in.table)
		}
	}
	if m, ok := rowBound(a, schema, units); ok && !naive {
		// count(*) costs what the raw query costs (a DISTINCT count up to ~10x; TECH-NOTES).
		// With m = 1 it is the exact number of people; otherwise count(*)/m bounds it from
		// below, and the exact query is kept for when a group falls short of the bound.
		rw, err := p.finish(c, []any{function("count_star")})
		if err != nil {
			return nil, err
		}
		if m > 1 {
			exact, err := p.rewrite(t, a, schema, true)
			if err != nil {
				return nil, err
			}
			rw.RowsPerUnit, rw.Fallback = m, exact.tree
		}
		return rw, nil
	}
	var counts []any
	for _, in := range a.instances {
		counts = append(counts, countDistinct(in.alias, units[in.table]))
	}
	return p.finish(c, counts)
}

// rowBound returns m, the most rows one person can have in the query's FROM, when every row
// there belongs to exactly one person: one table (m = its rows per person; workspaces hold no
// NULL units), or two tables joined inner on their privacy units (m = the product: a person's
// rows on one side meet only that person's rows on the other).
func rowBound(a *Analysis, schema Schema, units map[string]string) (int64, bool) {
	switch len(a.instances) {
	case 1:
		m := schema[a.instances[0].table].MaxRowsPerUnit
		return m, m >= 1
	case 2:
		m1, m2 := schema[a.instances[0].table].MaxRowsPerUnit, schema[a.instances[1].table].MaxRowsPerUnit
		if m1 < 1 || m2 < 1 {
			return 0, false
		}
		for _, j := range a.Joins {
			if j.Type == "inner" && units[j.Left.Table] == j.Left.Column && units[j.Right.Table] == j.Right.Column {
				return m1 * m2, true
			}
		}
	}
	return 0, false
}

// finish appends the units column to the cloned tree and lifts LIMIT/OFFSET out of it.
func (p *Parser) finish(c *Tree, counts []any) (*Rewritten, error) {
	if len(counts) == 0 {
		return nil, fmt.Errorf("sqlgate: the query reads no table")
	}
	units := counts[0].(map[string]any)
	if len(counts) > 1 {
		units = function("least", counts...)
	}
	units["alias"] = UnitsColumn
	c.root["select_list"] = append(list(c.root, "select_list"), units)

	rw := &Rewritten{tree: c, Limit: -1}
	var err error
	var mods []any
	for _, m := range list(c.root, "modifiers") {
		mm, _ := m.(map[string]any)
		if str(mm, "type") != "LIMIT_MODIFIER" {
			mods = append(mods, m)
			continue
		}
		if rw.Limit, err = constInt(obj(mm, "limit"), -1); err != nil {
			return nil, err
		}
		if rw.Offset, err = constInt(obj(mm, "offset"), 0); err != nil {
			return nil, err
		}
	}
	if mods == nil {
		mods = []any{}
	}
	c.root["modifiers"] = mods
	return rw, nil
}

// constInt reads a non-negative integer constant (absent: def).
func constInt(e map[string]any, def int64) (int64, error) {
	if e == nil {
		return def, nil
	}
	v := obj(e, "value")
	n, err := strconv.ParseInt(fmt.Sprint(v["value"]), 10, 64)
	if err != nil || n < 0 {
		return 0, refuse("limit_expression", "LIMIT and OFFSET must be non-negative whole numbers")
	}
	return n, nil
}

func function(name string, children ...any) map[string]any {
	if children == nil {
		children = []any{}
	}
	return map[string]any{
		"class": "FUNCTION", "type": "FUNCTION", "alias": "", "query_location": json.Number("18446744073709551615"),
		"function_name": name, "schema": "", "catalog": "", "children": children, "filter": nil,
		"order_bys": map[string]any{"type": "ORDER_MODIFIER", "orders": []any{}}, "distinct": false,
		"is_operator": false, "export_state": false,
	}
}

func countDistinct(alias, column string) map[string]any {
	f := function("count", map[string]any{
		"class": "COLUMN_REF", "type": "COLUMN_REF", "alias": "", "query_location": json.Number("18446744073709551615"),
		"column_names": []any{alias, column},
	})
	f["distinct"] = true
	return f
}

// Tree is the rewritten tree, for Deparse.
func (rw *Rewritten) Tree() *Tree { return rw.tree }
