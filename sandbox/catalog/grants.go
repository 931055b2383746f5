package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/rules"
)

// GrantState is where a grant is in its life.
type GrantState string

// Grant states. Pending lasts while the workspace is built; revoked and expired are final.
const (
	GrantPending   GrantState = "pending"
	GrantActive    GrantState = "active"
	GrantSuspended GrantState = "suspended"
	GrantRevoked   GrantState = "revoked"
	GrantExpired   GrantState = "expired"
)

// Grant is the one authorization of one scenario (Art. 23: 一场景一授权).
type Grant struct {
	ID        string     `json:"id"`
	Scenario  string     `json:"scenario"`
	Developer string     `json:"developer"`
	Agency    string     `json:"agency"`
	State     GrantState `json:"state"`
	// From the scenario.
	Name       string              `json:"name"`
	Purpose    string              `json:"purpose"`
	Use        Use                 `json:"use"`
	Datasets   map[string][]string `json:"datasets"`
	JobKinds   []string            `json:"job_kinds"`
	ValidUntil time.Time           `json:"valid_until"`
	Agreement  string              `json:"agreement,omitempty"`
	K          int                 `json:"k"`
	JobBudget  int                 `json:"job_budget"`
	JobsUsed   int                 `json:"jobs_used"`
	RoundTo    int                 `json:"round_to,omitempty"`
	DP         *DP                 `json:"dp,omitempty"`
	Plugins    []string            `json:"plugins,omitempty"`     // approved plugin digests
	HECircuits []string            `json:"he_circuits,omitempty"` // allowed homomorphic circuits
	// EpsilonSpent is the DP budget spent so far (filled in when read, like JobsUsed).
	EpsilonSpent float64 `json:"epsilon_spent,omitempty"`
	// What the workspace was built from.
	FollowLatest bool           `json:"follow_latest"`
	Pins         map[string]int `json:"pins"`          // dataset → version
	RuleVersions map[string]int `json:"rule_versions"` // dataset → rules version
	ConsentSets  map[string]int `json:"consent_sets"`  // dataset → consent registry version (consent-gated datasets)
	Workspace    Workspace      `json:"workspace"`
	ApprovedBy   string         `json:"approved_by"`
	ApprovedAt   time.Time      `json:"approved_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
	StateReason  string         `json:"state_reason,omitempty"`
}

// Workspace describes a grant's workspace (never its rows).
type Workspace struct {
	Digest  string           `json:"digest"`
	BuiltAt time.Time        `json:"built_at"`
	Tables  []WorkspaceTable `json:"tables"`
	// Sources maps each dataset to the digest of the version the workspace was built from.
	Sources map[string]string `json:"sources,omitempty"`
	// Deleted is set once a revoked grant's rows are gone; digest and recipe stay for replay.
	Deleted bool `json:"deleted,omitempty"`
}

// WorkspaceTable is one table of a workspace.
type WorkspaceTable struct {
	Name              string            `json:"name"`
	Rows              int64             `json:"rows"`
	MaxRowsPerUnit    int64             `json:"max_rows_per_unit"`
	ExcludedByConsent int64             `json:"excluded_by_consent"`
	ExcludedNoUnit    int64             `json:"excluded_no_unit"`
	Columns           []WorkspaceColumn `json:"columns"`
}

// WorkspaceColumn is a column as jobs see it.
type WorkspaceColumn struct {
	Name  string      `json:"name"`
	Type  string      `json:"type"`
	Class rules.Class `json:"class"`
	Usage rules.Usage `json:"usage,omitempty"`
	Unit  bool        `json:"privacy_unit,omitempty"`
	// Lo and Hi are an aggregate_only column's clamp bounds (differential privacy);
	// InBounds says every value already lies within them (then clamping is skipped).
	Lo       *float64 `json:"lo,omitempty"`
	Hi       *float64 `json:"hi,omitempty"`
	InBounds bool     `json:"in_bounds,omitempty"`
}

// Effective returns g with its state as of now: an active or suspended grant past its validity
// is expired, to the instant.
func (g Grant) Effective(now time.Time) Grant {
	if (g.State == GrantActive || g.State == GrantSuspended) && !now.Before(g.ValidUntil) {
		g.State = GrantExpired
		g.StateReason = "validity ended"
	}
	return g
}

// ReserveGrant creates the pending grant of an approved scenario: the one grant it will ever
// have. A second reservation for the same scenario is a conflict.
func (c *Catalog) ReserveGrant(ctx context.Context, scenarioID, approver string, requireConsents func(Scenario) error) (Grant, string, error) {
	var g Grant
	file := ""
	err := c.write(ctx, func(tx *sql.Tx) error {
		var body, state, developer, agency string
		err := tx.QueryRowContext(ctx, "SELECT body, state, developer, agency FROM scenarios WHERE id = ?", scenarioID).Scan(&body, &state, &developer, &agency)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.E(fault.NotFound, "no scenario %q", clip(scenarioID))
		}
		if err != nil {
			return err
		}
		if dup, err := exists(ctx, tx, "grants WHERE scenario = ?", scenarioID); err != nil || dup {
			return errOr(err, fault.E(fault.Conflict, "scenario %s already has its grant: one scenario, one authorization (Art. 23)", scenarioID))
		}
		if ScenarioState(state) != ScenarioRequested {
			return fault.E(fault.Conflict, "scenario %s is %s and cannot be approved", scenarioID, state)
		}
		s := Scenario{ID: scenarioID, Developer: developer, Agency: agency, State: ScenarioState(state)}
		if err := json.Unmarshal([]byte(body), &s.ScenarioRequest); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, "SELECT dataset, agency, by_whom, given_at FROM scenario_consents WHERE scenario = ?", scenarioID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sc ScenarioConsent
			if err := rows.Scan(&sc.Dataset, &sc.Agency, &sc.By, &sc.At); err != nil {
				rows.Close()
				return err
			}
			s.Consents = append(s.Consents, sc)
		}
		rows.Close()
		if err := requireConsents(s); err != nil {
			return err
		}
		now := c.now().UTC()
		g = Grant{
			ID: newID("gr_"), Scenario: scenarioID, Developer: developer, Agency: agency, State: GrantPending,
			Name: s.Name, Purpose: s.Purpose, Use: s.Use, Datasets: s.Datasets, JobKinds: s.JobKinds,
			ValidUntil: s.ValidUntil, Agreement: s.Agreement, K: s.K, JobBudget: s.JobBudget, RoundTo: s.RoundTo, DP: s.DP, Plugins: s.Plugins, HECircuits: s.HECircuits,
			FollowLatest: s.FollowLatest, ApprovedBy: approver, ApprovedAt: now, UpdatedAt: now,
			Pins: map[string]int{}, RuleVersions: map[string]int{}, ConsentSets: map[string]int{},
		}
		file = g.ID + ".duckdb"
		b, _ := json.Marshal(g)
		if _, err := tx.ExecContext(ctx, "INSERT INTO grants VALUES (?, ?, ?, ?, ?, ?, ?)", g.ID, scenarioID, developer, string(g.State), string(b), file, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE scenarios SET state = ? WHERE id = ?", string(ScenarioApproved), scenarioID)
		return err
	})
	c.grantGen.Add(1)
	return g, file, wrap("approve", err)
}

// CancelPending removes a pending grant whose workspace could not be built, and returns its
// scenario to review: an approval that failed leaves nothing behind.
func (c *Catalog) CancelPending(ctx context.Context, id string) error {
	defer c.grantGen.Add(1)
	return wrap("cancel grant", c.write(ctx, func(tx *sql.Tx) error {
		var scenario, state string
		if err := tx.QueryRowContext(ctx, "SELECT scenario, state FROM grants WHERE id = ?", id).Scan(&scenario, &state); err != nil {
			return err
		}
		if GrantState(state) != GrantPending {
			return fault.E(fault.Conflict, "grant %s is %s, not pending", id, state)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM grants WHERE id = ?", id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE scenarios SET state = ? WHERE id = ?", string(ScenarioRequested), scenario)
		return err
	}))
}

// PendingGrants lists grants left pending (by a crash during a build).
func (c *Catalog) PendingGrants(ctx context.Context) ([]string, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT id FROM grants WHERE state = ?", string(GrantPending))
	if err != nil {
		return nil, wrap("pending grants", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Grant returns a grant in its effective state.
func (c *Catalog) Grant(ctx context.Context, id string) (Grant, error) {
	gs, err := c.grants(ctx, "WHERE id = ?", id)
	if err != nil {
		return Grant{}, err
	}
	if len(gs) == 0 {
		return Grant{}, fault.E(fault.NotFound, "no grant %q", clip(id))
	}
	return gs[0], nil
}

// GrantFile is the workspace file name of a grant, relative to the workspace directory.
func (c *Catalog) GrantFile(ctx context.Context, id string) (string, error) {
	var f string
	err := c.db.QueryRowContext(ctx, "SELECT file FROM grants WHERE id = ?", id).Scan(&f)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fault.E(fault.NotFound, "no grant %q", clip(id))
	}
	return f, wrap("grant file", err)
}

// Grants lists every grant in its effective state.
func (c *Catalog) Grants(ctx context.Context) ([]Grant, error) { return c.grants(ctx, "") }

func (c *Catalog) grants(ctx context.Context, where string, args ...any) ([]Grant, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT body, state FROM grants "+where+" ORDER BY id", args...)
	if err != nil {
		return nil, wrap("list grants", err)
	}
	defer rows.Close()
	now := c.now()
	out := []Grant{}
	for rows.Next() {
		var body, state string
		if err := rows.Scan(&body, &state); err != nil {
			return nil, wrap("list grants", err)
		}
		var g Grant
		if err := json.Unmarshal([]byte(body), &g); err != nil {
			return nil, wrap("list grants", err)
		}
		g.State = GrantState(state)
		out = append(out, g.Effective(now))
	}
	return out, wrap("list grants", rows.Err())
}

// UpdateGrant changes a grant under the write lock: fn sees the grant in its effective state
// and returns the new one (or an error, which changes nothing).
// The change is logged as kind.
func (c *Catalog) UpdateGrant(ctx context.Context, id, kind string, fn func(g *Grant) error) (Grant, error) {
	var out Grant
	err := c.write(ctx, func(tx *sql.Tx) error {
		var body, state string
		err := tx.QueryRowContext(ctx, "SELECT body, state FROM grants WHERE id = ?", id).Scan(&body, &state)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.E(fault.NotFound, "no grant %q", clip(id))
		}
		if err != nil {
			return err
		}
		var g Grant
		if err := json.Unmarshal([]byte(body), &g); err != nil {
			return err
		}
		g.State = GrantState(state)
		now := c.now()
		g = g.Effective(now)
		if err := fn(&g); err != nil {
			return err
		}
		g.UpdatedAt = now.UTC()
		b, _ := json.Marshal(g)
		if _, err = tx.ExecContext(ctx, "UPDATE grants SET body = ?, state = ?, updated_at = ? WHERE id = ?", string(b), string(g.State), g.UpdatedAt, id); err != nil {
			return err
		}
		out = g
		return c.record(ctx, tx, kind, g.ID, g.ID, g)
	})
	c.grantGen.Add(1)
	return out, wrap("update grant", err)
}

// GrantGeneration changes whenever any grant changes: a cache of grants is valid while it
// stays the same.
func (c *Catalog) GrantGeneration() uint64 { return c.grantGen.Load() }

// Transition moves a grant between states, refusing illegal moves with a conflict.
func Transition(g *Grant, to GrantState, reason string) error {
	legal := map[GrantState][]GrantState{
		GrantPending:   {GrantActive},
		GrantActive:    {GrantSuspended, GrantRevoked},
		GrantSuspended: {GrantActive, GrantRevoked},
	}
	for _, ok := range legal[g.State] {
		if ok == to {
			g.State, g.StateReason = to, reason
			return nil
		}
	}
	return fault.E(fault.Conflict, "grant %s is %s and cannot become %s", g.ID, g.State, to)
}
