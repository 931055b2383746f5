package catalog

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/rules"
)

const scenarioSchema = `
CREATE TABLE IF NOT EXISTS rule_sets (
	dataset     VARCHAR NOT NULL,
	version     INTEGER NOT NULL,
	rules       VARCHAR NOT NULL,
	min_k       INTEGER NOT NULL,
	set_by      VARCHAR NOT NULL,
	set_at      TIMESTAMPTZ NOT NULL,
	cosigned_by VARCHAR,
	cosigned_at TIMESTAMPTZ,
	PRIMARY KEY (dataset, version)
);
CREATE TABLE IF NOT EXISTS consent_sets (
	dataset  VARCHAR NOT NULL,
	version  INTEGER NOT NULL,
	file     VARCHAR NOT NULL UNIQUE,
	rows     BIGINT NOT NULL,
	subjects BIGINT NOT NULL,
	digest   VARCHAR NOT NULL,
	set_by   VARCHAR NOT NULL,
	set_at   TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (dataset, version)
);
CREATE TABLE IF NOT EXISTS scenarios (
	id          VARCHAR PRIMARY KEY,
	body        VARCHAR NOT NULL,
	developer   VARCHAR NOT NULL,
	agency      VARCHAR NOT NULL,
	state       VARCHAR NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS scenario_consents (
	scenario VARCHAR NOT NULL,
	dataset  VARCHAR NOT NULL,
	agency   VARCHAR NOT NULL,
	by_whom  VARCHAR NOT NULL,
	given_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (scenario, dataset)
);
CREATE TABLE IF NOT EXISTS grants (
	id         VARCHAR PRIMARY KEY,
	scenario   VARCHAR NOT NULL UNIQUE,
	developer  VARCHAR NOT NULL,
	state      VARCHAR NOT NULL,
	body       VARCHAR NOT NULL,
	file       VARCHAR NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
`

// DefaultMinK is a dataset's minimum group size when its rules do not set one, and the floor
// of any k: fewer than this many people per released group is never allowed.
const DefaultMinK = 10

// AbsoluteMinK is the lowest minimum a source agency may set for its dataset.
const AbsoluteMinK = 2

// RuleSet is one version of a dataset's column rules (Art. 24).
type RuleSet struct {
	Dataset    string     `json:"dataset"`
	Version    int        `json:"version"`
	Rules      rules.Set  `json:"rules"`
	MinK       int        `json:"min_k"`
	SetBy      string     `json:"set_by"`
	SetAt      time.Time  `json:"set_at"`
	CosignedBy string     `json:"cosigned_by,omitempty"`
	CosignedAt *time.Time `json:"cosigned_at,omitempty"`
}

// SetRules appends a new version of a dataset's rules.
func (c *Catalog) SetRules(ctx context.Context, rs RuleSet) (RuleSet, error) {
	body, err := json.Marshal(rs.Rules)
	if err != nil {
		return RuleSet{}, err
	}
	rs.SetAt = c.now().UTC()
	err = c.write(ctx, func(tx *sql.Tx) error {
		if ok, err := exists(ctx, tx, "datasets WHERE name = ?", rs.Dataset); err != nil || !ok {
			return errOr(err, fault.E(fault.NotFound, "no dataset %q", rs.Dataset))
		}
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) + 1 FROM rule_sets WHERE dataset = ?", rs.Dataset).Scan(&rs.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO rule_sets VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
			rs.Dataset, rs.Version, string(body), rs.MinK, rs.SetBy, rs.SetAt); err != nil {
			return err
		}
		return c.record(ctx, tx, audit.KindRulesSet, fmt.Sprintf("%s@%d", rs.Dataset, rs.Version), "", rs)
	})
	return rs, wrap("set rules", err)
}

