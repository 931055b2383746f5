package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/report"
)

// Reports (Art. 22, 28) and the usage figures of the disclosure (Art. 21) are computed from the
// job log, not from the catalog's index of it: the log is the record of truth, and a document
// names the checkpoint of the entries it was computed from, so anyone holding the verifier key
// can check every figure. Each document reads the log from its start; that is linear in the
// log's size.

// checkpointWait bounds how long a document waits for a checkpoint that commits to the entries
// durable when it was asked for (the log publishes one every 500 ms while it grows).
const checkpointWait = 2 * time.Second

// logChunk is how many entries a scan reads at a time.
const logChunk = 1024

// settledLog waits (briefly) for a checkpoint covering every entry durable now, so a document
// counts the jobs that ran just before it was asked for, and returns that checkpoint. Documents
// read exactly the entries it commits to. A checkpoint that is slow to come only makes the
// document lag; it is never computed from entries no checkpoint commits to.
func (sb *Sandbox) settledLog(ctx context.Context) (report.Checkpoint, error) {
	size, err := sb.journal.Size(ctx)
	if err != nil {
		return report.Checkpoint{}, fault.Wrap(err, fault.AuditUnavailable, "the job log cannot be read")
	}
	wctx, cancel := context.WithTimeout(ctx, checkpointWait)
	_, _, _ = sb.journal.WaitCheckpoint(wctx, size) // on timeout: the latest checkpoint will do
	cancel()
	info, err := sb.LogInfo(ctx)
	if err != nil {
		return report.Checkpoint{}, err
	}
	return report.Checkpoint{Origin: info.Origin, VerifierKey: info.VerifierKey, Size: info.Size, Note: info.Checkpoint}, nil
}

// scanLog calls fn with every entry among the first size entries of the log, in log order.
func (sb *Sandbox) scanLog(ctx context.Context, size uint64, fn func(e audit.Entry) error) error {
	for from := uint64(0); from < size; from += logChunk {
		recs, err := sb.journal.Read(ctx, from, logChunk, size)
		if err != nil {
			return fault.Wrap(err, fault.AuditUnavailable, "the job log cannot be read")
		}
		for _, r := range recs {
			e, err := audit.Decode(r.Data)
			if err != nil {
				return corrupt(r.Index, err)
			}
			if err := fn(e); err != nil {
				return corrupt(r.Index, err)
			}
		}
	}
	return nil
}

func corrupt(index uint64, err error) error {
	var coded *fault.Error
	if errors.As(err, &coded) {
		return err
	}
	return fault.Wrap(err, fault.Internal, "job log entry %d does not decode; run inviso audit verify", index)
}

// logJob decodes the job record of a job entry.
func logJob(e audit.Entry) (catalog.Job, error) {
	var j catalog.Job
	err := json.Unmarshal(e.Body, &j)
	return j, err
}

// logGrant decodes the grant of an entry that carries one: every change of a grant (approval,
// suspension, resumption, revocation, rebuild) logs the grant whole, with the grant's id as
// both subject and grant.
func logGrant(e audit.Entry) (catalog.Grant, bool, error) {
	if e.Kind == audit.KindJob || e.Grant == "" || e.Subject != e.Grant {
		return catalog.Grant{}, false, nil
	}
	var g catalog.Grant
	if err := json.Unmarshal(e.Body, &g); err != nil {
		return catalog.Grant{}, false, err
	}
	return g, g.ID == e.Grant, nil
}

// grantLife is a grant as the log tells it, read in order.
type grantLife struct {
	latest    catalog.Grant // as of the entry read last
	atEnd     catalog.Grant // as of the end of the period (zero: approved after it)
	revokedAt time.Time
}

// observeGrant follows the grant an entry carries, if it carries one.
func observeGrant(lives map[string]*grantLife, e audit.Entry, p report.Period) error {
	g, ok, err := logGrant(e)
	if err != nil || !ok {
		return err
	}
	if lives[g.ID] == nil {
		lives[g.ID] = &grantLife{}
	}
	lives[g.ID].observe(e, g, p)
	return nil
}

