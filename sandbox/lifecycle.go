package sandbox

import (
	"context"
	"encoding/json"
	"time"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

// recordEvent writes a system event to the log and indexes it at once.
func (sb *Sandbox) recordEvent(ctx context.Context, kind, subject, grant string, body any) error {
	e, err := audit.New("system", kind, subject, body)
	if err != nil {
		return err
	}
	e.Grant, e.Time = grant, sb.opt.Clock().UTC()
	idx, err := sb.appendIndexed(ctx, e)
	if err != nil {
		return fault.Wrap(err, fault.AuditUnavailable, "the %s event could not be written to the job log", kind)
	}
	return sb.catalog.Index(ctx, []catalog.Indexed{{Event: catalog.Event{Index: idx, At: e.Time, Actor: e.Actor, Kind: kind, Subject: subject, Grant: grant}}})
}

// bundled is a decider that can say which policy it runs.
type bundled interface {
	Bundle() (digest string, files []string)
}

// policyLoaded logs the policy bundle when it differs from the last one the log records, so
// auditors see every policy change (a restart with other rules included).
func (sb *Sandbox) policyLoaded(ctx context.Context) error {
	b, ok := sb.decider.(bundled)
	if !ok {
		return nil
	}
	digest, files := b.Bundle()
	evs, err := sb.catalog.EventsOf(ctx, audit.KindPolicyLoaded)
	if err != nil {
		return err
	}
	if n := len(evs); n > 0 {
		size, err := sb.journal.Size(ctx)
		if err != nil {
			return err
		}
		recs, err := sb.journal.Read(ctx, evs[n-1].Index, 1, size)
		if err != nil {
			return err
		}
		if len(recs) == 1 {
			var last struct {
				Digest string `json:"digest"`
			}
			if e, err := audit.Decode(recs[0].Data); err == nil && json.Unmarshal(e.Body, &last) == nil && last.Digest == digest {
				return nil
			}
		}
	}
	return sb.recordEvent(ctx, audit.KindPolicyLoaded, digest, "", map[string]any{"digest": digest, "files": files})
}

// recordExpiries logs the expiry of every grant whose validity ended and whose expiry the log
// does not hold yet. Expiry itself needs no write: a grant is expired to the instant.
func (sb *Sandbox) recordExpiries(ctx context.Context) error {
	grants, err := sb.catalog.Grants(ctx)
	if err != nil {
		return err
	}
	logged, err := sb.catalog.EventsOf(ctx, audit.KindGrantExpired)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, e := range logged {
		done[e.Subject] = true
	}
	for _, g := range grants {
		if g.State != catalog.GrantExpired || done[g.ID] {
			continue
		}
		if err := sb.recordEvent(ctx, audit.KindGrantExpired, g.ID, g.ID, map[string]any{"grant": g.ID, "valid_until": g.ValidUntil}); err != nil {
			return err
		}
	}
	return nil
}

// watchExpiries records expiries as they happen, until stop is closed.
func (sb *Sandbox) watchExpiries(stop <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := sb.recordExpiries(context.Background()); err != nil {
				sb.log.Error("recording grant expiries", "error", fault.Redact(err))
			}
		}
	}
}