// CosignRules records the implementer's co-signature on a rule version.
func (c *Catalog) CosignRules(ctx context.Context, dataset string, version int, by string) (RuleSet, error) {
	at := c.now().UTC()
	err := c.write(ctx, func(tx *sql.Tx) error {
		var signer sql.NullString
		err := tx.QueryRowContext(ctx, "SELECT cosigned_by FROM rule_sets WHERE dataset = ? AND version = ?", dataset, version).Scan(&signer)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.E(fault.NotFound, "dataset %q has no rules version %d", dataset, version)
		}
		if err != nil {
			return err
		}
		if signer.Valid {
			return fault.E(fault.Conflict, "rules version %d of %q are already co-signed by %s", version, dataset, signer.String)
		}
		if _, err = tx.ExecContext(ctx, "UPDATE rule_sets SET cosigned_by = ?, cosigned_at = ? WHERE dataset = ? AND version = ?", by, at, dataset, version); err != nil {
			return err
		}
		return c.record(ctx, tx, audit.KindRulesCosigned, fmt.Sprintf("%s@%d", dataset, version), "",
			map[string]any{"dataset": dataset, "version": version, "cosigned_by": by})
	})
	if err != nil {
		return RuleSet{}, wrap("cosign rules", err)
	}
	return c.ruleSet(ctx, dataset, version)
}

// Rules returns the current rules of a dataset, or ok=false if it has none yet.
func (c *Catalog) Rules(ctx context.Context, dataset string) (RuleSet, bool, error) {
	rs, err := c.ruleSet(ctx, dataset, 0)
	if fault.CodeOf(err) == fault.NotFound {
		return RuleSet{}, false, nil
	}
	return rs, err == nil, err
}

// RuleSetVersion returns one version of a dataset's rules.
func (c *Catalog) RuleSetVersion(ctx context.Context, dataset string, version int) (RuleSet, error) {
	return c.ruleSet(ctx, dataset, version)
}

// ruleSet returns version v of a dataset's rules (0: the latest).
func (c *Catalog) ruleSet(ctx context.Context, dataset string, v int) (RuleSet, error) {
	q := `SELECT dataset, version, rules, min_k, set_by, set_at, cosigned_by, cosigned_at FROM rule_sets
		WHERE dataset = ? AND version = ?`
	args := []any{dataset, v}
	if v == 0 {
		q = `SELECT dataset, version, rules, min_k, set_by, set_at, cosigned_by, cosigned_at FROM rule_sets
			WHERE dataset = ? ORDER BY version DESC LIMIT 1`
		args = args[:1]
	}
	var rs RuleSet
	var body string
	var by sql.NullString
	var at sql.NullTime
	err := c.db.QueryRowContext(ctx, q, args...).Scan(&rs.Dataset, &rs.Version, &body, &rs.MinK, &rs.SetBy, &rs.SetAt, &by, &at)
	if errors.Is(err, sql.ErrNoRows) {
		if v == 0 {
			return RuleSet{}, fault.E(fault.NotFound, "dataset %q has no rules", clip(dataset))
		}
		return RuleSet{}, fault.E(fault.NotFound, "dataset %q has no rules version %d", clip(dataset), v)
	}
	if err != nil {
		return RuleSet{}, wrap("read rules", err)
	}
	if err := json.Unmarshal([]byte(body), &rs.Rules); err != nil {
		return RuleSet{}, wrap("read rules", err)
	}
	rs.CosignedBy = by.String
	if at.Valid {
		t := at.Time
		rs.CosignedAt = &t
	}
	return rs, nil
}

// RuleHistory lists every version of a dataset's rules, oldest first.
func (c *Catalog) RuleHistory(ctx context.Context, dataset string) ([]RuleSet, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT version FROM rule_sets WHERE dataset = ? ORDER BY version", dataset)
	if err != nil {
		return nil, wrap("rule history", err)
	}
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, wrap("rule history", err)
		}
		vs = append(vs, v)
	}
	rows.Close()
	out := []RuleSet{}
	for _, v := range vs {
		rs, err := c.ruleSet(ctx, dataset, v)
		if err != nil {
			return nil, err
		}
		out = append(out, rs)
	}
	return out, nil
}