func (l *grantLife) observe(e audit.Entry, g catalog.Grant, p report.Period) {
	l.latest = g
	if e.Time.Before(p.To) {
		l.atEnd = g
	}
	if e.Kind == audit.KindGrantRevoked && l.revokedAt.IsZero() {
		l.revokedAt = e.Time
	}
}

// liveIn reports whether the grant could run jobs at some time in p: approved before p ended,
// and neither revoked nor past its validity before p began.
func (l *grantLife) liveIn(p report.Period) bool {
	g := l.latest
	if g.ApprovedAt.IsZero() || !g.ApprovedAt.Before(p.To) {
		return false
	}
	end := g.ValidUntil
	if !l.revokedAt.IsZero() && l.revokedAt.Before(end) {
		end = l.revokedAt
	}
	return end.After(p.From)
}

// rowsRead is what a job could read of one table: the rows of that table in the grant's
// workspace when the job ran (its Scanned is the sum over the tables it reads).
func rowsRead(g catalog.Grant, j catalog.Job, table string) int64 {
	for _, t := range g.Workspace.Tables {
		if strings.EqualFold(t.Name, table) {
			return t.Rows
		}
	}
	if len(j.Tables) == 1 {
		return j.Scanned
	}
	return 0
}

// checkPeriod refuses a period that has not begun.
func (sb *Sandbox) checkPeriod(p report.Period, now time.Time) (partial bool, err error) {
	if p.From.IsZero() || !p.To.After(p.From) {
		return false, fault.E(fault.InvalidInput, "a report needs a period")
	}
	if !p.From.Before(now) {
		return false, fault.E(fault.InvalidInput, "%s has not begun yet (it starts %s)", p.Label, p.From.Format(time.RFC3339))
	}
	return now.Before(p.To), nil
}

// QuarterlyReport is the operating agency's quarterly report (Art. 28), computed from the job
// log: for every grant live at some time in the period, its jobs by outcome (run means released
// or failed), the reason codes of its refusals, the datasets its jobs read and the rows they
// scanned; the same per agency of the grantees; and the totals. Jobs count in the period their
// record's time (when they were submitted) falls in.
func (sb *Sandbox) QuarterlyReport(ctx context.Context, actor catalog.Principal, p report.Period) (report.Quarterly, error) {
	now := sb.opt.Clock().UTC()
	partial, err := sb.checkPeriod(p, now)
	if err != nil {
		return report.Quarterly{}, err
	}
	cp, err := sb.settledLog(ctx)
	if err != nil {
		return report.Quarterly{}, err
	}
	names := map[string]string{}
	lives := map[string]*grantLife{}
	acts := map[string]*report.GrantActivity{}
	used := map[string]map[string]bool{}
	err = sb.scanLog(ctx, cp.Size, func(e audit.Entry) error {
		switch e.Kind {
		case audit.KindAgencyCreated:
			var a catalog.Agency
			if err := json.Unmarshal(e.Body, &a); err != nil {
				return err
			}
			names[a.ID] = a.Name
		case audit.KindJob:
			if !p.Contains(e.Time) {
				return nil
			}
			j, err := logJob(e)
			if err != nil {
				return err
			}
			a := acts[j.Grant]
			if a == nil {
				a = &report.GrantActivity{Grant: j.Grant, Grantee: j.Principal}
				acts[j.Grant], used[j.Grant] = a, map[string]bool{}
			}
			a.Add(j)
			if j.Spent() {
				for _, t := range j.Tables {
					used[j.Grant][strings.ToLower(t)] = true
				}
			}
		default:
			return observeGrant(lives, e, p)
		}
		return nil
	})
	if err != nil {
		return report.Quarterly{}, err
	}

	at := p.To // the state at the end of the period, or now if sooner
	if now.Before(at) {
		at = now
	}
	for id, l := range lives {
		if acts[id] == nil && l.liveIn(p) {
			acts[id], used[id] = &report.GrantActivity{Grant: id}, map[string]bool{}
		}
	}
	out := report.Quarterly{Kind: "quarterly", Period: p, GeneratedAt: now, Partial: partial, Checkpoint: cp,
		Grants: []report.GrantActivity{}, Agencies: []report.AgencyActivity{}}
	out.Totals.Merge(report.Activity{})
	byAgency := map[string]*report.AgencyActivity{}
	agencyUsed := map[string]map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(acts)) {
		a := acts[id]
		a.Activity.Merge(report.Activity{}) // an empty map, not null, for a grant without jobs
		if l := lives[id]; l != nil {
			g := l.atEnd
			if g.ID == "" {
				g = l.latest
			}
			a.Scenario, a.Name, a.Grantee, a.Agency, a.Use = g.Scenario, g.Name, g.Developer, g.Agency, g.Use
			a.ApprovedAt, a.ValidUntil, a.State = g.ApprovedAt, g.ValidUntil, g.Effective(at).State
		}
		a.DatasetsUsed = sortedSet(used[id])
		out.Grants = append(out.Grants, *a)
		out.Totals.Merge(a.Activity)
		ag := byAgency[a.Agency]
		if ag == nil {
			ag = &report.AgencyActivity{Agency: a.Agency, Name: names[a.Agency]}
			ag.Activity.Merge(report.Activity{})
			byAgency[a.Agency], agencyUsed[a.Agency] = ag, map[string]bool{}
		}
		ag.Grants++
		ag.Activity.Merge(a.Activity)
		for _, d := range a.DatasetsUsed {
			agencyUsed[a.Agency][d] = true
		}
	}
	for _, id := range slices.Sorted(maps.Keys(byAgency)) {
		ag := byAgency[id]
		ag.DatasetsUsed = sortedSet(agencyUsed[id])
		out.Agencies = append(out.Agencies, *ag)
	}
	sb.log.Info("report generated", "kind", "quarterly", "period", p.Label, "grants", len(out.Grants), "log_size", cp.Size, "actor", actor.ID)
	return out, nil
}

