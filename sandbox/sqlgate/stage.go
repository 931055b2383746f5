package sqlgate

import (
	"context"
	"fmt"
	"strings"
)

// StageColumn is one column a staged input query selects.
type StageColumn struct {
	Name   string
	Source ColumnRef
}

// StagedInput is a plugin job's input query, checked and rewritten to read the workspace
// attached under a catalog name, with the privacy unit added as its last column.
type StagedInput struct {
	SQL     string
	Columns []StageColumn // the developer's columns, in order
	Unit    string        // the name of the added unit column
}

// StageInput checks a plugin job's input query: one SELECT of plain columns of one table,
// optionally filtered on dimension columns, each column one the grant lets jobs use. It
// returns SQL regenerated from the checked tree that reads the table from catalog, with the
// table's privacy unit appended as column unitAlias.
func (p *Parser) StageInput(ctx context.Context, t *Tree, a *Analysis, schema Schema, catalog, unitAlias string) (*StagedInput, error) {
	bad := func(format string, args ...any) error { return refuse("plugin_input", format, args...) }
	if len(a.instances) != 1 {
		return nil, bad("the input query reads exactly one table")
	}
	for _, f := range a.Features {
		if f != "filter" {
			return nil, bad("the input query selects plain columns, optionally with WHERE (it uses %s)", strings.ReplaceAll(f, "_", " "))
		}
	}
	in := a.instances[0]
	tbl := schema[in.table]
	unit := unitColumn(schema, in.table)
	if unit == "" {
		return nil, bad("table %s has no privacy unit", in.table)
	}
	for _, u := range a.Uses {
		c := tbl.Columns[u.Column]
		switch {
		case c.Usage == "" && !c.Unit:
			return nil, bad("column %s.%s has no usage in the grant's rules: jobs cannot read it", u.Table, u.Column)
		case u.Context == "filter" && c.Usage != "dimension":
			return nil, bad("filters are allowed on dimension columns only (%s.%s is %s)", u.Table, u.Column, c.Usage)
		case u.Context != "filter" && u.Context != "projected_raw":
			return nil, bad("column %s.%s is used as %s; the input query selects plain columns", u.Table, u.Column, u.Context)
		}
	}
	out := &StagedInput{Unit: unitAlias}
	items := list(t.root, "select_list")
	seen := map[string]bool{}
	for i, o := range a.Outputs {
		item, _ := items[i].(map[string]any)
		if o.Kind != "projected_raw" || str(item, "class") != "COLUMN_REF" {
			return nil, bad("output %q is not a plain column", clipIdent(o.Name))
		}
		name := strings.ToLower(o.Name)
		if seen[name] || strings.HasPrefix(name, "__") {
			return nil, bad("output names must be distinct and must not start with __ (%q)", clipIdent(o.Name))
		}
		seen[name] = true
		var names []string
		for _, n := range list(item, "column_names") {
			names = append(names, strings.ToLower(fmt.Sprint(n)))
		}
		ref, err := (&analyser{schema: schema, a: a}).resolveRef(names)
		if err != nil {
			return nil, err
		}
		out.Columns = append(out.Columns, StageColumn{Name: name, Source: ref})
	}
	c := t.clone()
	from := obj(c.root, "from_table")
	if str(from, "type") != "BASE_TABLE" {
		return nil, bad("the input query reads one table")
	}
	from["catalog_name"], from["schema_name"] = catalog, "main"
	u := colRef(in.alias, unit)
	u["alias"] = unitAlias
	c.root["select_list"] = append(list(c.root, "select_list"), u)
	text, err := p.Deparse(ctx, c)
	if err != nil {
		return nil, err
	}
	out.SQL = text
	return out, nil
}
