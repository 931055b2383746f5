package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	tclient "github.com/transparency-dev/tessera/client"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
)

// raw GETs path and returns the body as it is (text routes).
func (c *Client) raw(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return nil, decodeError(resp)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

// LogKey is GET /v1/audit/key: the job log's verifier key as the server states it. Pin your
// own copy; a key fetched from the server it checks proves nothing against that server.
func (c *Client) LogKey(ctx context.Context) (string, error) {
	b, err := c.raw(ctx, "/v1/audit/key")
	return string(b), err
}

// Checkpoint is GET /v1/audit/checkpoint: the latest signed checkpoint.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.raw(ctx, "/v1/audit/checkpoint")
}

// LoggedEntry is the audit API's document (package audit).
type LoggedEntry = audit.LoggedEntry

// AuditPage is a page of GET /v1/audit/entries.
type AuditPage struct {
	Size    uint64        `json:"size"`
	From    uint64        `json:"from"`
	Entries []LoggedEntry `json:"entries"`
}

// AuditEntries is GET /v1/audit/entries (auditor role).
func (c *Client) AuditEntries(ctx context.Context, from, limit uint64) (AuditPage, error) {
	var p AuditPage
	err := c.json(ctx, http.MethodGet, "/v1/audit/entries?from="+strconv.FormatUint(from, 10)+"&limit="+strconv.FormatUint(limit, 10), nil, &p)
	return p, err
}

// Proof is the audit API's document (package audit).
type Proof = audit.Proof

// AuditProof is GET /v1/audit/proof (auditor role); size 0 means the latest checkpoint's.
func (c *Client) AuditProof(ctx context.Context, index, size uint64) (Proof, error) {
	var p Proof
	err := c.json(ctx, http.MethodGet, fmt.Sprintf("/v1/audit/proof?index=%d&size=%d", index, size), nil, &p)
	return p, err
}

// Job is GET /v1/jobs/{id}.
func (c *Client) Job(ctx context.Context, id string) (catalog.Job, error) {
	var j catalog.Job
	err := c.json(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(id), nil, &j)
	return j, err
}

// ReplayResult is the audit API's document (package audit).
type ReplayResult = audit.ReplayResult

// Replay is POST /v1/audit/replay/{job} (auditor role).
func (c *Client) Replay(ctx context.Context, job string) (ReplayResult, error) {
	var r ReplayResult
	err := c.json(ctx, http.MethodPost, "/v1/audit/replay/"+url.PathEscape(job), nil, &r)
	return r, err
}

// LogSource reads the job log in the tlog-tiles layout over /v1/audit/log/ (auditor role), for
// audit.Verify and audit.Export.
func (c *Client) LogSource() (audit.Source, error) {
	u, err := url.Parse(c.base + "/v1/audit/log/")
	if err != nil {
		return nil, err
	}
	f, err := tclient.NewHTTPFetcher(u, c.http)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		f.SetAuthorizationHeader("Bearer " + c.token)
	}
	return f, nil
}