// ConsentSet is one version of a dataset's consent registry (Art. 23). The subjects themselves
// live in the domain store (they are identifiers); the catalog keeps counts and a digest.
type ConsentSet struct {
	Dataset  string    `json:"dataset"`
	Version  int       `json:"version"`
	Rows     int64     `json:"rows"`
	Subjects int64     `json:"subjects"`
	Digest   string    `json:"digest"`
	SetBy    string    `json:"set_by"`
	SetAt    time.Time `json:"set_at"`
	File     string    `json:"-"`
}

// AddConsents appends a new version of a dataset's consent registry.
func (c *Catalog) AddConsents(ctx context.Context, cs ConsentSet) (ConsentSet, error) {
	cs.SetAt = c.now().UTC()
	err := c.write(ctx, func(tx *sql.Tx) error {
		if ok, err := exists(ctx, tx, "datasets WHERE name = ?", cs.Dataset); err != nil || !ok {
			return errOr(err, fault.E(fault.NotFound, "no dataset %q", cs.Dataset))
		}
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) + 1 FROM consent_sets WHERE dataset = ?", cs.Dataset).Scan(&cs.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO consent_sets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			cs.Dataset, cs.Version, cs.File, cs.Rows, cs.Subjects, cs.Digest, cs.SetBy, cs.SetAt); err != nil {
			return err
		}
		return c.record(ctx, tx, audit.KindConsentsLoaded, fmt.Sprintf("%s@%d", cs.Dataset, cs.Version), "", cs) // counts and digest only
	})
	return cs, wrap("add consents", err)
}

// Consents returns the current consent registry of a dataset, or ok=false if it has none.
func (c *Catalog) Consents(ctx context.Context, dataset string) (ConsentSet, bool, error) {
	return c.consentSet(ctx, dataset, 0)
}

// ConsentSetVersion returns one version of a dataset's consent registry (replay).
func (c *Catalog) ConsentSetVersion(ctx context.Context, dataset string, version int) (ConsentSet, bool, error) {
	return c.consentSet(ctx, dataset, version)
}

// consentSet reads version v of a dataset's consent registry; 0 is the latest.
func (c *Catalog) consentSet(ctx context.Context, dataset string, v int) (ConsentSet, bool, error) {
	var cs ConsentSet
	err := c.db.QueryRowContext(ctx, `SELECT dataset, version, file, rows, subjects, digest, set_by, set_at FROM consent_sets
		WHERE dataset = ? AND (? = 0 OR version = ?) ORDER BY version DESC LIMIT 1`, dataset, v, v).Scan(&cs.Dataset, &cs.Version, &cs.File, &cs.Rows, &cs.Subjects, &cs.Digest, &cs.SetBy, &cs.SetAt)
	if errors.Is(err, sql.ErrNoRows) {
		return ConsentSet{}, false, nil
	}
	if err != nil {
		return ConsentSet{}, false, wrap("read consents", err)
	}
	return cs, true, nil
}

// ConsentFiles lists the file of every consent registry version (for the store's sweep).
func (c *Catalog) ConsentFiles(ctx context.Context) (map[string]bool, error) {
	return c.fileSet(ctx, "SELECT file FROM consent_sets")
}

func (c *Catalog) fileSet(ctx context.Context, q string) (map[string]bool, error) {
	rows, err := c.db.QueryContext(ctx, q)
	if err != nil {
		return nil, wrap("list files", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return nil, wrap("list files", err)
		}
		out[f] = true
	}
	return out, wrap("list files", rows.Err())
}

// Use is how a grant's products are used (Art. 26).
type Use string

// Uses.
const (
	PublicInterest Use = "public_interest"
	Commercial     Use = "commercial"
)

// JobKinds a scenario may ask for.
var JobKinds = []string{"sql", "plugin", "he"}

// ScenarioState is where a scenario is in its review.
type ScenarioState string

// Scenario states.
const (
	ScenarioRequested ScenarioState = "requested"
	ScenarioApproved  ScenarioState = "approved"
	ScenarioRejected  ScenarioState = "rejected"
)

