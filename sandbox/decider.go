package sandbox

import (
	"context"
	"fmt"

	"github.com/inviso/inviso/policy"
	"github.com/inviso/inviso/sandbox/fault"
)

// defaultDecider is the policy engine with the built-in bundle and the operator's extra rules.
func defaultDecider(ctx context.Context, extraDir string) (Decider, error) {
	var opts []policy.Option
	if extraDir != "" {
		opts = append(opts, policy.WithExtraDir(extraDir))
	}
	e, err := policy.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("open sandbox: policy: %w", err)
	}
	return policyDecider{e}, nil
}

// policyDecider adapts the policy engine to the sandbox's Decider.
type policyDecider struct{ e *policy.Engine }

func (p policyDecider) Decide(ctx context.Context, input any) (Decision, error) {
	d, err := p.e.Decide(ctx, input)
	out := Decision{Allow: d.Allow && err == nil, Input: d.Input, Bundle: d.Bundle}
	for _, r := range d.Reasons {
		out.Reasons = append(out.Reasons, fault.Reason{Code: r.Code, Message: r.Message})
	}
	return out, err
}

// Bundle names the policy this decider runs: the digest of its modules and data, and its files.
func (p policyDecider) Bundle() (string, []string) { return p.e.Digest(), p.e.Files() }
