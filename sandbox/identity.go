package sandbox

import (
	"context"
	"strings"

	"github.com/inviso/inviso/crypto/token"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

// Authenticate resolves a bearer token to its principal (Art. 25). Every failure is the same
// unauthenticated error, so a caller learns nothing about which part was wrong.
func (sb *Sandbox) Authenticate(ctx context.Context, bearer string) (catalog.Principal, error) {
	denied := fault.E(fault.Unauthenticated, "a valid bearer token is required")
	selector, secret, err := token.Parse(strings.TrimSpace(bearer))
	if err != nil {
		return catalog.Principal{}, denied
	}
	cred, err := sb.catalog.CredentialBySelector(ctx, selector)
	if err != nil {
		if fault.CodeOf(err) == fault.Unauthenticated {
			return catalog.Principal{}, denied
		}
		return catalog.Principal{}, err
	}
	if !token.Verify(secret, cred.Hash) {
		return catalog.Principal{}, denied
	}
	return cred.Principal, nil
}

// CreateAgency registers an agency.
func (sb *Sandbox) CreateAgency(ctx context.Context, actor catalog.Principal, a catalog.Agency) (catalog.Agency, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	a, err := sb.catalog.CreateAgency(ctx, a)
	if err == nil {
		sb.log.Info("agency created", "agency", a.ID, "kind", a.Kind, "actor", actor.ID)
	}
	return a, err
}

// Agencies lists agencies.
func (sb *Sandbox) Agencies(ctx context.Context) ([]catalog.Agency, error) {
	return sb.catalog.Agencies(ctx)
}

// CreatePrincipal registers a principal and returns its token, which is never shown again.
func (sb *Sandbox) CreatePrincipal(ctx context.Context, actor catalog.Principal, p catalog.Principal) (catalog.Principal, string, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	tok, err := token.New()
	if err != nil {
		return catalog.Principal{}, "", err
	}
	p, err = sb.catalog.CreatePrincipal(ctx, p, tok.Selector, tok.Hash)
	if err != nil {
		return catalog.Principal{}, "", err
	}
	sb.log.Info("principal created", "principal", p.ID, "agency", p.Agency, "roles", p.Roles, "actor", actor.ID)
	return p, tok.Token, nil
}

// Principals lists principals (never their tokens).
func (sb *Sandbox) Principals(ctx context.Context) ([]catalog.Principal, error) {
	return sb.catalog.Principals(ctx)
}
