package sandbox

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

// faultyLog fails every append while broken is set: a disk that filled up or went read-only.
// It wraps the real log; it fakes nothing but the failure.
type faultyLog struct{ broken atomic.Bool }

func (f *faultyLog) wrap(next AppendFunc) AppendFunc {
	return func(ctx context.Context, entry []byte) (audit.IndexFuture, error) {
		if f.broken.Load() {
			return nil, errors.New("write .inviso-wal: no space left on device")
		}
		return next(ctx, entry)
	}
}

const logQuery = "SELECT district, count(*) AS n, avg(income) AS avg_income FROM citizens GROUP BY district"

// TestAuditUnavailableReleasesNothing: when the log cannot be written, a query that ran is not
// released, no budget is spent, and state changes do not happen.
func TestAuditUnavailableReleasesNothing(t *testing.T) {
	ctx := context.Background()
	fl := &faultyLog{}
	w := newWorld(t, func(o *Options) { o.WrapAppend = fl.wrap })
	g := w.grant(t, w.dev, "fail_closed", false)
	before, err := w.sb.Grant(ctx, *w.dev, g.ID)
	if err != nil {
		t.Fatal(err)
	}

	fl.broken.Store(true)
	for _, check := range []bool{false, true} {
		res, err := w.sb.Query(ctx, *w.dev, g.ID, logQuery, check)
		if res != nil || fault.CodeOf(err) != fault.AuditUnavailable {
			t.Fatalf("check=%v: result %v, error %v: want audit_unavailable and nothing", check, res, err)
		}
	}
	// A refusal is not told either: the refusal's reasons are output too.
	if _, err := w.sb.Query(ctx, *w.dev, g.ID, "SELECT person_id FROM citizens", false); fault.CodeOf(err) != fault.AuditUnavailable {
		t.Fatalf("refusal without a log: %v", err)
	}
	if _, err := w.sb.ChangeGrant(ctx, *w.impl, g.ID, catalog.GrantSuspended, "maintenance"); fault.CodeOf(err) != fault.AuditUnavailable {
		t.Fatalf("suspend without a log: %v", err)
	}
	if _, err := w.sb.CreateAgency(ctx, *w.admin, catalog.Agency{ID: "newco", Name: "newco", Kind: catalog.KindDevelopment}); fault.CodeOf(err) != fault.AuditUnavailable {
		t.Fatalf("agency without a log: %v", err)
	}
	after, err := w.sb.Grant(ctx, *w.dev, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.State != catalog.GrantActive || after.JobsUsed != before.JobsUsed {
		t.Fatalf("grant changed while the log was down: %s, %d jobs used (was %d)", after.State, after.JobsUsed, before.JobsUsed)
	}
	if _, err := w.sb.catalog.Agency(ctx, "newco"); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("an unlogged agency was committed: %v", err)
	}

	fl.broken.Store(false)
	res, err := w.sb.Query(ctx, *w.dev, g.ID, logQuery, false)
	if err != nil {
		t.Fatal(err)
	}
	res.Release()
	if g2, _ := w.sb.Grant(ctx, *w.dev, g.ID); g2.JobsUsed != before.JobsUsed+1 {
		t.Fatalf("jobs used %d after one released job, want %d", g2.JobsUsed, before.JobsUsed+1)
	}
}

