package sandbox

import (
	"context"
	"io"
	"slices"
	"strings"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/store"
)

// RegisterDataset registers a dataset of the actor's own agency (Art. 17). An empty agency means
// the actor's.
func (sb *Sandbox) RegisterDataset(ctx context.Context, actor catalog.Principal, d catalog.Dataset) (catalog.Dataset, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	if d.Agency == "" {
		d.Agency = actor.Agency
	}
	if d.Agency != actor.Agency {
		return catalog.Dataset{}, fault.E(fault.Forbidden, "a source agency registers only its own datasets; you act for %q", actor.Agency)
	}
	if len(d.Schema) > 0 {
		want := make([]connectors.Column, len(d.Schema))
		names := make([]string, len(d.Schema))
		for i, c := range d.Schema {
			want[i] = connectors.Column{Name: c.Name, Type: c.Type}
			names[i] = c.Name
		}
		if err := connectors.CheckColumnNames("schema", names); err != nil {
			return catalog.Dataset{}, fault.Wrap(err, fault.InvalidInput, "declared schema: %v", err)
		}
		if err := connectors.CheckWant(want); err != nil {
			return catalog.Dataset{}, fault.Wrap(err, fault.InvalidInput, "declared schema: %v", err)
		}
		if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, d.PrivacyUnit) }) {
			return catalog.Dataset{}, fault.E(fault.InvalidInput, "declared schema has no column %q, the privacy unit", d.PrivacyUnit)
		}
	}
	d.CreatedBy = actor.ID
	d, err := sb.catalog.RegisterDataset(ctx, d)
	if err == nil {
		sb.log.Info("dataset registered", "dataset", d.Name, "agency", d.Agency, "classification", d.Classification, "flags", d.Flags, "actor", actor.ID)
	}
	return d, err
}

// ImportOptions are the choices of one import.
type ImportOptions struct {
	Format     connectors.Format
	AllowDrift bool
}

// Import loads an upload as the next immutable version of a dataset of the actor's agency.
func (sb *Sandbox) Import(ctx context.Context, actor catalog.Principal, dataset string, body io.Reader, opt ImportOptions) (catalog.Version, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	d, err := sb.catalog.Dataset(ctx, dataset)
	if err != nil {
		return catalog.Version{}, err
	}
	if d.Agency != actor.Agency {
		return catalog.Version{}, fault.E(fault.Forbidden, "dataset %q belongs to agency %q; only it may import versions", d.Name, d.Agency)
	}
	v, err := sb.store.Import(ctx, store.Import{Dataset: d, Format: opt.Format, Body: body, AllowDrift: opt.AllowDrift, Actor: actor.ID})
	if err != nil {
		return catalog.Version{}, err
	}
	sb.rebuildFollowers(ctx, d.Name)
	return v, nil
}

// Datasets lists the catalog.
func (sb *Sandbox) Datasets(ctx context.Context) ([]catalog.Dataset, error) {
	return sb.catalog.Datasets(ctx)
}

// Dataset returns one catalog entry with its versions.
func (sb *Sandbox) Dataset(ctx context.Context, name string) (catalog.Dataset, error) {
	return sb.catalog.Dataset(ctx, name)
}
