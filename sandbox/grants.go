package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/inviso/inviso/crypto/pseudonym"
	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/rules"
	"github.com/inviso/inviso/sandbox/workspace"
)

// SetRules records a new version of a dataset's column rules, set by its source agency. minK, if
// not zero, is the dataset's own minimum group size (never below catalog.AbsoluteMinK).
func (sb *Sandbox) SetRules(ctx context.Context, actor catalog.Principal, dataset string, set rules.Set, minK int) (catalog.RuleSet, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	d, err := sb.ownDataset(ctx, actor, dataset)
	if err != nil {
		return catalog.RuleSet{}, err
	}
	v, ok, err := sb.catalog.Latest(ctx, d.Name)
	if err != nil {
		return catalog.RuleSet{}, err
	}
	if !ok {
		return catalog.RuleSet{}, fault.E(fault.Conflict, "dataset %q has no version yet; rules are checked against its schema, so import a version first", d.Name)
	}
	if err := rules.Validate(set, schemaOf(v), d.PrivacyUnit); err != nil {
		return catalog.RuleSet{}, err
	}
	if minK == 0 {
		minK = catalog.DefaultMinK
	}
	if minK < catalog.AbsoluteMinK {
		return catalog.RuleSet{}, fault.E(fault.InvalidInput, "min_k must be at least %d", catalog.AbsoluteMinK)
	}
	rs, err := sb.catalog.SetRules(ctx, catalog.RuleSet{Dataset: d.Name, Rules: set, MinK: minK, SetBy: actor.ID})
	if err == nil {
		sb.log.Info("rules changed", "dataset", d.Name, "version", rs.Version, "min_k", rs.MinK, "actor", actor.ID)
	}
	return rs, err
}

// CosignRules records an implementer's co-signature of a rules version (Art. 24).
func (sb *Sandbox) CosignRules(ctx context.Context, actor catalog.Principal, dataset string, version int) (catalog.RuleSet, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	rs, err := sb.catalog.CosignRules(ctx, dataset, version, actor.ID)
	if err == nil {
		sb.log.Info("rules co-signed", "dataset", dataset, "version", version, "actor", actor.ID)
	}
	return rs, err
}

// RuleHistory lists every version of a dataset's rules.
func (sb *Sandbox) RuleHistory(ctx context.Context, dataset string) ([]catalog.RuleSet, error) {
	if _, err := sb.catalog.Dataset(ctx, dataset); err != nil {
		return nil, err
	}
	return sb.catalog.RuleHistory(ctx, dataset)
}

// SetConsents loads a new version of a dataset's consent registry (Art. 23).
func (sb *Sandbox) SetConsents(ctx context.Context, actor catalog.Principal, dataset string, body io.Reader) (catalog.ConsentSet, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	d, err := sb.ownDataset(ctx, actor, dataset)
	if err != nil {
		return catalog.ConsentSet{}, err
	}
	return sb.store.ImportConsents(ctx, d, body, actor.ID)
}

// SetFlags replaces a dataset's Art. 2 flags: only its source agency may lift or set them.
func (sb *Sandbox) SetFlags(ctx context.Context, actor catalog.Principal, dataset string, flags []catalog.Flag) (catalog.Dataset, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	d, err := sb.ownDataset(ctx, actor, dataset)
	if err != nil {
		return catalog.Dataset{}, err
	}
	out, err := sb.catalog.SetFlags(ctx, d.Name, flags)
	if err == nil {
		sb.log.Info("flags changed", "dataset", d.Name, "flags", flags, "actor", actor.ID)
	}
	return out, err
}

func (sb *Sandbox) ownDataset(ctx context.Context, actor catalog.Principal, name string) (catalog.Dataset, error) {
	d, err := sb.catalog.Dataset(ctx, name)
	if err != nil {
		return catalog.Dataset{}, err
	}
	if d.Agency != actor.Agency {
		return catalog.Dataset{}, fault.E(fault.Forbidden, "dataset %q belongs to agency %q; only it may change it", d.Name, d.Agency)
	}
	return d, nil
}

func schemaOf(v catalog.Version) []rules.Column {
	out := make([]rules.Column, len(v.Columns))
	for i, c := range v.Columns {
		out[i] = rules.Column{Name: c.Name, Type: c.Type}
	}
	return out
}

