package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/inviso/inviso/sandbox/fault"
)

const jobSchema = `
CREATE TABLE IF NOT EXISTS jobs (
	id         VARCHAR PRIMARY KEY,
	grant_id   VARCHAR NOT NULL,
	principal  VARCHAR NOT NULL,
	kind       VARCHAR NOT NULL,
	state      VARCHAR NOT NULL,
	body       VARCHAR NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
`

// JobState is where a job is.
type JobState string

// Job states.
const (
	JobRefused  JobState = "refused"
	JobChecked  JobState = "checked" // check_only: decided, not run
	JobRunning  JobState = "running"
	JobReleased JobState = "released"
	JobFailed   JobState = "failed"
)

// Reason is a policy reason as recorded with a job.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Job is the record of one job: what was asked, what was decided, what was released. It holds
// digests and counts, never a result value.
type Job struct {
	ID           string           `json:"id"`
	Grant        string           `json:"grant"`
	Principal    string           `json:"principal"`
	Kind         string           `json:"kind"`
	State        JobState         `json:"state"`
	SQL          string           `json:"sql,omitempty"`       // as sent
	Rewritten    string           `json:"rewritten,omitempty"` // as executed
	Allow        bool             `json:"allow"`
	Reasons      []Reason         `json:"reasons"`
	PolicyInput  json.RawMessage  `json:"policy_input,omitempty"`
	PolicyBundle string           `json:"policy_bundle,omitempty"`
	Workspace    string           `json:"workspace,omitempty"` // workspace digest
	Rows         int64            `json:"rows"`
	Suppressed   int64            `json:"suppressed_groups"`
	ResultDigest string           `json:"result_digest,omitempty"`
	Timings      map[string]int64 `json:"timings_us,omitempty"`
	Error        string           `json:"error,omitempty"` // a coded, client-safe message
	CreatedAt    time.Time        `json:"created_at"`
}

// NewJobID returns a fresh job id.
func NewJobID() string { return newID("job_") }

// PutJob records a job or replaces its record.
func (c *Catalog) PutJob(ctx context.Context, j Job) error {
	if j.CreatedAt.IsZero() {
		j.CreatedAt = c.now().UTC()
	}
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return wrap("record job", c.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?)`,
			j.ID, j.Grant, j.Principal, j.Kind, string(j.State), string(b), j.CreatedAt)
		return err
	}))
}

// Job returns a job record.
func (c *Catalog) Job(ctx context.Context, id string) (Job, error) {
	var body string
	err := c.db.QueryRowContext(ctx, "SELECT body FROM jobs WHERE id = ?", id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fault.E(fault.NotFound, "no job %q", clip(id))
	}
	if err != nil {
		return Job{}, wrap("read job", err)
	}
	var j Job
	return j, wrap("read job", json.Unmarshal([]byte(body), &j))
}

// StartJob counts one job against its grant's budget and records it as running, in one
// transaction: a job that runs has always been paid for and recorded, and a refused spend
// records nothing. It refuses when the grant is not active or no job is left.
func (c *Catalog) StartJob(ctx context.Context, j Job) error {
	j.State = JobRunning
	if j.CreatedAt.IsZero() {
		j.CreatedAt = c.now().UTC()
	}
	body, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return wrap("start job", c.write(ctx, func(tx *sql.Tx) error {
		var gb, state string
		err := tx.QueryRowContext(ctx, "SELECT body, state FROM grants WHERE id = ?", j.Grant).Scan(&gb, &state)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.E(fault.NotFound, "no grant %q", clip(j.Grant))
		}
		if err != nil {
			return err
		}
		var g Grant
		if err := json.Unmarshal([]byte(gb), &g); err != nil {
			return err
		}
		g.State = GrantState(state)
		now := c.now()
		g = g.Effective(now)
		if g.State != GrantActive {
			return fault.E(fault.PolicyDenied, "grant %s is %s", g.ID, g.State)
		}
		if g.JobsUsed >= g.JobBudget {
			return fault.E(fault.BudgetExhausted, "grant %s has used all %d of its jobs", g.ID, g.JobBudget)
		}
		g.JobsUsed++
		g.UpdatedAt = now.UTC()
		nb, _ := json.Marshal(g)
		if _, err := tx.ExecContext(ctx, "UPDATE grants SET body = ?, updated_at = ? WHERE id = ?", string(nb), g.UpdatedAt, g.ID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?)",
			j.ID, j.Grant, j.Principal, j.Kind, string(j.State), string(body), j.CreatedAt)
		return err
	}))
}
