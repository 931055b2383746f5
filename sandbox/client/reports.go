package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/inviso/inviso/sandbox/report"
)

// Disclosure is GET /v1/disclosure: the public disclosure (Art. 21). It needs no token.
func (c *Client) Disclosure(ctx context.Context) (report.Disclosure, error) {
	var d report.Disclosure
	return d, c.json(ctx, http.MethodGet, "/v1/disclosure", nil, &d)
}

// WriteDisclosure is GET /v1/disclosure?format=…: it copies the disclosure, rendered by the
// server as f, to w.
func (c *Client) WriteDisclosure(ctx context.Context, f report.Format, w io.Writer) error {
	return c.document(ctx, "/v1/disclosure?"+url.Values{"format": {string(f)}}.Encode(), w)
}

// QuarterlyReport is GET /v1/reports/quarterly?quarter=2026Q3 (auditor, admin or implementer).
func (c *Client) QuarterlyReport(ctx context.Context, quarter string) (report.Quarterly, error) {
	var q report.Quarterly
	return q, c.json(ctx, http.MethodGet, "/v1/reports/quarterly?"+url.Values{"quarter": {quarter}}.Encode(), nil, &q)
}

// SourcesReport is GET /v1/reports/sources?year=2026 (auditor, admin or implementer).
func (c *Client) SourcesReport(ctx context.Context, year string) (report.Sources, error) {
	var s report.Sources
	return s, c.json(ctx, http.MethodGet, "/v1/reports/sources?"+url.Values{"year": {year}}.Encode(), nil, &s)
}

// WriteReport is GET /v1/reports/{kind}?…&format=…: it copies the report, rendered by the
// server as f, to w. params holds the period: quarter for "quarterly", year for "sources".
func (c *Client) WriteReport(ctx context.Context, kind string, params url.Values, f report.Format, w io.Writer) error {
	q := url.Values{"format": {string(f)}}
	for k, vs := range params {
		q[k] = vs
	}
	return c.document(ctx, "/v1/reports/"+url.PathEscape(kind)+"?"+q.Encode(), w)
}

// document GETs path and streams the body to w.
func (c *Client) document(ctx context.Context, path string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}