// TestJobLogRecordsEveryJob runs allowed, refused and checked jobs and reads them back from the
// verified log: each with its decision, and no raw value of a non-public column anywhere.
func TestJobLogRecordsEveryJob(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	g := w.grant(t, w.dev, "logged", false)
	released, err := w.sb.Query(ctx, *w.dev, g.ID, logQuery, false)
	if err != nil {
		t.Fatal(err)
	}
	released.Release()
	_, refusal := w.sb.Query(ctx, *w.dev, g.ID, "SELECT person_id, income FROM citizens", false)
	if fault.CodeOf(refusal) != fault.PolicyDenied {
		t.Fatalf("row extraction: %v", refusal)
	}
	checked, err := w.sb.Query(ctx, *w.dev, g.ID, logQuery, true)
	if err != nil {
		t.Fatal(err)
	}

	size, err := w.sb.journal.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.sb.journal.WaitCheckpoint(ctx, size); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, w.sb.journal.Reader(), w.sb.journal.Keys().Verifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{audit.KindAgencyCreated, audit.KindPrincipalCreated, audit.KindDatasetRegistered, audit.KindVersionImported, audit.KindRulesSet, audit.KindScenarioRequested, audit.KindScenarioConsented, audit.KindScenarioApproved} {
		if rep.Kinds[k] == 0 {
			t.Errorf("no %s entry in the log", k)
		}
	}
	recs, err := w.sb.journal.Read(ctx, 0, rep.Size, rep.Size)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]catalog.JobState{}
	var all bytes.Buffer
	for _, r := range recs {
		all.Write(r.Data)
		e, err := audit.Decode(r.Data)
		if err != nil || e.Kind != audit.KindJob {
			continue
		}
		j, err := indexedOf(r)
		if err != nil {
			t.Fatal(err)
		}
		states[e.Subject] = j.Job.State
		if j.Job.PolicyDigest == "" && j.Job.State != catalog.JobRefused {
			t.Errorf("job %s logged without its policy input digest", e.Subject)
		}
		if len(j.Job.PolicyInput) != 0 {
			t.Errorf("job %s logged its whole policy input", e.Subject)
		}
	}
	if states[released.Job] != catalog.JobReleased || states[checked.Job] != catalog.JobChecked || len(states) != 3 {
		t.Fatalf("job states in the log: %v", states)
	}
	// The index agrees, and the released job carries its result digest.
	w.sb.indexer.sync()
	j, err := w.sb.catalog.Job(ctx, released.Job)
	if err != nil || j.ResultDigest == "" || j.LogIndex == 0 || len(j.PolicyInput) == 0 {
		t.Fatalf("indexed job %+v, %v", j, err)
	}
	// Distinctive text values only: a plain number such as an income of 100000 also occurs as
	// a timing or a budget, so a substring search for it proves nothing either way.
	for _, raw := range rawValues(t, w, "citizens", "name", "id_number", "phone") {
		if bytes.Contains(all.Bytes(), []byte(raw)) {
			t.Fatalf("the job log holds a raw value %q", raw)
		}
	}
}