// ScenarioRequest is what a developer asks for (API: POST /v1/scenarios).
type ScenarioRequest struct {
	Name       string              `json:"name"`
	Purpose    string              `json:"purpose"`
	Use        Use                 `json:"use"`
	Datasets   map[string][]string `json:"datasets"`
	JobKinds   []string            `json:"job_kinds"`
	ValidUntil time.Time           `json:"valid_until"`
	K          int                 `json:"k,omitempty"`
	JobBudget  int                 `json:"job_budget,omitempty"`
	// RoundTo, if set, rounds released counts to a multiple of it (OpenSAFELY rounds to 5),
	// on top of suppressing groups under k.
	RoundTo      int    `json:"round_to,omitempty"`
	FollowLatest bool   `json:"follow_latest,omitempty"`
	Agreement    string `json:"agreement,omitempty"` // the filed authorization agreement's reference (Art. 14)
	// DP, if set, releases every SQL aggregate of the grant with differential privacy.
	DP *DP `json:"dp,omitempty"`
	// Plugins are the SHA-256 digests of the plugin binaries reviewed for the scenario (plugin
	// jobs run no other binary); HECircuits the homomorphic circuits it may run (default: all).
	Plugins    []string `json:"plugins,omitempty"`
	HECircuits []string `json:"he_circuits,omitempty"`
}

// HECircuits are the homomorphic circuits a grant may allow.
var HECircuits = []string{"linear_score", "row_score", "exact_count"}

// Scenario is a request under review.
type Scenario struct {
	ID string `json:"id"`
	ScenarioRequest
	Developer string            `json:"developer"`
	Agency    string            `json:"agency"`
	State     ScenarioState     `json:"state"`
	Consents  []ScenarioConsent `json:"consents"`
	Grant     string            `json:"grant,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
}

// ScenarioConsent is a source agency's agreement to one of its datasets entering a scenario.
type ScenarioConsent struct {
	Dataset string    `json:"dataset"`
	Agency  string    `json:"agency"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// DefaultJobBudget is a grant's job budget when the scenario does not name one.
const DefaultJobBudget = 10_000

// Validate checks a request's own fields; references to datasets and columns are checked by the
// sandbox against the catalog.
func (r *ScenarioRequest) Validate(now time.Time) error {
	if !datasetPattern.MatchString(r.Name) {
		return fault.E(fault.InvalidInput, "scenario name %q: use 1–63 lower-case letters, digits or '_', starting with a letter", clip(r.Name))
	}
	if err := ValidText("purpose", r.Purpose, 2000, true); err != nil {
		return err
	}
	if err := oneOf("use", r.Use, []Use{PublicInterest, Commercial}); err != nil {
		return err
	}
	if err := ValidText("agreement", r.Agreement, 200, false); err != nil {
		return err
	}
	if len(r.Datasets) == 0 {
		return fault.E(fault.InvalidInput, "a scenario names at least one dataset and its columns")
	}
	for name, cols := range r.Datasets {
		if err := ValidDatasetName(name); err != nil {
			return err
		}
		if len(cols) == 0 {
			return fault.E(fault.InvalidInput, "dataset %q: name the columns the scenario needs", name)
		}
	}
	if len(r.JobKinds) == 0 {
		r.JobKinds = []string{"sql"}
	}
	for _, k := range r.JobKinds {
		if err := oneOf("job kind", k, JobKinds); err != nil {
			return err
		}
	}
	if r.ValidUntil.IsZero() || !r.ValidUntil.After(now) {
		return fault.E(fault.InvalidInput, "valid_until must be a time in the future (RFC 3339)")
	}
	if r.ValidUntil.After(now.AddDate(3, 0, 0)) {
		return fault.E(fault.InvalidInput, "valid_until may be at most three years ahead (the rule's trial period)")
	}
	if r.K != 0 && r.K < AbsoluteMinK {
		return fault.E(fault.InvalidInput, "k must be at least %d", AbsoluteMinK)
	}
	if r.K > 1_000_000 {
		return fault.E(fault.InvalidInput, "k is at most 1,000,000")
	}
	if r.JobBudget < 0 || r.JobBudget > 10_000_000 {
		return fault.E(fault.InvalidInput, "job_budget must be between 1 and 10,000,000")
	}
	if r.JobBudget == 0 {
		r.JobBudget = DefaultJobBudget
	}
	if r.RoundTo != 0 && (r.RoundTo < 2 || r.RoundTo > 100) {
		return fault.E(fault.InvalidInput, "round_to must be between 2 and 100 (or absent)")
	}
	if r.DP != nil {
		if err := r.DP.normalise(); err != nil {
			return err
		}
	}
	if len(r.Plugins) > 0 && !slices.Contains(r.JobKinds, "plugin") {
		return fault.E(fault.InvalidInput, "plugins are listed but job_kinds does not include plugin")
	}
	if len(r.Plugins) > 100 {
		return fault.E(fault.InvalidInput, "at most 100 plugin digests")
	}
	for _, d := range r.Plugins {
		if !pluginDigest.MatchString(d) {
			return fault.E(fault.InvalidInput, "plugin %q: want a digest sha256:<64 lower-case hex digits>", clip(d))
		}
	}
	if len(r.HECircuits) > 0 && !slices.Contains(r.JobKinds, "he") {
		return fault.E(fault.InvalidInput, "he_circuits are listed but job_kinds does not include he")
	}
	for _, c := range r.HECircuits {
		if err := oneOf("homomorphic circuit", c, HECircuits); err != nil {
			return err
		}
	}
	if len(r.HECircuits) == 0 && slices.Contains(r.JobKinds, "he") {
		r.HECircuits = slices.Clone(HECircuits)
	}
	r.normalise()
	return nil
}

func newID(prefix string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

var pluginDigest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// CreateScenario records a developer's request.
func (c *Catalog) CreateScenario(ctx context.Context, s Scenario) (Scenario, error) {
	s.ID = newID("sc_")
	s.State = ScenarioRequested
	s.CreatedAt = c.now().UTC()
	s.Consents = []ScenarioConsent{}
	body, err := json.Marshal(s.ScenarioRequest)
	if err != nil {
		return Scenario{}, err
	}
	err = c.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO scenarios VALUES (?, ?, ?, ?, ?, ?)", s.ID, string(body), s.Developer, s.Agency, string(s.State), s.CreatedAt); err != nil {
			return err
		}
		return c.record(ctx, tx, audit.KindScenarioRequested, s.ID, "", s)
	})
	return s, wrap("create scenario", err)
}

