package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/inviso/inviso/sandbox/fault"
)

// eventSchema is the index of the job log: one row per log entry, by index, with what the
// queries of auditors and reports need. The log is the truth; this is rebuilt from it.
const eventSchema = `
CREATE TABLE IF NOT EXISTS events (
	idx      BIGINT PRIMARY KEY,
	logged_at TIMESTAMPTZ NOT NULL,
	actor    VARCHAR NOT NULL,
	kind     VARCHAR NOT NULL,
	subject  VARCHAR NOT NULL,
	grant_id VARCHAR NOT NULL
);
`

// Change is a state change the catalog is about to commit.
type Change struct {
	Actor   string
	Kind    string // one of the audit package's kinds
	Subject string
	Grant   string
	Body    any
	At      time.Time
}

// Recorder writes a change to the job log and returns its index. The catalog calls it inside
// the change's transaction and commits only if it succeeds: a change that is not in the log
// did not happen.
type Recorder func(ctx context.Context, ch Change) (uint64, error)

// WithRecorder makes every state change go through rec.
func WithRecorder(rec Recorder) Option { return func(c *Catalog) { c.recorder = rec } }

type actorKey struct{}

// WithActor names who is acting for the changes made with ctx.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorOf is who acts with ctx ("system" when no one was named).
func ActorOf(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "system"
}

// record logs a change from inside its transaction and indexes the log entry in the same
// transaction. Without a recorder (tools, tests of the catalog alone) it does nothing.
func (c *Catalog) record(ctx context.Context, tx *sql.Tx, kind, subject, grant string, body any) error {
	if c.recorder == nil {
		return nil
	}
	ch := Change{Actor: ActorOf(ctx), Kind: kind, Subject: subject, Grant: grant, Body: body, At: c.now().UTC()}
	idx, err := c.recorder(ctx, ch)
	if err != nil {
		return fault.Wrap(err, fault.AuditUnavailable, "the change could not be written to the job log; nothing was changed")
	}
	return insertEvent(ctx, tx, Event{Index: idx, At: ch.At, Actor: ch.Actor, Kind: kind, Subject: subject, Grant: grant})
}

