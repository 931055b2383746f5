package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

// SubmitJob runs a job of any kind under a grant (POST /v1/grants/{id}/jobs) and keeps what it
// released, so GET /v1/jobs/{id}/result can hand it out again to the developer who ran it.
func (sb *Sandbox) SubmitJob(ctx context.Context, actor catalog.Principal, grantID string, req catalog.JobRequest) (*QueryResult, error) {
	var res *QueryResult
	var err error
	switch req.Kind {
	case "sql":
		res, err = sb.Query(ctx, actor, grantID, req.SQL, false)
	case "he":
		res, err = sb.RunHE(ctx, actor, grantID, req)
	case "plugin":
		res, err = sb.RunPlugin(ctx, actor, grantID, req)
	default:
		return nil, fault.E(fault.InvalidInput, "kind %q: want sql, he or plugin", clipText(req.Kind))
	}
	if err != nil {
		return nil, err
	}
	if err := sb.keepResult(res); err != nil {
		// Released and logged, but not kept: the developer has it in this answer only.
		sb.log.Error("a released result could not be kept", "job", res.Job, "error", fault.Redact(err))
	}
	return res, nil
}

func (sb *Sandbox) resultPath(job string) string {
	return filepath.Join(sb.opt.DataDir, "results", job+".arrows")
}

// keepResult writes a released result as an Arrow IPC stream (temp file, fsync, rename).
func (sb *Sandbox) keepResult(res *QueryResult) error {
	dir := filepath.Join(sb.opt.DataDir, "results")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".result-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	w := ipc.NewWriter(f, ipc.WithSchema(res.Schema))
	for _, b := range res.Batches {
		if err := w.Write(b); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), sb.resultPath(res.Job))
}

// JobResult hands a released job's result to the developer who ran it.
func (sb *Sandbox) JobResult(ctx context.Context, actor catalog.Principal, id string) (*QueryResult, error) {
	j, err := sb.Job(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if j.Principal != actor.ID {
		return nil, fault.E(fault.NotFound, "no job %q", id) // auditors see records, not results
	}
	if j.State != catalog.JobReleased {
		return nil, fault.E(fault.Conflict, "job %s was %s: it has no result", id, j.State)
	}
	f, err := os.Open(sb.resultPath(j.ID))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fault.E(fault.NotFound, "the result of job %s was not kept (it was only in the answer to its request)", id)
	}
	if err != nil {
		return nil, fault.Wrap(err, fault.Internal, "the result of job %s cannot be read", id)
	}
	defer f.Close()
	rd, err := ipc.NewReader(f, ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, fault.Wrap(err, fault.Internal, "the result of job %s cannot be read", id)
	}
	defer rd.Release()
	res := &QueryResult{Job: j.ID, Schema: rd.Schema()}
	for rd.Next() {
		b := rd.RecordBatch()
		b.Retain()
		res.Batches = append(res.Batches, b)
		res.Rows += b.NumRows()
	}
	if err := rd.Err(); err != nil {
		res.Release()
		return nil, fault.Wrap(fmt.Errorf("read result: %w", err), fault.Internal, "the result of job %s cannot be read", id)
	}
	return res, nil
}