// Scenario returns one scenario with its consents and grant.
func (c *Catalog) Scenario(ctx context.Context, id string) (Scenario, error) {
	ss, err := c.scenarios(ctx, "WHERE s.id = ?", id)
	if err != nil {
		return Scenario{}, err
	}
	if len(ss) == 0 {
		return Scenario{}, fault.E(fault.NotFound, "no scenario %q", clip(id))
	}
	return ss[0], nil
}

// Scenarios lists every scenario, newest first.
func (c *Catalog) Scenarios(ctx context.Context) ([]Scenario, error) { return c.scenarios(ctx, "") }

func (c *Catalog) scenarios(ctx context.Context, where string, args ...any) ([]Scenario, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT s.id, s.body, s.developer, s.agency, s.state, s.created_at, coalesce(g.id, '')
		FROM scenarios s LEFT JOIN grants g ON g.scenario = s.id `+where+` ORDER BY s.created_at DESC, s.id`, args...)
	if err != nil {
		return nil, wrap("list scenarios", err)
	}
	out := []Scenario{}
	for rows.Next() {
		var s Scenario
		var body, state string
		if err := rows.Scan(&s.ID, &body, &s.Developer, &s.Agency, &state, &s.CreatedAt, &s.Grant); err != nil {
			rows.Close()
			return nil, wrap("list scenarios", err)
		}
		if err := json.Unmarshal([]byte(body), &s.ScenarioRequest); err != nil {
			rows.Close()
			return nil, wrap("list scenarios", err)
		}
		s.State = ScenarioState(state)
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("list scenarios", err)
	}
	for i := range out {
		if out[i].Consents, err = c.scenarioConsents(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *Catalog) scenarioConsents(ctx context.Context, id string) ([]ScenarioConsent, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT dataset, agency, by_whom, given_at FROM scenario_consents WHERE scenario = ? ORDER BY dataset", id)
	if err != nil {
		return nil, wrap("list consents", err)
	}
	defer rows.Close()
	out := []ScenarioConsent{}
	for rows.Next() {
		var sc ScenarioConsent
		if err := rows.Scan(&sc.Dataset, &sc.Agency, &sc.By, &sc.At); err != nil {
			return nil, wrap("list consents", err)
		}
		out = append(out, sc)
	}
	return out, wrap("list consents", rows.Err())
}

// ConsentScenario records a source agency's agreement for its datasets in a scenario.
func (c *Catalog) ConsentScenario(ctx context.Context, id string, datasets []string, agency, by string) (Scenario, error) {
	at := c.now().UTC()
	err := c.write(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, "SELECT state FROM scenarios WHERE id = ?", id).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.E(fault.NotFound, "no scenario %q", clip(id))
		}
		if err != nil {
			return err
		}
		if ScenarioState(state) != ScenarioRequested {
			return fault.E(fault.Conflict, "scenario %s is %s; consent is given while it is requested", id, state)
		}
		for _, d := range datasets {
			if dup, err := exists(ctx, tx, "scenario_consents WHERE scenario = ? AND dataset = ?", id, d); err != nil || dup {
				return errOr(err, fault.E(fault.Conflict, "agency %s already consented to %q in scenario %s", agency, d, id))
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO scenario_consents VALUES (?, ?, ?, ?, ?)", id, d, agency, by, at); err != nil {
				return err
			}
		}
		return c.record(ctx, tx, audit.KindScenarioConsented, id, "", map[string]any{"scenario": id, "datasets": datasets, "agency": agency})
	})
	if err != nil {
		return Scenario{}, wrap("consent", err)
	}
	return c.Scenario(ctx, id)
}

// RejectScenario ends a requested scenario without a grant.
func (c *Catalog) RejectScenario(ctx context.Context, id string) (Scenario, error) {
	err := c.write(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, "SELECT state FROM scenarios WHERE id = ?", id).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.E(fault.NotFound, "no scenario %q", clip(id))
		}
		if err != nil {
			return err
		}
		if ScenarioState(state) != ScenarioRequested {
			return fault.E(fault.Conflict, "scenario %s is %s; only a requested scenario can be rejected", id, state)
		}
		if _, err = tx.ExecContext(ctx, "UPDATE scenarios SET state = ? WHERE id = ?", string(ScenarioRejected), id); err != nil {
			return err
		}
		return c.record(ctx, tx, audit.KindScenarioRejected, id, "", map[string]any{"scenario": id})
	})
	if err != nil {
		return Scenario{}, wrap("reject scenario", err)
	}
	return c.Scenario(ctx, id)
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// DatasetNames are the datasets of a scenario, sorted.
func (r ScenarioRequest) DatasetNames() []string { return sortedKeys(r.Datasets) }

// Involves reports whether the scenario uses a dataset.
func (r ScenarioRequest) Involves(dataset string) bool {
	return slices.Contains(r.DatasetNames(), dataset)
}

// normalise sorts and deduplicates column lists and job kinds, so a scenario is canonical.
func (r *ScenarioRequest) normalise() {
	for k, cols := range r.Datasets {
		cs := append([]string(nil), cols...)
		sort.Strings(cs)
		r.Datasets[k] = slices.Compact(cs)
	}
	sort.Strings(r.JobKinds)
	r.JobKinds = slices.Compact(r.JobKinds)
	sort.Strings(r.Plugins)
	r.Plugins = slices.Compact(r.Plugins)
	sort.Strings(r.HECircuits)
	r.HECircuits = slices.Compact(r.HECircuits)
}
