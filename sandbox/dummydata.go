package sandbox

import (
	"context"
	"errors"
	"hash/fnv"
	"io"
	"strings"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/dummy"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/rules"
)

// Dummy writes synthetic data with the grant's workspace schema for its grantee. It is built
// from the workspace schema, the pinned rules and the versions' counts only: no row of the
// workspace or of a raw version is read.
func (sb *Sandbox) Dummy(ctx context.Context, actor catalog.Principal, id string, format dummy.Format, rows int, w io.Writer) (ext, mediaType string, err error) {
	g, err := sb.catalog.Grant(ctx, id)
	if err != nil {
		return "", "", err
	}
	if g.Developer != actor.ID {
		return "", "", fault.E(fault.NotFound, "no grant %q", id)
	}
	if g.State != catalog.GrantActive && g.State != catalog.GrantSuspended {
		return "", "", fault.E(fault.Conflict, "grant %s is %s", id, g.State)
	}
	var tables []dummy.Table
	for _, wt := range g.Workspace.Tables {
		v, err := sb.catalog.Version(ctx, wt.Name, g.Pins[wt.Name])
		if err != nil {
			return "", "", err
		}
		rs, err := sb.catalog.RuleSetVersion(ctx, wt.Name, g.RuleVersions[wt.Name])
		if err != nil {
			return "", "", err
		}
		d, err := sb.catalog.Dataset(ctx, wt.Name)
		if err != nil {
			return "", "", err
		}
		eff := rules.Resolve(rs.Rules, schemaOf(v), d.PrivacyUnit)
		t := dummy.Table{Name: wt.Name, Rows: wt.Rows}
		for _, c := range wt.Columns {
			dc := dummy.Column{Name: c.Name, Type: c.Type, Unit: c.Unit}
			for _, e := range eff {
				if strings.EqualFold(e.Column.Name, c.Name) {
					dc.Rule = e.Rule
				}
			}
			for _, s := range v.Columns {
				if strings.EqualFold(s.Name, c.Name) && v.Rows > 0 {
					dc.NullFraction = float64(s.Nulls) / float64(v.Rows)
					dc.Distinct = s.ApproxDistinct
				}
			}
			t.Columns = append(t.Columns, dc)
		}
		tables = append(tables, t)
	}
	err = dummy.Write(ctx, w, format, tables, dummy.Options{Rows: rows, Seed: seedOf(g.ID), DuckDB: sb.opt.DuckDB})
	if errors.Is(err, dummy.ErrInvalid) {
		return "", "", fault.Wrap(err, fault.InvalidInput, "%v", err)
	}
	if err != nil {
		return "", "", err
	}
	ext, mediaType = format.File(len(tables))
	return ext, mediaType, nil
}

// seedOf makes a grant's dummy data the same on every download.
func seedOf(id string) int64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return int64(h.Sum64() >> 1)
}