// rawValues reads distinctive raw values of the given columns from the source data.
func rawValues(t *testing.T, w *world, table string, cols ...string) []string {
	t.Helper()
	ctx := context.Background()
	v, ok, err := w.sb.catalog.Latest(ctx, table)
	if err != nil || !ok {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.duckdb")
	b, _ := os.ReadFile(w.sb.store.Path(v))
	os.WriteFile(path, b, 0o600)
	db, err := duck.Open(ctx, path, duck.Config{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, c := range cols {
		rows, err := db.QueryContext(ctx, "SELECT DISTINCT CAST("+duck.Ident(c)+" AS VARCHAR) FROM data WHERE length(CAST("+duck.Ident(c)+" AS VARCHAR)) >= 6 LIMIT 200")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s sql.NullString
			rows.Scan(&s)
			if s.Valid {
				out = append(out, s.String)
			}
		}
		rows.Close()
	}
	if len(out) < 100 {
		t.Fatalf("only %d raw values to look for", len(out))
	}
	return out
}

// TestReindexAfterCrash: entries the index lost (a crash between log write and index write)
// are indexed again from the log at the next start, and budgets are counted from them.
func TestReindexAfterCrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := newWorld(t, func(o *Options) { o.DataDir = dir })
	g := w.grant(t, w.dev, "reindex", false)
	var jobs []string
	for range 3 {
		res, err := w.sb.Query(ctx, *w.dev, g.ID, logQuery, false)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, res.Job)
		res.Release()
	}
	if err := w.sb.Close(); err != nil {
		t.Fatal(err)
	}
	// Lose the index of the last two jobs, as a crash before the index write would.
	cat, err := catalog.Open(ctx, filepath.Join(dir, "control.duckdb"), duck.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.DropIndexed(ctx, jobs[1:]); err != nil {
		t.Fatal(err)
	}
	cat.Close()

	sb, err := Open(ctx, Options{DataDir: dir, DuckDB: duck.Config{Threads: 2, MemoryLimit: "1GB"}, Clock: w.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	for _, id := range jobs {
		if j, err := sb.catalog.Job(ctx, id); err != nil || j.State != catalog.JobReleased {
			t.Fatalf("job %s after restart: %+v %v", id, j, err)
		}
	}
	if got, _ := sb.Grant(ctx, *w.dev, g.ID); got.JobsUsed != 3 {
		t.Fatalf("jobs used %d after restart, want 3", got.JobsUsed)
	}
}

// TestReplayReproducesTheResult replays released jobs bit for bit, also after the grant was
// revoked (its rows deleted, its recipe kept), and refuses when the index was altered.
func TestReplayReproducesTheResult(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	auditor := &catalog.Principal{ID: "aud", Agency: PlatformAgency, Roles: []catalog.Role{catalog.RoleAuditor}}
	g := w.grant(t, w.dev, "replayed", false)
	var jobs []string
	for _, q := range []string{
		logQuery,
		"SELECT birth_date, count(*) AS n, stddev_samp(income) AS sd FROM citizens GROUP BY birth_date ORDER BY birth_date",
		"SELECT program, count(*) AS n, sum(amount) AS total FROM benefits GROUP BY program",
	} {
		res, err := w.sb.Query(ctx, *w.dev, g.ID, q, false)
		if err != nil {
			t.Fatalf("%s: %v %+v", q, err, fault.Public(err).Reasons)
		}
		jobs = append(jobs, res.Job)
		res.Release()
	}
	for _, id := range jobs {
		r, err := w.sb.Replay(ctx, *auditor, id)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Match || r.ReplayedDigest != r.RecordedDigest || r.ReplayedWorkspace != r.RecordedWorkspace {
			t.Fatalf("replay of %s: %+v", id, r)
		}
	}
	if _, err := w.sb.ChangeGrant(ctx, *w.impl, g.ID, catalog.GrantRevoked, "done"); err != nil {
		t.Fatal(err)
	}
	if r, err := w.sb.Replay(ctx, *auditor, jobs[0]); err != nil || !r.Match {
		t.Fatalf("replay after revocation: %+v %v", r, err)
	}
	// The developer may not replay; a refused job cannot be replayed.
	if _, err := w.sb.Replay(ctx, *w.dev2, jobs[0]); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("another developer replayed a job: %v", err)
	}
	// An index record that no longer matches the log is caught.
	j, err := w.sb.catalog.Job(ctx, jobs[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := w.sb.catalog.DropIndexed(ctx, []string{j.ID}); err != nil {
		t.Fatal(err)
	}
	forged := j
	forged.ResultDigest = "sha256:" + strings.Repeat("0", 64)
	if err := w.sb.catalog.Index(ctx, []catalog.Indexed{{Event: catalog.Event{Index: j.LogIndex, Kind: audit.KindJob, Subject: j.ID, Actor: j.Principal}, Job: &forged}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.sb.Replay(ctx, *auditor, j.ID); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("replay of a forged index record: %v", err)
	}
}

// TestLifecycleEventsLogged: the policy bundle is logged once per change, and a grant's expiry
// is logged once, by the system, when its validity has ended.
func TestLifecycleEventsLogged(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := newWorld(t, func(o *Options) { o.DataDir = dir })
	g := w.grant(t, w.dev, "expiring", false)
	count := func(sb *Sandbox, kind string) int {
		evs, err := sb.catalog.EventsOf(ctx, kind)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	if n := count(w.sb, audit.KindPolicyLoaded); n != 1 {
		t.Fatalf("%d policy.loaded events after first start, want 1", n)
	}
	w.clk.Add(g.ValidUntil.Sub(w.clk.Now()) + time.Second)
	for range 2 {
		if err := w.sb.recordExpiries(ctx); err != nil {
			t.Fatal(err)
		}
	}
	evs, _ := w.sb.catalog.EventsOf(ctx, audit.KindGrantExpired)
	if len(evs) != 1 || evs[0].Subject != g.ID || evs[0].Actor != "system" {
		t.Fatalf("expiry events %+v", evs)
	}
	w.sb.Close()
	sb, err := Open(ctx, Options{DataDir: dir, DuckDB: duck.Config{Threads: 1}, Clock: w.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if n := count(sb, audit.KindPolicyLoaded); n != 1 {
		t.Fatalf("%d policy.loaded events after a restart with the same policy, want 1", n)
	}
	if n := count(sb, audit.KindGrantExpired); n != 1 {
		t.Fatalf("%d expiry events after restart, want 1", n)
	}
}
