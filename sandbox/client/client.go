package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/rules"
)

// DefaultServer is where a server listens when started without flags.
const DefaultServer = "http://127.0.0.1:8470"

// Client talks to one server as one principal.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// New returns a client of the server at base (e.g. http://127.0.0.1:8470) using token.
func New(base, token string, hc *http.Client) (*Client, error) {
	if base == "" {
		base = DefaultServer
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server address %q: want http://host:port or https://host:port", base)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 0} // imports of large files may take minutes; callers pass contexts
	}
	return &Client{base: strings.TrimRight(base, "/"), token: strings.TrimSpace(token), http: hc}, nil
}

// WithToken returns a client of the same server acting with another token.
func (c *Client) WithToken(token string) *Client {
	cc := *c
	cc.token = strings.TrimSpace(token)
	return &cc
}

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, contentType string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	if out == nil {
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}

func decodeError(resp *http.Response) error {
	var env struct {
		Error struct {
			Code    fault.Code     `json:"code"`
			Message string         `json:"message"`
			Reasons []fault.Reason `json:"reasons"`
		} `json:"error"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err := json.Unmarshal(raw, &env); err != nil || env.Error.Code == "" {
		return &fault.Error{Code: fault.Internal, Message: fmt.Sprintf("server answered %s without an error body", resp.Status)}
	}
	return &fault.Error{Code: env.Error.Code, Message: env.Error.Message, Reasons: env.Error.Reasons}
}

func (c *Client) json(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	return c.do(ctx, method, path, body, "application/json", out)
}

// Health is GET /v1/health.
func (c *Client) Health(ctx context.Context) (status, version string, err error) {
	var out struct{ Status, Version string }
	err = c.json(ctx, "GET", "/v1/health", nil, &out)
	return out.Status, out.Version, err
}

// WaitReady polls /v1/health until the server answers or ctx ends.
func (c *Client) WaitReady(ctx context.Context) error {
	for {
		if _, _, err := c.Health(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server at %s did not become ready: %w", c.base, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Whoami is GET /v1/whoami.
func (c *Client) Whoami(ctx context.Context) (catalog.Principal, error) {
	var p catalog.Principal
	return p, c.json(ctx, "GET", "/v1/whoami", nil, &p)
}

// CreateAgency is POST /v1/agencies.
func (c *Client) CreateAgency(ctx context.Context, a catalog.Agency) (catalog.Agency, error) {
	var out catalog.Agency
	in := map[string]string{"id": a.ID, "name": a.Name, "kind": string(a.Kind)}
	return out, c.json(ctx, "POST", "/v1/agencies", in, &out)
}

// Agencies is GET /v1/agencies.
func (c *Client) Agencies(ctx context.Context) ([]catalog.Agency, error) {
	var out struct{ Agencies []catalog.Agency }
	return out.Agencies, c.json(ctx, "GET", "/v1/agencies", nil, &out)
}

// CreatePrincipal is POST /v1/principals; the token is returned once.
func (c *Client) CreatePrincipal(ctx context.Context, id, agency string, roles ...catalog.Role) (catalog.Principal, string, error) {
	var out struct {
		catalog.Principal
		Token string `json:"token"`
	}
	in := map[string]any{"id": id, "agency": agency, "roles": roles}
	err := c.json(ctx, "POST", "/v1/principals", in, &out)
	return out.Principal, out.Token, err
}

// Principals is GET /v1/principals.
func (c *Client) Principals(ctx context.Context) ([]catalog.Principal, error) {
	var out struct{ Principals []catalog.Principal }
	return out.Principals, c.json(ctx, "GET", "/v1/principals", nil, &out)
}

// RegisterDataset is POST /v1/datasets.
func (c *Client) RegisterDataset(ctx context.Context, d catalog.Dataset) (catalog.Dataset, error) {
	in := map[string]any{"name": d.Name, "agency": d.Agency, "description": d.Description,
		"classification": d.Classification, "flags": d.Flags, "privacy_unit": d.PrivacyUnit,
		"update_frequency": d.UpdateFrequency}
	if len(d.Schema) > 0 {
		in["schema"] = d.Schema
	}
	var out catalog.Dataset
	return out, c.json(ctx, "POST", "/v1/datasets", in, &out)
}

// Datasets is GET /v1/datasets.
func (c *Client) Datasets(ctx context.Context) ([]catalog.Dataset, error) {
	var out struct{ Datasets []catalog.Dataset }
	return out.Datasets, c.json(ctx, "GET", "/v1/datasets", nil, &out)
}

// Dataset is GET /v1/datasets/{name}.
func (c *Client) Dataset(ctx context.Context, name string) (catalog.Dataset, error) {
	var out catalog.Dataset
	return out, c.json(ctx, "GET", "/v1/datasets/"+url.PathEscape(name), nil, &out)
}

// Import is PUT /v1/datasets/{name}/data: body is streamed, not buffered.
func (c *Client) Import(ctx context.Context, name, format string, body io.Reader, allowDrift bool) (catalog.Version, error) {
	q := url.Values{"format": {format}}
	if allowDrift {
		q.Set("allow_drift", "true")
	}
	var out catalog.Version
	err := c.do(ctx, "PUT", "/v1/datasets/"+url.PathEscape(name)+"/data?"+q.Encode(), body, "application/octet-stream", &out)
	return out, err
}

// SetRules is PUT /v1/datasets/{name}/rules.
func (c *Client) SetRules(ctx context.Context, dataset string, set rules.Set, minK int) (catalog.RuleSet, error) {
	in := map[string]any{"columns": set.Columns}
	if minK != 0 {
		in["min_k"] = minK
	}
	var out catalog.RuleSet
	return out, c.json(ctx, "PUT", "/v1/datasets/"+url.PathEscape(dataset)+"/rules", in, &out)
}

// Rules is GET /v1/datasets/{name}/rules: every version, oldest first.
func (c *Client) Rules(ctx context.Context, dataset string) ([]catalog.RuleSet, error) {
	var out struct{ Versions []catalog.RuleSet }
	return out.Versions, c.json(ctx, "GET", "/v1/datasets/"+url.PathEscape(dataset)+"/rules", nil, &out)
}

// CosignRules is POST /v1/datasets/{name}/rules/{version}/cosign.
func (c *Client) CosignRules(ctx context.Context, dataset string, version int) (catalog.RuleSet, error) {
	var out catalog.RuleSet
	return out, c.json(ctx, "POST", fmt.Sprintf("/v1/datasets/%s/rules/%d/cosign", url.PathEscape(dataset), version), nil, &out)
}

// SetFlags is PUT /v1/datasets/{name}/flags.
func (c *Client) SetFlags(ctx context.Context, dataset string, flags []catalog.Flag) (catalog.Dataset, error) {
	if flags == nil {
		flags = []catalog.Flag{}
	}
	var out catalog.Dataset
	return out, c.json(ctx, "PUT", "/v1/datasets/"+url.PathEscape(dataset)+"/flags", map[string]any{"flags": flags}, &out)
}

// SetConsents is PUT /v1/datasets/{name}/consents with a CSV body (subject,purpose,valid_until).
func (c *Client) SetConsents(ctx context.Context, dataset string, csv io.Reader) (catalog.ConsentSet, error) {
	var out catalog.ConsentSet
	return out, c.do(ctx, "PUT", "/v1/datasets/"+url.PathEscape(dataset)+"/consents", csv, "text/csv", &out)
}

// RequestScenario is POST /v1/scenarios.
func (c *Client) RequestScenario(ctx context.Context, req catalog.ScenarioRequest) (catalog.Scenario, error) {
	var out catalog.Scenario
	return out, c.json(ctx, "POST", "/v1/scenarios", req, &out)
}

// Scenarios is GET /v1/scenarios.
func (c *Client) Scenarios(ctx context.Context) ([]catalog.Scenario, error) {
	var out struct{ Scenarios []catalog.Scenario }
	return out.Scenarios, c.json(ctx, "GET", "/v1/scenarios", nil, &out)
}

// Scenario is GET /v1/scenarios/{id}.
func (c *Client) Scenario(ctx context.Context, id string) (catalog.Scenario, error) {
	var out catalog.Scenario
	return out, c.json(ctx, "GET", "/v1/scenarios/"+url.PathEscape(id), nil, &out)
}

// ConsentScenario is POST /v1/scenarios/{id}/consent.
func (c *Client) ConsentScenario(ctx context.Context, id string) (catalog.Scenario, error) {
	var out catalog.Scenario
	return out, c.json(ctx, "POST", "/v1/scenarios/"+url.PathEscape(id)+"/consent", nil, &out)
}

// ApproveScenario is POST /v1/scenarios/{id}/approve; it returns once the workspace is built.
func (c *Client) ApproveScenario(ctx context.Context, id string) (catalog.Grant, error) {
	var out struct{ Grant catalog.Grant }
	return out.Grant, c.json(ctx, "POST", "/v1/scenarios/"+url.PathEscape(id)+"/approve", nil, &out)
}

// RejectScenario is POST /v1/scenarios/{id}/reject.
func (c *Client) RejectScenario(ctx context.Context, id string) (catalog.Scenario, error) {
	var out catalog.Scenario
	return out, c.json(ctx, "POST", "/v1/scenarios/"+url.PathEscape(id)+"/reject", nil, &out)
}

// Grants is GET /v1/grants.
func (c *Client) Grants(ctx context.Context) ([]catalog.Grant, error) {
	var out struct{ Grants []catalog.Grant }
	return out.Grants, c.json(ctx, "GET", "/v1/grants", nil, &out)
}

// Grant is GET /v1/grants/{id}.
func (c *Client) Grant(ctx context.Context, id string) (catalog.Grant, error) {
	var out catalog.Grant
	return out, c.json(ctx, "GET", "/v1/grants/"+url.PathEscape(id), nil, &out)
}

// ChangeGrant is POST /v1/grants/{id}/{suspend|resume|revoke}.
func (c *Client) ChangeGrant(ctx context.Context, id, action, reason string) (catalog.Grant, error) {
	var out catalog.Grant
	return out, c.json(ctx, "POST", "/v1/grants/"+url.PathEscape(id)+"/"+url.PathEscape(action), map[string]string{"reason": reason}, &out)
}

// SuspendAll is POST /v1/grants/suspend-all.
func (c *Client) SuspendAll(ctx context.Context, reason string) ([]string, error) {
	var out struct{ Suspended []string }
	return out.Suspended, c.json(ctx, "POST", "/v1/grants/suspend-all", map[string]string{"reason": reason}, &out)
}

// Dummy is GET /v1/grants/{id}/dummy?format=duckdb|parquet: it streams the file to w.
func (c *Client) Dummy(ctx context.Context, id, format string, rows int, w io.Writer) error {
	q := url.Values{"format": {format}}
	if rows > 0 {
		q.Set("rows", strconv.Itoa(rows))
	}
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/v1/grants/"+url.PathEscape(id)+"/dummy?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// QueryResult is a JSON query result.
type QueryResult struct {
	Job     string   `json:"job"`
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
	Allow   bool     `json:"allow"`
	// With differential privacy: each noisy column's noise, the release threshold and the
	// grant's privacy budget after the query.
	Noise     map[string]catalog.NoiseInfo `json:"noise,omitempty"`
	Budget    *catalog.BudgetInfo          `json:"budget,omitempty"`
	Threshold int64                        `json:"threshold,omitempty"`
}

// Query is POST /v1/grants/{id}/query with a JSON answer (or, with checkOnly, the decision).
func (c *Client) Query(ctx context.Context, grant, sql string, checkOnly bool) (QueryResult, error) {
	var out QueryResult
	err := c.json(ctx, "POST", "/v1/grants/"+url.PathEscape(grant)+"/query", map[string]any{"sql": sql, "check_only": checkOnly}, &out)
	return out, err
}

// QueryStream is POST /v1/grants/{id}/query answered as accept (an Arrow IPC stream or CSV); it
// copies the body to w and returns the job id.
func (c *Client) QueryStream(ctx context.Context, grant, sql, accept string, w io.Writer) (string, error) {
	b, _ := json.Marshal(map[string]any{"sql": sql})
	return c.stream(ctx, "POST", "/v1/grants/"+url.PathEscape(grant)+"/query", bytes.NewReader(b), accept, w)
}

// PutBlob is POST /v1/blobs: it uploads r (homomorphic keys or ciphertexts) and returns the
// digest that names it.
func (c *Client) PutBlob(ctx context.Context, r io.Reader) (string, error) {
	return c.upload(ctx, "/v1/blobs", r)
}

// PutPlugin is POST /v1/plugins: it uploads a plugin binary and returns its digest, which a
// scenario lists for review.
func (c *Client) PutPlugin(ctx context.Context, r io.Reader) (string, error) {
	return c.upload(ctx, "/v1/plugins", r)
}

func (c *Client) upload(ctx context.Context, path string, r io.Reader) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+path, r)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return "", decodeError(resp)
	}
	var out struct {
		Digest string `json:"digest"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", err
	}
	return out.Digest, nil
}

// SubmitJob is POST /v1/grants/{id}/jobs with the result answered as accept (an Arrow IPC
// stream, CSV or JSON) and copied to w; it returns the job id.
func (c *Client) SubmitJob(ctx context.Context, grant string, job catalog.JobRequest, accept string, w io.Writer) (string, error) {
	b, err := json.Marshal(job)
	if err != nil {
		return "", err
	}
	return c.stream(ctx, "POST", "/v1/grants/"+url.PathEscape(grant)+"/jobs", bytes.NewReader(b), accept, w)
}

// JobResult is GET /v1/jobs/{id}/result, copied to w as accept.
func (c *Client) JobResult(ctx context.Context, id, accept string, w io.Writer) error {
	_, err := c.stream(ctx, "GET", "/v1/jobs/"+url.PathEscape(id)+"/result", nil, accept, w)
	return err
}

func (c *Client) stream(ctx context.Context, method, path string, body io.Reader, accept string, w io.Writer) (string, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", accept)
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return "", decodeError(resp)
	}
	_, err = io.Copy(w, resp.Body)
	return resp.Header.Get("Inviso-Job"), err
}