// art2 returns the Art. 2 reasons a dataset cannot enter a scenario.
func (sb *Sandbox) art2(ctx context.Context, d catalog.Dataset) ([]fault.Reason, error) {
	var out []fault.Reason
	for _, f := range d.Flags {
		switch f {
		case catalog.FlagRestricted:
			out = append(out, fault.Reason{Code: "art2_restricted", Message: fmt.Sprintf("Art. 2: dataset %q is flagged restricted (non-open data not yet declassified or desensitized); it can enter no scenario until its source agency lifts the flag", d.Name)})
		case catalog.FlagSecret:
			out = append(out, fault.Reason{Code: "art2_secret", Message: fmt.Sprintf("Art. 2: dataset %q is flagged secret (kept secret by law); it can enter no scenario", d.Name)})
		case catalog.FlagNeedsSubjectConsent:
			_, ok, err := sb.catalog.Consents(ctx, d.Name)
			if err != nil {
				return nil, err
			}
			if !ok {
				out = append(out, fault.Reason{Code: "art2_no_consent", Message: fmt.Sprintf("Art. 2: dataset %q needs its data subjects' authorization and has no consent registry; it can enter no scenario until its source agency loads one", d.Name)})
			}
		}
	}
	return out, nil
}

// RequestScenario records a developer's request for one scenario (Art. 18, 23). Every problem
// is reported at once.
func (sb *Sandbox) RequestScenario(ctx context.Context, actor catalog.Principal, req catalog.ScenarioRequest) (catalog.Scenario, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	if err := req.Validate(sb.opt.Clock()); err != nil {
		return catalog.Scenario{}, err
	}
	var reasons []fault.Reason
	minK := catalog.AbsoluteMinK
	for _, name := range req.DatasetNames() {
		d, err := sb.catalog.Dataset(ctx, name)
		if fault.CodeOf(err) == fault.NotFound {
			reasons = append(reasons, fault.Reason{Code: "unknown_dataset", Message: fmt.Sprintf("no dataset %q", name)})
			continue
		}
		if err != nil {
			return catalog.Scenario{}, err
		}
		a2, err := sb.art2(ctx, d)
		if err != nil {
			return catalog.Scenario{}, err
		}
		reasons = append(reasons, a2...)
		v, hasVersion, err := sb.catalog.Latest(ctx, name)
		if err != nil {
			return catalog.Scenario{}, err
		}
		rs, hasRules, err := sb.catalog.Rules(ctx, name)
		if err != nil {
			return catalog.Scenario{}, err
		}
		if !hasVersion || !hasRules {
			reasons = append(reasons, fault.Reason{Code: "not_ready", Message: fmt.Sprintf("dataset %q has no data or no desensitization rules yet", name)})
			continue
		}
		minK = max(minK, rs.MinK)
		eff := rules.Resolve(rs.Rules, schemaOf(v), d.PrivacyUnit)
		for _, col := range req.Datasets[name] {
			i := slices.IndexFunc(eff, func(e rules.Effective) bool { return strings.EqualFold(e.Column.Name, col) })
			switch {
			case i < 0:
				reasons = append(reasons, fault.Reason{Code: "unknown_column", Message: fmt.Sprintf("dataset %q has no column %q", name, col)})
			case !eff[i].Present():
				reasons = append(reasons, fault.Reason{Code: "column_dropped", Message: fmt.Sprintf("column %q of %q is dropped by its source agency's rules and cannot be granted", col, name)})
			case eff[i].Rule.Usage == "" && !eff[i].Unit:
				reasons = append(reasons, fault.Reason{Code: "column_unusable", Message: fmt.Sprintf("column %q of %q has no usage (dimension, aggregate_only or join_only) in its rules, so no job could use it", col, name)})
			}
		}
	}
	if req.K == 0 {
		req.K = max(minK, catalog.DefaultMinK)
	}
	if req.K < minK {
		reasons = append(reasons, fault.Reason{Code: "k_too_small", Message: fmt.Sprintf("k = %d is below the datasets' minimum of %d", req.K, minK)})
	}
	if len(reasons) > 0 {
		return catalog.Scenario{}, fault.E(fault.PolicyDenied, "the scenario cannot be requested (%d reason(s))", len(reasons)).With(reasons...)
	}
	s, err := sb.catalog.CreateScenario(ctx, catalog.Scenario{ScenarioRequest: req, Developer: actor.ID, Agency: actor.Agency})
	if err == nil {
		sb.log.Info("scenario requested", "scenario", s.ID, "name", s.Name, "developer", actor.ID, "datasets", s.DatasetNames())
	}
	return s, err
}

