package sandbox

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/report"
)

// Disclosure is the public disclosure of Art. 21, for anyone, without a token:
//
//   - every grant but pending ones, in its effective state (a grant past its validity shows
//     expired): grantee principal and agency, scenario, name, purpose, use, the datasets and
//     columns granted, the job kinds, validity, approval time and agreement reference;
//   - the product and service list: there is no product registry yet, so each grant's scenario
//     (name, purpose, use) is listed as the product it serves;
//   - usage, counted from the job log: each grant's jobs released, refused, checked and failed,
//     and, for each dataset some disclosed grant covers, the grants covering it and the released
//     jobs that read it;
//   - the signed checkpoint those counts were computed from, and the log's verifier key.
//
// It names only datasets that a disclosed grant covers, so a dataset no grant uses stays as
// private as the catalog keeps it. It holds identifiers, counts, times and the texts agencies
// wrote for their scenarios; never a row value, a token, a query text or a policy input.
//
// The route is public, so a disclosure is computed at most once per DisclosureMaxAge while the
// log grows, and served from memory otherwise: anyone may ask, nobody can make the sandbox
// re-read its log on every request.
func (sb *Sandbox) Disclosure(ctx context.Context) (report.Disclosure, error) {
	size, err := sb.journal.Size(ctx)
	if err != nil {
		return report.Disclosure{}, fault.Wrap(err, fault.AuditUnavailable, "the job log cannot be read")
	}
	c := &sb.disclosed
	c.mu.Lock()
	defer c.mu.Unlock()
	now := sb.opt.Clock()
	if c.ok && (c.size == size || now.Sub(c.at) < DisclosureMaxAge) {
		return c.doc, nil
	}
	d, err := sb.disclose(ctx)
	if err != nil {
		return report.Disclosure{}, err
	}
	c.ok, c.at, c.size, c.doc = true, now, size, d
	return d, nil
}

// DisclosureMaxAge bounds how stale a served disclosure may be while the log grows.
const DisclosureMaxAge = 5 * time.Second

// disclosureCache is the last disclosure computed, with the log size it covered.
type disclosureCache struct {
	mu   sync.Mutex
	ok   bool
	at   time.Time
	size uint64
	doc  report.Disclosure
}

func (sb *Sandbox) disclose(ctx context.Context) (report.Disclosure, error) {
	now := sb.opt.Clock().UTC()
	grants, err := sb.catalog.Grants(ctx)
	if err != nil {
		return report.Disclosure{}, err
	}
	agencies, err := sb.catalog.Agencies(ctx)
	if err != nil {
		return report.Disclosure{}, err
	}
	names := map[string]string{}
	for _, a := range agencies {
		names[a.ID] = a.Name
	}
	cp, err := sb.settledLog(ctx)
	if err != nil {
		return report.Disclosure{}, err
	}
	usage := map[string]*report.GrantUsage{}
	released := map[string]int{} // dataset → released jobs that read it
	err = sb.scanLog(ctx, cp.Size, func(e audit.Entry) error {
		if e.Kind != audit.KindJob {
			return nil
		}
		j, err := logJob(e)
		if err != nil {
			return err
		}
		u := usage[j.Grant]
		if u == nil {
			u = &report.GrantUsage{Grant: j.Grant}
			usage[j.Grant] = u
		}
		switch j.State {
		case catalog.JobReleased:
			u.Released++
			read := map[string]bool{}
			for _, t := range j.Tables {
				read[strings.ToLower(t)] = true
			}
			for t := range read {
				released[t]++
			}
		case catalog.JobRefused:
			u.Refused++
		case catalog.JobChecked:
			u.Checked++
		case catalog.JobFailed:
			u.Failed++
		}
		return nil
	})
	if err != nil {
		return report.Disclosure{}, err
	}

	grants = slices.DeleteFunc(grants, func(g catalog.Grant) bool { return g.State == catalog.GrantPending })
	slices.SortStableFunc(grants, func(a, b catalog.Grant) int {
		if c := a.ApprovedAt.Compare(b.ApprovedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := report.Disclosure{GeneratedAt: now, Grants: []report.Grant{}, Products: []report.Product{},
		Usage: report.Usage{Grants: []report.GrantUsage{}, Datasets: []report.DatasetUsage{}}, Checkpoint: cp}
	covered := map[string]int{} // dataset → disclosed grants covering it
	for _, g := range grants {
		out.Grants = append(out.Grants, report.Grant{ID: g.ID, Grantee: g.Developer, Agency: g.Agency, AgencyName: names[g.Agency],
			Scenario: g.Scenario, Name: g.Name, Purpose: g.Purpose, Use: g.Use, Datasets: g.Datasets, JobKinds: g.JobKinds,
			ValidUntil: g.ValidUntil, State: g.State, ApprovedAt: g.ApprovedAt, Agreement: g.Agreement})
		out.Products = append(out.Products, report.Product{Name: g.Name, Purpose: g.Purpose, Use: g.Use, Grant: g.ID,
			Agency: g.Agency, AgencyName: names[g.Agency], State: g.State})
		u := report.GrantUsage{Grant: g.ID}
		if got := usage[g.ID]; got != nil {
			u = *got
		}
		out.Usage.Grants = append(out.Usage.Grants, u)
		for name := range g.Datasets {
			covered[name]++
		}
	}
	for _, name := range slices.Sorted(maps.Keys(covered)) {
		du := report.DatasetUsage{Dataset: name, Grants: covered[name], Released: released[name]}
		if d, err := sb.catalog.Dataset(ctx, name); err == nil {
			du.Agency, du.AgencyName = d.Agency, names[d.Agency]
		} else if fault.CodeOf(err) != fault.NotFound {
			return report.Disclosure{}, err
		}
		out.Usage.Datasets = append(out.Usage.Datasets, du)
	}
	return out, nil
}
