package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/client"
	"github.com/inviso/inviso/sandbox/fault"
)

// LogCheck is what CheckLog found in the job log.
type LogCheck struct {
	Size     uint64 `json:"size"`     // entries verified against the signed checkpoint
	Verified bool   `json:"verified"` // audit.Verify passed
	Problem  string `json:"problem,omitempty"`
	Jobs     int    `json:"jobs"`     // job entries
	Released int    `json:"released"` // job entries in state released
	// Spent counts the grant's released and failed jobs: what its jobs_used must be.
	Spent int `json:"spent"`
	// Missing are released job ids (as clients saw them) the log does not hold as released.
	Missing []string `json:"missing,omitempty"`
	// ReleasedIDs is every job id the log holds as released (for the caller's own checks).
	ReleasedIDs map[string]bool `json:"-"`
}

// OK is true when the log verified and holds every released job.
func (c *LogCheck) OK() bool { return c.Verified && len(c.Missing) == 0 }

func (c *LogCheck) String() string {
	if !c.Verified {
		return "DOES NOT VERIFY: " + c.Problem
	}
	s := fmt.Sprintf("verified, %d entries, %d jobs (%d released), %d spent by the grant", c.Size, c.Jobs, c.Released, c.Spent)
	if len(c.Missing) > 0 {
		s += fmt.Sprintf("; %d released jobs MISSING, e.g. %s", len(c.Missing), c.Missing[0])
	}
	return s
}

// logWait bounds how long CheckLog waits for a checkpoint covering every released job (the
// server signs one every half second or so).
const logWait = 20 * time.Second

// CheckLog verifies the whole job log with the auditor's client and checks it holds every job
// in released as released, waiting for the checkpoint to catch up. The verifier key is the one
// the server states: a load run trusts its server; an audit pins its own copy.
func CheckLog(ctx context.Context, auditor *client.Client, grant string, released []string) (*LogCheck, error) {
	key, err := auditor.LogKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("log key: %w", err)
	}
	v, err := audit.ParseVerifierKey(key)
	if err != nil {
		return nil, err
	}
	src, err := auditor.LogSource()
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(logWait)
	for {
		c, err := checkOnce(ctx, auditor, src, v, grant, released)
		if err != nil || c.OK() || time.Now().After(deadline) {
			return c, err
		}
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func checkOnce(ctx context.Context, auditor *client.Client, src audit.Source, v note.Verifier, grant string, released []string) (*LogCheck, error) {
	rep, err := audit.Verify(ctx, src, v, nil)
	if err != nil {
		var p *audit.Problem
		if errors.As(err, &p) {
			return &LogCheck{Problem: p.Error()}, nil
		}
		return nil, fmt.Errorf("verify: %w", err)
	}
	c := &LogCheck{Size: rep.Size, Verified: true, ReleasedIDs: map[string]bool{}}
	if err := scanJobs(ctx, auditor, rep.Size, grant, c); err != nil {
		return nil, err
	}
	for _, id := range released {
		if !c.ReleasedIDs[id] {
			c.Missing = append(c.Missing, id)
		}
	}
	sort.Strings(c.Missing)
	return c, nil
}

// scanJobs reads entries [0, size) through the audit API and counts the job entries.
func scanJobs(ctx context.Context, auditor *client.Client, size uint64, grant string, c *LogCheck) error {
	for from := uint64(0); from < size; {
		page, err := auditor.AuditEntries(ctx, from, min(size-from, 1000))
		if err != nil {
			return fmt.Errorf("read log entries from %d: %w", from, err)
		}
		if len(page.Entries) == 0 {
			return fmt.Errorf("the log returned no entry at %d of %d", from, size)
		}
		for _, e := range page.Entries {
			if e.Index >= size {
				return nil
			}
			if err := countJob(e.Entry, grant, c); err != nil {
				return fmt.Errorf("entry %d: %w", e.Index, err)
			}
		}
		from = page.Entries[len(page.Entries)-1].Index + 1
	}
	return nil
}

func countJob(e audit.Entry, grant string, c *LogCheck) error {
	if e.Kind != audit.KindJob {
		return nil
	}
	var j catalog.Job
	if err := json.Unmarshal(e.Body, &j); err != nil {
		return err
	}
	c.Jobs++
	if j.State == catalog.JobReleased {
		c.Released++
		c.ReleasedIDs[j.ID] = true
	}
	if j.Spent() && j.Grant == grant {
		c.Spent++
	}
	return nil
}

// State is what a crash must not change: the grant and the dataset's versions.
type State struct {
	GrantState catalog.GrantState `json:"grant_state"`
	JobsUsed   int                `json:"jobs_used"`
	JobBudget  int                `json:"job_budget"`
	Workspace  string             `json:"workspace"`
	Versions   []string           `json:"versions"` // number:digest:rows, oldest first
}

// Snapshot reads the grant and the dataset's versions as the developer sees them.
func Snapshot(ctx context.Context, dev *client.Client, grant, dataset string) (State, error) {
	g, err := dev.Grant(ctx, grant)
	if err != nil {
		return State{}, fmt.Errorf("read grant: %w", err)
	}
	d, err := dev.Dataset(ctx, dataset)
	if err != nil {
		return State{}, fmt.Errorf("read dataset: %w", err)
	}
	s := State{GrantState: g.State, JobsUsed: g.JobsUsed, JobBudget: g.JobBudget, Workspace: g.Workspace.Digest}
	for _, v := range d.Versions {
		s.Versions = append(s.Versions, fmt.Sprintf("%d:%s:%d", v.Number, v.Digest, v.Rows))
	}
	return s, nil
}

// Compare checks a state read after a restart against the one before the load and the log:
// the same grant state, budget, workspace and versions, and as many jobs used as the log holds
// spent jobs of the grant.
func Compare(before, after State, log *LogCheck) error {
	var errs []error
	if after.GrantState != before.GrantState {
		errs = append(errs, fmt.Errorf("grant state %s, was %s", after.GrantState, before.GrantState))
	}
	if after.JobBudget != before.JobBudget || after.Workspace != before.Workspace {
		errs = append(errs, fmt.Errorf("grant budget or workspace changed: %d %s, was %d %s", after.JobBudget, after.Workspace, before.JobBudget, before.Workspace))
	}
	if fmt.Sprint(after.Versions) != fmt.Sprint(before.Versions) {
		errs = append(errs, fmt.Errorf("dataset versions %v, were %v", after.Versions, before.Versions))
	}
	if log != nil && after.JobsUsed != log.Spent {
		errs = append(errs, fmt.Errorf("jobs used %d, the log holds %d spent jobs of the grant", after.JobsUsed, log.Spent))
	}
	if after.JobsUsed < before.JobsUsed {
		errs = append(errs, fmt.Errorf("jobs used went down: %d, was %d", after.JobsUsed, before.JobsUsed))
	}
	return errors.Join(errs...)
}

// Probe runs one allowed query and returns its job id: the server answers again.
func Probe(ctx context.Context, dev *client.Client, grant, dataset string) (string, error) {
	qr, err := dev.Query(ctx, grant, "SELECT district, count(*) AS people FROM "+dataset+" GROUP BY district", false)
	if err != nil {
		return "", fmt.Errorf("probe query (%s): %w", fault.CodeOf(err), err)
	}
	if len(qr.Rows) == 0 {
		return qr.Job, errors.New("probe query released no row")
	}
	return qr.Job, nil
}
