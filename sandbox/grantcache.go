package sandbox

import (
	"context"
	"sync"

	"github.com/inviso/inviso/sandbox/catalog"
)

// grantCache keeps grants as jobs read them (grant and workspace file) between grant changes,
// so a job does not read the control database twice. Any grant change invalidates it.
type grantCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]cachedGrant
}

type cachedGrant struct {
	g    catalog.Grant
	file string
}

// jobGrant returns a grant in its effective state now, and its workspace file.
func (sb *Sandbox) jobGrant(ctx context.Context, id string) (catalog.Grant, string, error) {
	gen := sb.catalog.GrantGeneration()
	c := &sb.grants
	c.mu.Lock()
	if c.gen != gen || c.entries == nil {
		c.gen, c.entries = gen, map[string]cachedGrant{}
	}
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok {
		return e.g.Effective(sb.opt.Clock()), e.file, nil
	}
	g, err := sb.catalog.Grant(ctx, id)
	if err != nil {
		return catalog.Grant{}, "", err
	}
	file, err := sb.catalog.GrantFile(ctx, id)
	if err != nil {
		return catalog.Grant{}, "", err
	}
	c.mu.Lock()
	if c.gen == gen { // no grant changed while it was read
		c.entries[id] = cachedGrant{g: g, file: file}
	}
	c.mu.Unlock()
	return g, file, nil
}