// Event is one indexed log entry.
type Event struct {
	Index   uint64    `json:"index"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Kind    string    `json:"kind"`
	Subject string    `json:"subject"`
	Grant   string    `json:"grant,omitempty"`
}

func insertEvent(ctx context.Context, tx *sql.Tx, e Event) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
		int64(e.Index), e.At, e.Actor, e.Kind, e.Subject, e.Grant)
	return err
}

// Indexed is a log entry for the index: its event and, for jobs, the job record.
type Indexed struct {
	Event Event
	Job   *Job
}

// Index writes a batch of log entries into the index in one transaction, a few statements per
// batch (row-at-a-time inserts cost DuckDB far more than the rows). Entries already indexed are
// left as they are, so indexing is idempotent.
//
// Entries are nearly always new (the live indexer adds what was just logged), so plain inserts
// are tried first: DuckDB's conflict clauses (OR REPLACE, ON CONFLICT DO NOTHING) cost two to
// three times as much per row. If any entry is there already, the plain insert fails as a
// whole and the batch is written again with conflicts skipped.
func (c *Catalog) Index(ctx context.Context, batch []Indexed) error {
	if len(batch) == 0 {
		return nil
	}
	if err := c.index(ctx, batch, false); err == nil {
		return nil
	}
	return wrap("index log entries", c.index(ctx, batch, true))
}

func (c *Catalog) index(ctx context.Context, batch []Indexed, skipIndexed bool) error {
	const chunk = 256
	onConflict := ""
	if skipIndexed {
		onConflict = " ON CONFLICT DO NOTHING"
	}
	return c.write(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(batch); start += chunk {
			part := batch[start:min(start+chunk, len(batch))]
			var events, jobs strings.Builder
			var eargs, jargs []any
			for _, in := range part {
				e := in.Event
				if len(eargs) > 0 {
					events.WriteString(", ")
				}
				events.WriteString("(?, ?, ?, ?, ?, ?)")
				eargs = append(eargs, int64(e.Index), e.At, e.Actor, e.Kind, e.Subject, e.Grant)
				if in.Job == nil {
					continue
				}
				j := *in.Job
				j.LogIndex = e.Index
				b, err := json.Marshal(j)
				if err != nil {
					return err
				}
				if len(jargs) > 0 {
					jobs.WriteString(", ")
				}
				jobs.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
				jargs = append(jargs, j.ID, j.Grant, j.Principal, j.Kind, string(j.State), string(b), j.CreatedAt, int64(e.Index))
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO events VALUES "+events.String()+onConflict, eargs...); err != nil {
				return err
			}
			if len(jargs) > 0 {
				if _, err := tx.ExecContext(ctx, "INSERT INTO jobs VALUES "+jobs.String()+onConflict, jargs...); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// IndexGap returns the first log index not in the index (0 for an empty index). Entries after
// it may be indexed already; Index skips those.
func (c *Catalog) IndexGap(ctx context.Context) (uint64, error) {
	var n, max sql.NullInt64
	if err := c.db.QueryRowContext(ctx, "SELECT count(*), max(idx) FROM events").Scan(&n, &max); err != nil {
		return 0, wrap("read index", err)
	}
	if !max.Valid {
		return 0, nil
	}
	if n.Int64 == max.Int64+1 {
		return uint64(n.Int64), nil // dense: nothing missing
	}
	var gap int64
	err := c.db.QueryRowContext(ctx, `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM events WHERE idx = 0) THEN 0
		ELSE (SELECT min(e.idx) + 1 FROM events e WHERE NOT EXISTS (SELECT 1 FROM events f WHERE f.idx = e.idx + 1)) END`).Scan(&gap)
	return uint64(gap), wrap("read index", err)
}

// Used sums, per grant, what jobs spent: the jobs that ran (released, failed after running, or
// refused after a stage ran) and the epsilon of DP jobs whose noise was drawn, as the index of
// the job log records them.
func (c *Catalog) Used(ctx context.Context) (map[string]Usage, error) {
	// Epsilon is spent once a job's noise was drawn (its record then holds dp), released or not.
	rows, err := c.db.QueryContext(ctx, `SELECT grant_id, count(*) FILTER (WHERE state IN (?, ?) OR coalesce(CAST(json_extract(body, '$.ran') AS BOOLEAN), false)),
		coalesce(sum(CAST(json_extract(body, '$.dp.epsilon_micro') AS BIGINT)), 0)
		FROM jobs GROUP BY grant_id`, string(JobReleased), string(JobFailed))
	if err != nil {
		return nil, wrap("count jobs", err)
	}
	defer rows.Close()
	out := map[string]Usage{}
	for rows.Next() {
		var g string
		var u Usage
		if err := rows.Scan(&g, &u.Jobs, &u.EpsilonMicro); err != nil {
			return nil, wrap("count jobs", err)
		}
		out[g] = u
	}
	return out, wrap("count jobs", rows.Err())
}

// EventsOf lists the indexed events of one kind, in log order.
func (c *Catalog) EventsOf(ctx context.Context, kind string) ([]Event, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT idx, logged_at, actor, kind, subject, grant_id FROM events WHERE kind = ? ORDER BY idx", kind)
	if err != nil {
		return nil, wrap("list events", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var idx int64
		if err := rows.Scan(&idx, &e.At, &e.Actor, &e.Kind, &e.Subject, &e.Grant); err != nil {
			return nil, wrap("list events", err)
		}
		e.Index = uint64(idx)
		out = append(out, e)
	}
	return out, wrap("list events", rows.Err())
}

// DropIndexed removes jobs and their events from the index, as a crash before their index
// write would leave it (recovery tests).
func (c *Catalog) DropIndexed(ctx context.Context, jobs []string) error {
	return wrap("drop index entries", c.write(ctx, func(tx *sql.Tx) error {
		for _, id := range jobs {
			if _, err := tx.ExecContext(ctx, "DELETE FROM events WHERE kind = 'job' AND subject = ?", id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM jobs WHERE id = ?", id); err != nil {
				return err
			}
		}
		return nil
	}))
}