// Scenario returns one scenario, to its developer, the source agencies it involves, and reviewers.
func (sb *Sandbox) Scenario(ctx context.Context, actor catalog.Principal, id string) (catalog.Scenario, error) {
	s, err := sb.catalog.Scenario(ctx, id)
	if err != nil {
		return catalog.Scenario{}, err
	}
	if !sb.maySeeScenario(ctx, actor, s) {
		return catalog.Scenario{}, fault.E(fault.NotFound, "no scenario %q", id) // do not confirm it exists
	}
	return s, nil
}

// Scenarios lists the scenarios the actor may see.
func (sb *Sandbox) Scenarios(ctx context.Context, actor catalog.Principal) ([]catalog.Scenario, error) {
	all, err := sb.catalog.Scenarios(ctx)
	if err != nil {
		return nil, err
	}
	out := []catalog.Scenario{}
	for _, s := range all {
		if sb.maySeeScenario(ctx, actor, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (sb *Sandbox) maySeeScenario(ctx context.Context, actor catalog.Principal, s catalog.Scenario) bool {
	if actor.Has(catalog.RoleAdmin) || actor.Has(catalog.RoleImplementer) || actor.Has(catalog.RoleAuditor) || actor.Has(catalog.RoleOperator) {
		return true
	}
	if actor.Has(catalog.RoleDeveloper) && s.Developer == actor.ID {
		return true
	}
	if actor.Has(catalog.RoleSource) {
		return len(sb.ownedIn(ctx, actor, s)) > 0
	}
	return false
}

// ownedIn lists the scenario's datasets that belong to the actor's agency.
func (sb *Sandbox) ownedIn(ctx context.Context, actor catalog.Principal, s catalog.Scenario) []string {
	var out []string
	for _, name := range s.DatasetNames() {
		if d, err := sb.catalog.Dataset(ctx, name); err == nil && d.Agency == actor.Agency {
			out = append(out, name)
		}
	}
	return out
}

// ConsentScenario records a source agency's agreement for its datasets in a scenario (Art. 19).
func (sb *Sandbox) ConsentScenario(ctx context.Context, actor catalog.Principal, id string) (catalog.Scenario, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	s, err := sb.catalog.Scenario(ctx, id)
	if err != nil {
		return catalog.Scenario{}, err
	}
	mine := sb.ownedIn(ctx, actor, s)
	if len(mine) == 0 {
		return catalog.Scenario{}, fault.E(fault.Forbidden, "scenario %s uses no dataset of agency %q", id, actor.Agency)
	}
	out, err := sb.catalog.ConsentScenario(ctx, id, mine, actor.Agency, actor.ID)
	if err == nil {
		sb.log.Info("scenario consented", "scenario", id, "datasets", mine, "agency", actor.Agency, "actor", actor.ID)
	}
	return out, err
}

// RejectScenario ends a scenario without a grant.
func (sb *Sandbox) RejectScenario(ctx context.Context, actor catalog.Principal, id string) (catalog.Scenario, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	s, err := sb.catalog.RejectScenario(ctx, id)
	if err == nil {
		sb.log.Info("scenario rejected", "scenario", id, "actor", actor.ID)
	}
	return s, err
}

// ApproveScenario creates the one grant of a scenario once every source agency involved has
// consented, and returns it after its workspace is built, active. If the build fails the
// approval is undone entirely.
func (sb *Sandbox) ApproveScenario(ctx context.Context, actor catalog.Principal, id string) (catalog.Grant, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	s, err := sb.catalog.Scenario(ctx, id)
	if err != nil {
		return catalog.Grant{}, err
	}
	var reasons []fault.Reason
	for _, name := range s.DatasetNames() {
		d, err := sb.catalog.Dataset(ctx, name)
		if err != nil {
			return catalog.Grant{}, err
		}
		a2, err := sb.art2(ctx, d)
		if err != nil {
			return catalog.Grant{}, err
		}
		reasons = append(reasons, a2...)
	}
	if len(reasons) > 0 {
		return catalog.Grant{}, fault.E(fault.PolicyDenied, "the scenario cannot be approved (%d reason(s))", len(reasons)).With(reasons...)
	}
	g, file, err := sb.catalog.ReserveGrant(ctx, id, actor.ID, func(s catalog.Scenario) error {
		var missing []fault.Reason
		for _, name := range s.DatasetNames() {
			if !slices.ContainsFunc(s.Consents, func(c catalog.ScenarioConsent) bool { return c.Dataset == name }) {
				missing = append(missing, fault.Reason{Code: "missing_consent", Message: fmt.Sprintf("the source agency of %q has not consented (Art. 19: co-review)", name)})
			}
		}
		if len(missing) > 0 {
			return fault.E(fault.Conflict, "every source agency involved must consent before approval").With(missing...)
		}
		return nil
	})
	if err != nil {
		return catalog.Grant{}, err
	}
	built, err := sb.build(ctx, g, sb.workspacePath(file), nil)
	if err != nil {
		if cerr := sb.catalog.CancelPending(context.WithoutCancel(ctx), g.ID); cerr != nil {
			sb.log.Error("could not cancel a pending grant", "grant", g.ID, "error", fault.Redact(cerr))
		}
		return catalog.Grant{}, err
	}
	g, err = sb.catalog.UpdateGrant(ctx, g.ID, audit.KindScenarioApproved, func(cur *catalog.Grant) error {
		applyBuild(cur, built)
		return catalog.Transition(cur, catalog.GrantActive, "approved")
	})
	if err != nil {
		os.Remove(sb.workspacePath(file))
		return catalog.Grant{}, err
	}
	sb.log.Info("grant approved", "grant", g.ID, "scenario", id, "developer", g.Developer, "workspace", g.Workspace.Digest, "actor", actor.ID)
	return g, nil
}

// built is what a workspace build produced.
type built struct {
	ws       catalog.Workspace
	pins     map[string]int
	rules    map[string]int
	consents map[string]int
}

func applyBuild(g *catalog.Grant, b built) {
	g.Workspace, g.Pins, g.RuleVersions, g.ConsentSets = b.ws, b.pins, b.rules, b.consents
}

func (sb *Sandbox) workspacePath(file string) string {
	return filepath.Join(sb.opt.DataDir, "workspaces", file)
}

// recipe pins what a workspace is built from: dataset, rules and consent registry versions.
type recipe struct {
	pins, rules, consents map[string]int
}

// build materialises a grant's workspace at path from the latest versions and rules, or from
// those of a recipe (replay): only the columns the scenario asked for (and the privacy unit)
// enter it, desensitized on the way in.
func (sb *Sandbox) build(ctx context.Context, g catalog.Grant, path string, rc *recipe) (built, error) {
	key, err := pseudonym.DeriveKey(sb.master, g.ID)
	if err != nil {
		return built{}, err
	}
	b := built{pins: map[string]int{}, rules: map[string]int{}, consents: map[string]int{}}
	sources := map[string]string{}
	spec := workspace.Spec{Key: key, DuckDB: sb.opt.DuckDB}
	names := make([]string, 0, len(g.Datasets))
	for n := range g.Datasets {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		d, err := sb.catalog.Dataset(ctx, name)
		if err != nil {
			return built{}, err
		}
		var v catalog.Version
		var rs catalog.RuleSet
		if rc != nil {
			if v, err = sb.catalog.Version(ctx, name, rc.pins[name]); err != nil {
				return built{}, err
			}
			if rs, err = sb.catalog.RuleSetVersion(ctx, name, rc.rules[name]); err != nil {
				return built{}, err
			}
		} else {
			var ok bool
			v, ok, err = sb.catalog.Latest(ctx, name)
			if err != nil || !ok {
				return built{}, errOr(err, fault.E(fault.Conflict, "dataset %q has no version", name))
			}
			rs, ok, err = sb.catalog.Rules(ctx, name)
			if err != nil || !ok {
				return built{}, errOr(err, fault.E(fault.Conflict, "dataset %q has no rules", name))
			}
		}
		eff := rules.Resolve(rs.Rules, schemaOf(v), d.PrivacyUnit)
		wanted := g.Datasets[name]
		for i := range eff {
			if !eff[i].Unit && !slices.ContainsFunc(wanted, func(c string) bool { return strings.EqualFold(c, eff[i].Column.Name) }) {
				eff[i].Rule = rules.Rule{Class: eff[i].Rule.Class, Treatment: rules.Drop} // not granted: not in the workspace
			}
		}
		src := workspace.Source{Table: name, Path: sb.store.Path(v), Columns: eff}
		if slices.Contains(d.Flags, catalog.FlagNeedsSubjectConsent) {
			cs, ok, err := sb.catalog.Consents(ctx, name)
			if rc != nil {
				cs, ok, err = sb.catalog.ConsentSetVersion(ctx, name, rc.consents[name])
			}
			if err != nil || !ok {
				return built{}, errOr(err, fault.E(fault.PolicyDenied, "Art. 2: dataset %q needs a consent registry", name))
			}
			src.Consent = &workspace.Consent{Path: sb.store.ConsentPath(cs), Purposes: []string{g.Name, g.Purpose}, ValidThrough: g.ValidUntil}
			b.consents[name] = cs.Version
		}
		spec.Sources = append(spec.Sources, src)
		b.pins[name], b.rules[name], sources[name] = v.Number, rs.Version, v.Digest
	}
	if err := os.MkdirAll(filepath.Join(sb.opt.DataDir, "workspaces"), 0o700); err != nil {
		return built{}, err
	}
	res, err := workspace.Build(ctx, path, spec)
	if err != nil {
		return built{}, fmt.Errorf("build workspace of %s: %w", g.ID, err)
	}
	b.ws = catalog.Workspace{Digest: res.Digest, BuiltAt: sb.opt.Clock().UTC(), Sources: sources}
	for _, t := range res.Tables {
		wt := catalog.WorkspaceTable{Name: t.Name, Rows: t.Rows, MaxRowsPerUnit: t.MaxRowsPerUnit, ExcludedByConsent: t.ExcludedByConsent, ExcludedNoUnit: t.ExcludedNoUnit}
		for _, c := range t.Columns {
			wt.Columns = append(wt.Columns, catalog.WorkspaceColumn{Name: c.Name, Type: c.Type, Class: c.Class, Usage: c.Usage, Unit: c.Unit, Lo: c.Lo, Hi: c.Hi, InBounds: c.InBounds})
		}
		b.ws.Tables = append(b.ws.Tables, wt)
	}
	return b, nil
}

func errOr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// Grant returns a grant to its grantee, an implementer, an auditor or the admin.
func (sb *Sandbox) Grant(ctx context.Context, actor catalog.Principal, id string) (catalog.Grant, error) {
	g, err := sb.catalog.Grant(ctx, id)
	if err != nil {
		return catalog.Grant{}, err
	}
	if g.Developer != actor.ID && !actor.Has(catalog.RoleImplementer) && !actor.Has(catalog.RoleAuditor) && !actor.Has(catalog.RoleAdmin) {
		return catalog.Grant{}, fault.E(fault.NotFound, "no grant %q", id) // do not confirm it exists
	}
	sb.withUsage(&g)
	return g, nil
}

// Grants lists the grants the actor may see.
func (sb *Sandbox) Grants(ctx context.Context, actor catalog.Principal) ([]catalog.Grant, error) {
	all, err := sb.catalog.Grants(ctx)
	if err != nil {
		return nil, err
	}
	out := []catalog.Grant{}
	for _, g := range all {
		if g.Developer == actor.ID || actor.Has(catalog.RoleImplementer) || actor.Has(catalog.RoleAuditor) || actor.Has(catalog.RoleAdmin) {
			sb.withUsage(&g)
			out = append(out, g)
		}
	}
	return out, nil
}

// ChangeGrant suspends, resumes or revokes a grant. Revoking deletes the workspace's rows and
// keeps its digest and recipe (pins, rule versions) for replay.
func (sb *Sandbox) ChangeGrant(ctx context.Context, actor catalog.Principal, id string, to catalog.GrantState, reason string) (catalog.Grant, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	if err := catalog.ValidText("reason", reason, 500, false); err != nil {
		return catalog.Grant{}, err
	}
	kind := map[catalog.GrantState]string{catalog.GrantSuspended: audit.KindGrantSuspended, catalog.GrantActive: audit.KindGrantResumed, catalog.GrantRevoked: audit.KindGrantRevoked}[to]
	if kind == "" {
		return catalog.Grant{}, fault.E(fault.Conflict, "a grant can only be suspended, resumed (made active again) or revoked")
	}
	g, err := sb.catalog.UpdateGrant(ctx, id, kind, func(g *catalog.Grant) error {
		if err := catalog.Transition(g, to, reason); err != nil {
			return err
		}
		if to == catalog.GrantRevoked {
			g.Workspace.Deleted = true
		}
		return nil
	})
	if err != nil {
		return catalog.Grant{}, err
	}
	if to == catalog.GrantRevoked {
		file, err := sb.catalog.GrantFile(ctx, id)
		if err == nil {
			sb.engine.Forget(sb.workspacePath(file))
			err = os.Remove(sb.workspacePath(file))
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			sb.log.Error("revoked grant's workspace could not be deleted", "grant", id, "error", fault.Redact(err))
		}
	}
	sb.log.Warn("grant state changed", "grant", id, "state", g.State, "reason", reason, "actor", actor.ID)
	return g, nil
}

// SuspendAll suspends every active grant at once (Art. 24 emergency response).
func (sb *Sandbox) SuspendAll(ctx context.Context, actor catalog.Principal, reason string) ([]string, error) {
	ctx = catalog.WithActor(ctx, actor.ID)
	all, err := sb.catalog.Grants(ctx)
	if err != nil {
		return nil, err
	}
	suspended := []string{}
	for _, g := range all {
		if g.State != catalog.GrantActive {
			continue
		}
		if _, err := sb.ChangeGrant(ctx, actor, g.ID, catalog.GrantSuspended, reason); err != nil && fault.CodeOf(err) != fault.Conflict {
			return suspended, err
		}
		suspended = append(suspended, g.ID)
	}
	sb.log.Warn("all grants suspended", "count", len(suspended), "reason", reason, "actor", actor.ID)
	return suspended, nil
}

// rebuildFollowers rebuilds the workspaces of live grants that follow a dataset's latest
// version. A failed rebuild leaves the grant on its previous workspace and is logged.
func (sb *Sandbox) rebuildFollowers(ctx context.Context, dataset string) {
	all, err := sb.catalog.Grants(ctx)
	if err != nil {
		sb.log.Error("rebuild followers", "dataset", dataset, "error", fault.Redact(err))
		return
	}
	for _, g := range all {
		if !g.FollowLatest || (g.State != catalog.GrantActive && g.State != catalog.GrantSuspended) {
			continue
		}
		if _, ok := g.Datasets[dataset]; !ok {
			continue
		}
		file, err := sb.catalog.GrantFile(ctx, g.ID)
		if err == nil {
			var b built
			if b, err = sb.build(ctx, g, sb.workspacePath(file), nil); err == nil {
				sb.engine.Forget(sb.workspacePath(file))
				_, err = sb.catalog.UpdateGrant(ctx, g.ID, audit.KindGrantRebuilt, func(cur *catalog.Grant) error { applyBuild(cur, b); return nil })
			}
		}
		if err != nil {
			sb.log.Error("workspace rebuild failed; the grant keeps its previous workspace", "grant", g.ID, "dataset", dataset, "error", fault.Redact(err))
			continue
		}
		sb.log.Info("workspace rebuilt for a new version", "grant", g.ID, "dataset", dataset)
	}
}

// withUsage fills in what a grant has spent (jobs, and DP epsilon).
func (sb *Sandbox) withUsage(g *catalog.Grant) {
	u := sb.ledger.of(g.ID)
	g.JobsUsed = u.Jobs
	if g.DP != nil {
		g.EpsilonSpent = float64(u.EpsilonMicro) / 1e6
	}
}

// WorkspacePath is the file of a grant's workspace, for the operator's tools (a benchmark
// opens a copy of it as its raw baseline). Jobs never reach it by path.
func (sb *Sandbox) WorkspacePath(ctx context.Context, grantID string) (string, error) {
	file, err := sb.catalog.GrantFile(ctx, grantID)
	if err != nil {
		return "", err
	}
	return sb.workspacePath(file), nil
}
