package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
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
