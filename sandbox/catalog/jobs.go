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
	created_at TIMESTAMPTZ NOT NULL,
	log_index  BIGINT NOT NULL
);
`

// JobState is where a job is.
type JobState string

// Job states.
const (
	JobRefused  JobState = "refused"
	JobChecked  JobState = "checked" // check_only: decided, not run
	JobReleased JobState = "released"
	JobFailed   JobState = "failed"
)

// Reason is a policy reason as recorded with a job.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Job is the record of one job: what was asked, what was decided, what was released. It holds
// digests and counts, never a result value. It is written to the job log before anything is
// released, and indexed in the catalog after.
type Job struct {
	ID        string            `json:"id"`
	Grant     string            `json:"grant"`
	Principal string            `json:"principal"`
	Kind      string            `json:"kind"`
	Params    map[string]string `json:"params,omitempty"` // a homomorphic or plugin job's own parameters
	State     JobState          `json:"state"`
	// Ran marks a job that counts against the job budget although refused: its stage (a
	// plugin) ran before the policy saw its release query.
	Ran          bool              `json:"ran,omitempty"`
	SQL          string            `json:"sql,omitempty"`       // as sent
	Rewritten    string            `json:"rewritten,omitempty"` // as executed
	SQLDigest    string            `json:"sql_digest,omitempty"`
	Truncated    bool              `json:"texts_by_digest,omitempty"` // the log holds the SQL texts by digest only (too long)
	Allow        bool              `json:"allow"`
	Reasons      []Reason          `json:"reasons"`
	PolicyInput  json.RawMessage   `json:"policy_input,omitempty"` // in the index only; the log holds its digest
	PolicyDigest string            `json:"policy_input_digest,omitempty"`
	PolicyBundle string            `json:"policy_bundle,omitempty"`
	Engine       string            `json:"engine,omitempty"`    // DuckDB version that ran it
	Workspace    string            `json:"workspace,omitempty"` // workspace digest
	Versions     map[string]string `json:"versions,omitempty"`  // dataset → digest of the version in the workspace
	Recipe       *Recipe           `json:"recipe,omitempty"`    // what the workspace was built from, for replay
	Groups       int64             `json:"groups,omitempty"`    // groups the engine returned, before suppression (auditors only)
	Tables       []string          `json:"tables,omitempty"`    // workspace tables the query reads
	Scanned      int64             `json:"rows_scanned"`        // rows of those tables (what the query could read)
	Rows         int64             `json:"rows"`
	Suppressed   int64             `json:"suppressed_groups,omitempty"`
	ResultDigest string            `json:"result_digest,omitempty"`
	DP           *DPSpend          `json:"dp,omitempty"` // a DP job's spend and noise scales
	Timings      map[string]int64  `json:"timings_us,omitempty"`
	Error        string            `json:"error,omitempty"` // a coded, client-safe message
	CreatedAt    time.Time         `json:"created_at"`
	LogIndex     uint64            `json:"log_index,omitempty"` // where the job log holds it (index only)
}

// Recipe is what a workspace was built from: per dataset, the version, the rules version and
// the consent registry version.
type Recipe struct {
	Pins     map[string]int `json:"pins"`
	Rules    map[string]int `json:"rules"`
	Consents map[string]int `json:"consents,omitempty"`
}

// Spent reports whether the job counts against its grant's budget: it ran.
func (j Job) Spent() bool { return j.State == JobReleased || j.State == JobFailed }

// NewJobID returns a fresh job id.
func NewJobID() string { return newID("job_") }

// Job returns a job record from the index.
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

// JobRequest is a job as POST /v1/grants/{id}/jobs carries it. SQL jobs need SQL; homomorphic
// jobs the fields under "he"; plugin jobs those under "plugin".
type JobRequest struct {
	Kind string `json:"kind"` // sql, he or plugin
	SQL  string `json:"sql,omitempty"`
	// he: a circuit over a table's features, per group, with the developer's uploaded
	// evaluation keys and encrypted inputs (blob digests).
	Circuit    string   `json:"circuit,omitempty"`
	Params     string   `json:"params,omitempty"` // a named parameter set
	Table      string   `json:"table,omitempty"`  // default: the one table with every column named
	GroupBy    []string `json:"group_by,omitempty"`
	Features   []string `json:"features,omitempty"`
	Keys       string   `json:"keys,omitempty"`
	Inputs     string   `json:"inputs,omitempty"`
	Polynomial string   `json:"polynomial,omitempty"`  // row_score: an approved polynomial (default identity)
	CodeColumn string   `json:"code_column,omitempty"` // exact_count: the column whose values are counted
	Codes      []string `json:"codes,omitempty"`       // exact_count: the code space, as the developer names it
	// plugin: an approved binary over the rows of an input query; the release query reads its
	// output as the table "output".
	Plugin     string `json:"plugin,omitempty"`
	InputSQL   string `json:"input_sql,omitempty"`
	ReleaseSQL string `json:"release_sql,omitempty"`
}
