package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

// LogInfo is the public face of the job log: who signs it and what it last committed to.
type LogInfo struct {
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifier_key"`
	Checkpoint  string `json:"checkpoint,omitempty"` // the latest signed checkpoint (C2SP signed note)
	Size        uint64 `json:"size"`                 // entries it commits to
}

// LogInfo returns the verifier key and the latest signed checkpoint.
func (sb *Sandbox) LogInfo(ctx context.Context) (LogInfo, error) {
	keys := sb.journal.Keys()
	info := LogInfo{Origin: keys.Origin(), VerifierKey: keys.VerifierKey}
	cp, raw, err := sb.journal.Checkpoint(ctx)
	if errors.Is(err, audit.ErrNoCheckpoint) {
		return info, nil
	}
	if err != nil {
		return LogInfo{}, fault.Wrap(err, fault.AuditUnavailable, "the job log's checkpoint cannot be read")
	}
	info.Checkpoint, info.Size = string(raw), cp.Size
	return info, nil
}

// Journal gives in-process tools (the demo, tests, benchmarks) the job log itself.
func (sb *Sandbox) Journal() *audit.Log { return sb.journal }

// LoggedEntry is the audit API's document (package audit).
type LoggedEntry = audit.LoggedEntry

// MaxAuditPage is the most entries one call returns.
const MaxAuditPage = 1000

// AuditEntries returns up to limit entries from index from, among those the latest checkpoint
// commits to, and that checkpoint's size.
func (sb *Sandbox) AuditEntries(ctx context.Context, from, limit uint64) ([]LoggedEntry, uint64, error) {
	if limit == 0 || limit > MaxAuditPage {
		limit = MaxAuditPage
	}
	info, err := sb.LogInfo(ctx)
	if err != nil {
		return nil, 0, err
	}
	recs, err := sb.journal.Read(ctx, from, limit, info.Size)
	if err != nil {
		return nil, 0, fault.Wrap(err, fault.AuditUnavailable, "the job log cannot be read")
	}
	out := make([]LoggedEntry, 0, len(recs))
	for _, r := range recs {
		e, err := audit.Decode(r.Data)
		if err != nil {
			return nil, 0, fault.Wrap(err, fault.Internal, "job log entry %d does not decode; run inviso audit verify", r.Index)
		}
		out = append(out, LoggedEntry{Index: r.Index, Entry: e})
	}
	return out, info.Size, nil
}

// Proof is the audit API's document (package audit).
type Proof = audit.Proof

// AuditProof proves entry index is in the tree of the given size (0: the latest checkpoint's).
func (sb *Sandbox) AuditProof(ctx context.Context, index, size uint64) (Proof, error) {
	info, err := sb.LogInfo(ctx)
	if err != nil {
		return Proof{}, err
	}
	if size == 0 {
		size = info.Size
	}
	if size > info.Size {
		return Proof{}, fault.E(fault.InvalidInput, "the latest checkpoint commits to %d entries, not %d", info.Size, size)
	}
	if index >= size {
		return Proof{}, fault.E(fault.NotFound, "entry %d is not in a tree of %d entries", index, size)
	}
	recs, err := sb.journal.Read(ctx, index, 1, size)
	if err != nil || len(recs) != 1 {
		return Proof{}, fault.Wrap(errors.Join(err, errors.New("entry missing")), fault.AuditUnavailable, "entry %d cannot be read", index)
	}
	hashes, err := sb.journal.InclusionProof(ctx, index, size)
	if err != nil {
		return Proof{}, fault.Wrap(err, fault.AuditUnavailable, "no inclusion proof for entry %d", index)
	}
	return Proof{Index: index, Size: size, LeafHash: rfc6962.DefaultHasher.HashLeaf(recs[0].Data), Hashes: hashes, Entry: recs[0].Data}, nil
}

// logPath matches the files of the tlog-tiles layout: the checkpoint, hash tiles and entry
// bundles (full or partial).
var logPath = regexp.MustCompile(`^(checkpoint|tile/(entries|[0-9]{1,2})(/x[0-9]{3})*/[0-9]{3}(\.p/[0-9]{1,3})?)$`)