// sourceYear gathers one source agency's or dataset's period.
type sourceYear struct {
	report.SourceActivity
	agency string
	grants map[string]bool
}

// SourcesReport is the annual report on data-source agencies (Art. 22), computed from the job
// log: for every source agency (every agency of kind source, and every agency owning a dataset)
// registered before the period ended, per dataset and in total, the versions it imported, its
// rules changes and co-signatures, its flag changes and consent registries loaded in the period,
// the scenarios it consented to, the grants live in the period whose scope covers its datasets,
// and the jobs that ran on them with the rows they could read.
func (sb *Sandbox) SourcesReport(ctx context.Context, actor catalog.Principal, p report.Period) (report.Sources, error) {
	now := sb.opt.Clock().UTC()
	partial, err := sb.checkPeriod(p, now)
	if err != nil {
		return report.Sources{}, err
	}
	cp, err := sb.settledLog(ctx)
	if err != nil {
		return report.Sources{}, err
	}
	agencies := map[string]catalog.Agency{}
	datasets := map[string]*sourceYear{}
	perAgency := map[string]*sourceYear{}
	consented := map[string]map[string]bool{}
	lives := map[string]*grantLife{}
	agencyOf := func(name string) *sourceYear { return perAgency[datasets[name].agency] }
	dataset := func(subject string) *sourceYear { // subjects of versions, rules and consents: "name@n"
		name, _, _ := strings.Cut(subject, "@")
		return datasets[name]
	}
	err = sb.scanLog(ctx, cp.Size, func(e audit.Entry) error {
		in := p.Contains(e.Time)
		switch e.Kind {
		case audit.KindAgencyCreated:
			var a catalog.Agency
			if err := json.Unmarshal(e.Body, &a); err != nil {
				return err
			}
			if e.Time.Before(p.To) {
				agencies[a.ID] = a
			}
		case audit.KindDatasetRegistered:
			var d catalog.Dataset
			if err := json.Unmarshal(e.Body, &d); err != nil {
				return err
			}
			if e.Time.Before(p.To) {
				datasets[d.Name] = &sourceYear{agency: d.Agency, grants: map[string]bool{}}
				if perAgency[d.Agency] == nil {
					perAgency[d.Agency] = &sourceYear{agency: d.Agency, grants: map[string]bool{}}
				}
			}
		case audit.KindVersionImported:
			var v catalog.Version
			if err := json.Unmarshal(e.Body, &v); err != nil {
				return err
			}
			if d := datasets[v.Dataset]; d != nil && in {
				d.VersionsImported++
				d.RowsImported += v.Rows
			}
		case audit.KindRulesSet, audit.KindRulesCosigned, audit.KindConsentsLoaded:
			if d := dataset(e.Subject); d != nil && in {
				switch e.Kind {
				case audit.KindRulesSet:
					d.RulesChanges++
				case audit.KindRulesCosigned:
					d.RulesCosigned++
				default:
					d.ConsentsLoaded++
				}
			}
		case audit.KindDatasetFlags:
			if d := datasets[e.Subject]; d != nil && in {
				d.FlagChanges++
			}
		case audit.KindScenarioConsented:
			var c struct {
				Scenario string   `json:"scenario"`
				Datasets []string `json:"datasets"`
				Agency   string   `json:"agency"`
			}
			if err := json.Unmarshal(e.Body, &c); err != nil {
				return err
			}
			if in {
				if consented[c.Agency] == nil {
					consented[c.Agency] = map[string]bool{}
				}
				consented[c.Agency][c.Scenario] = true
			}
		case audit.KindJob:
			if !in {
				return nil
			}
			j, err := logJob(e)
			if err != nil || !j.Spent() {
				return err
			}
			var g catalog.Grant
			if l := lives[j.Grant]; l != nil {
				g = l.latest
			}
			touched := map[string]int64{}
			for _, t := range j.Tables {
				name := strings.ToLower(t)
				d := datasets[name]
				if d == nil {
					continue
				}
				rows := rowsRead(g, j, name)
				d.JobsRun++
				d.RowsScanned += rows
				if j.State == catalog.JobReleased {
					d.JobsReleased++
				}
				touched[d.agency] += rows
			}
			for ag, rows := range touched {
				a := perAgency[ag]
				a.JobsRun++
				a.RowsScanned += rows
				if j.State == catalog.JobReleased {
					a.JobsReleased++
				}
			}
		default:
			return observeGrant(lives, e, p)
		}
		return nil
	})
	if err != nil {
		return report.Sources{}, err
	}

	for id, l := range lives {
		if !l.liveIn(p) {
			continue
		}
		for name := range l.latest.Datasets {
			if d := datasets[name]; d != nil {
				d.grants[id] = true
				agencyOf(name).grants[id] = true
			}
		}
	}
	for ag, a := range agencies {
		if a.Kind == catalog.KindSource && perAgency[ag] == nil {
			perAgency[ag] = &sourceYear{agency: ag, grants: map[string]bool{}}
		}
	}
	out := report.Sources{Kind: "sources", Period: p, GeneratedAt: now, Partial: partial, Checkpoint: cp, Agencies: []report.SourceAgency{}}
	for _, ag := range slices.Sorted(maps.Keys(perAgency)) {
		total := perAgency[ag]
		sa := report.SourceAgency{Agency: ag, Name: agencies[ag].Name, Datasets: []report.SourceDataset{},
			ScenariosConsented: sortedSet(consented[ag])}
		for _, name := range slices.Sorted(maps.Keys(datasets)) {
			d := datasets[name]
			if d.agency != ag {
				continue
			}
			d.Grants = sortedSet(d.grants)
			sa.Datasets = append(sa.Datasets, report.SourceDataset{Dataset: name, SourceActivity: d.SourceActivity})
			total.VersionsImported += d.VersionsImported
			total.RowsImported += d.RowsImported
			total.RulesChanges += d.RulesChanges
			total.RulesCosigned += d.RulesCosigned
			total.FlagChanges += d.FlagChanges
			total.ConsentsLoaded += d.ConsentsLoaded
		}
		total.Grants = sortedSet(total.grants)
		sa.SourceActivity = total.SourceActivity
		out.Agencies = append(out.Agencies, sa)
	}
	sb.log.Info("report generated", "kind", "sources", "period", p.Label, "agencies", len(out.Agencies), "log_size", cp.Size, "actor", actor.ID)
	return out, nil
}

// sortedSet lists a set's members in order (an empty list, never nil).
func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	return append(out, slices.Sorted(maps.Keys(m))...)
}
