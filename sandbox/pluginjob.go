package sandbox

import (
	"context"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

// RunPlugin runs a plugin job. Not wired yet.
func (sb *Sandbox) RunPlugin(ctx context.Context, actor catalog.Principal, grantID string, req catalog.JobRequest) (*QueryResult, error) {
	return nil, fault.E(fault.Unavailable, "plugin jobs are not enabled on this server")
}