// AuditLogFile returns one file of the log in the tlog-tiles layout, so standard tlog clients
// (tessera's client.HTTPFetcher, and inviso audit verify) read the log over the API.
func (sb *Sandbox) AuditLogFile(rel string) ([]byte, error) {
	if !logPath.MatchString(rel) {
		return nil, fault.E(fault.NotFound, "not a file of the log's tlog-tiles layout")
	}
	b, err := os.ReadFile(filepath.Join(sb.journal.Dir(), filepath.FromSlash(rel)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fault.E(fault.NotFound, "no such log file")
	}
	if err != nil {
		return nil, fault.Wrap(err, fault.AuditUnavailable, "the job log cannot be read")
	}
	return b, nil
}

// Job returns a job's record: to its grantee without the policy input, to an auditor whole.
func (sb *Sandbox) Job(ctx context.Context, actor catalog.Principal, id string) (catalog.Job, error) {
	j, err := sb.catalog.Job(ctx, id)
	if fault.CodeOf(err) == fault.NotFound {
		sb.indexer.sync() // it may have been released a moment ago
		j, err = sb.catalog.Job(ctx, id)
	}
	if err != nil {
		return catalog.Job{}, err
	}
	if actor.Has(catalog.RoleAuditor) {
		return j, nil
	}
	if j.Principal != actor.ID {
		return catalog.Job{}, fault.E(fault.NotFound, "no job %q", id)
	}
	return forDeveloper(j), nil
}

// forDeveloper is what a developer may see of their own job's record. What the engine saw
// beyond the release stays with auditors: how many groups there were and how many were
// suppressed (exact, they would undo the threshold and the noise: 0 or 1 group behind a
// filter is membership), stage timings and plugin statistics (a plugin controls its rows out
// and its running time: covert channels; the rows into it count a filtered population), and
// the policy input.
func forDeveloper(j catalog.Job) catalog.Job {
	j.PolicyInput = nil
	j.Groups, j.Suppressed = 0, 0
	j.Timings = nil
	if j.Params != nil {
		p := make(map[string]string, len(j.Params))
		for k, v := range j.Params {
			if !strings.HasPrefix(k, "plugin_") {
				p[k] = v
			}
		}
		j.Params = p
	}
	return j
}

// ReplayResult is the audit API's document (package audit).
type ReplayResult = audit.ReplayResult

// Replay re-runs a released job from its recorded inputs: it checks the index's record against
// the job log's entry, rebuilds the workspace from the recorded recipe (dataset versions, rules
// versions, consent registries, the grant's pseudonym key), re-runs the recorded query through
// the same gate and release rules, and compares result digests. It works for revoked grants too:
// the recipe outlives the rows.
func (sb *Sandbox) Replay(ctx context.Context, actor catalog.Principal, id string) (ReplayResult, error) {
	j, err := sb.Job(ctx, actor, id)
	if err != nil {
		return ReplayResult{}, err
	}
	if j.State != catalog.JobReleased || j.Recipe == nil {
		return ReplayResult{}, fault.E(fault.Conflict, "job %s was %s; only released jobs with a recorded recipe can be replayed", id, j.State)
	}
	if err := sb.checkAgainstLog(ctx, j); err != nil {
		return ReplayResult{}, err
	}
	g, err := sb.catalog.Grant(ctx, j.Grant)
	if err != nil {
		return ReplayResult{}, err
	}
	dir := filepath.Join(sb.opt.DataDir, "replay")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ReplayResult{}, err
	}
	tmp, err := os.MkdirTemp(dir, j.ID+"-") // its own directory: replays of one job may run at once
	if err != nil {
		return ReplayResult{}, err
	}
	path := filepath.Join(tmp, j.ID+".duckdb")
	defer func() {
		sb.engine.Forget(path)
		os.RemoveAll(tmp)
	}()
	b, err := sb.build(ctx, g, path, &recipe{pins: j.Recipe.Pins, rules: j.Recipe.Rules, consents: j.Recipe.Consents})
	if err != nil {
		return ReplayResult{}, fault.Wrap(err, fault.Conflict, "the workspace of job %s cannot be rebuilt: %v", id, fault.Public(err).Message)
	}
	out := ReplayResult{Job: j.ID, RecordedDigest: j.ResultDigest, RecordedWorkspace: j.Workspace, ReplayedWorkspace: b.ws.Digest, LogIndex: j.LogIndex}
	if b.ws.Digest != j.Workspace {
		return out, nil // a different workspace cannot give the recorded result: no match
	}
	g.Workspace = b.ws
	schema := schemaOfGrant(g)
	rerun := catalog.Job{ID: j.ID, Timings: map[string]int64{}, Params: map[string]string{}}
	qpath := path // what the job's query reads: the workspace, or a plugin job's stage
	if j.Kind == "plugin" {
		// The same binary over the same rows in the same order, with the same handles.
		in, err := sb.pluginInput(ctx, g, j.Params["input_sql"])
		if err != nil {
			return ReplayResult{}, err
		}
		st, err := sb.stageAt(ctx, &rerun, g, catalog.JobRequest{Plugin: j.Params["plugin"]}, in, path)
		if err != nil {
			return ReplayResult{}, err
		}
		defer st.cleanup()
		schema, qpath, g.Workspace.Digest = st.schema, st.path, st.digest
	}
	tree, err := sb.parser.Parse(ctx, j.SQL)
	if err != nil {
		return ReplayResult{}, err
	}
	analysis, err := sb.parser.Analyse(tree, schema)
	if err != nil {
		return ReplayResult{}, err
	}
	var res *QueryResult
	if g.DP != nil {
		// The job id seeds its noise and its contribution bounds: the same draws come again.
		plan, mech, err := sb.planDP(ctx, &rerun, g, tree, analysis, schema)
		if err != nil {
			return ReplayResult{}, err
		}
		if res, err = sb.executeDP(ctx, &rerun, g, qpath, plan, mech); err != nil {
			return ReplayResult{}, err
		}
	} else {
		rw, err := sb.parser.Rewrite(tree, analysis, schema)
		if err != nil {
			return ReplayResult{}, err
		}
		if rerun.Rewritten, err = sb.parser.Deparse(ctx, rw.Tree()); err != nil {
			return ReplayResult{}, err
		}
		if res, err = sb.execute(ctx, &rerun, g, qpath, analysis, rw); err != nil {
			return ReplayResult{}, err
		}
	}
	if j.Kind == "he" {
		// The same gated groups, scored again with the same uploads and the same seed.
		r, err := sb.checkHE(g, heRequestOf(sb, j))
		if err != nil {
			res.Release()
			return ReplayResult{}, err
		}
		final, err := sb.finishHE(ctx, &rerun, g, path, r, res)
		res.Release()
		if err != nil {
			return ReplayResult{}, err
		}
		res = final
	}
	res.Release()
	out.ReplayedDigest = rerun.ResultDigest
	out.Match = rerun.ResultDigest == j.ResultDigest && rerun.Rewritten == j.Rewritten
	sb.log.Info("job replayed", "job", j.ID, "match", out.Match, "actor", actor.ID)
	return out, nil
}

// checkAgainstLog confirms that the index's record of a job is the one the log holds.
func (sb *Sandbox) checkAgainstLog(ctx context.Context, j catalog.Job) error {
	size, err := sb.journal.Size(ctx)
	if err != nil {
		return fault.Wrap(err, fault.AuditUnavailable, "the job log cannot be read")
	}
	recs, err := sb.journal.Read(ctx, j.LogIndex, 1, size)
	if err != nil || len(recs) != 1 {
		return fault.Wrap(errors.Join(err, errors.New("entry missing")), fault.AuditUnavailable, "the job log entry of job %s cannot be read", j.ID)
	}
	in, err := indexedOf(recs[0])
	if err != nil || in.Job == nil || in.Job.ID != j.ID {
		return fault.E(fault.Conflict, "the job index and the job log disagree about job %s: run inviso audit verify", j.ID)
	}
	logged := in.Job
	same := logged.ResultDigest == j.ResultDigest && logged.Workspace == j.Workspace && logged.SQLDigest == audit.Digest([]byte(j.SQL)) &&
		(logged.Truncated || (logged.SQL == j.SQL && logged.Rewritten == j.Rewritten))
	if !same {
		return fault.E(fault.Conflict, "the job index's record of job %s differs from the job log's: run inviso audit verify", j.ID)
	}
	return nil
}
