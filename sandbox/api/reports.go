package api

import (
	"bytes"
	"net/http"
	"slices"
	"strings"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/report"
)

// Report kinds of GET /v1/reports/{kind}, with the one period parameter each takes.
var reportKinds = map[string]string{
	"quarterly": "quarter", // ?quarter=2026Q3 (Art. 28)
	"sources":   "year",    // ?year=2026 (Art. 22)
}

// disclosure serves GET /v1/disclosure (public): the Art. 21 disclosure as JSON (the default),
// Markdown (?format=md) or CSV (?format=csv).
func (s *Server) disclosure(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	f, err := formatParam(r, "format")
	if err != nil {
		return err
	}
	if err := onlyParams(r, "format"); err != nil {
		return err
	}
	d, err := s.sb.Disclosure(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, d, f)
}

// report serves GET /v1/reports/{kind}: quarterly?quarter=2026Q3 or sources?year=2026, as
// JSON (the default), Markdown (format=md) or CSV (format=csv).
func (s *Server) report(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	kind := r.PathValue("kind")
	param, ok := reportKinds[kind]
	if !ok {
		return fault.E(fault.NotFound, "no report %q: the reports are quarterly (?quarter=2026Q3) and sources (?year=2026)", clipPath(kind))
	}
	f, err := formatParam(r, "format")
	if err != nil {
		return err
	}
	if err := onlyParams(r, param, "format"); err != nil {
		return err
	}
	value := r.URL.Query().Get(param)
	if value == "" {
		return fault.E(fault.InvalidInput, "the %s report needs ?%s=, e.g. %s", kind, param, map[string]string{"quarter": "?quarter=2026Q3", "year": "?year=2026"}[param])
	}
	var doc report.Document
	switch kind {
	case "quarterly":
		p, err := report.Quarter(value)
		if err != nil {
			return err
		}
		if doc, err = s.sb.QuarterlyReport(r.Context(), actor, p); err != nil {
			return err
		}
	case "sources":
		p, err := report.Year(value)
		if err != nil {
			return err
		}
		if doc, err = s.sb.SourcesReport(r.Context(), actor, p); err != nil {
			return err
		}
	}
	return s.render(w, r, doc, f)
}

// render writes a document in full or, if it cannot be rendered, an error instead.
func (s *Server) render(w http.ResponseWriter, r *http.Request, doc report.Document, f report.Format) error {
	var buf bytes.Buffer
	if err := doc.Render(&buf, f); err != nil {
		return fault.Wrap(err, fault.Internal, "the document could not be rendered")
	}
	w.Header().Set("Content-Type", f.MediaType())
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
	return nil
}

func formatParam(r *http.Request, name string) (report.Format, error) {
	return report.ParseFormat(r.URL.Query().Get(name), report.JSON)
}

// onlyParams refuses query parameters a route does not take, so a misspelt one is not ignored.
func onlyParams(r *http.Request, allowed ...string) error {
	for name, vs := range r.URL.Query() {
		if !slices.Contains(allowed, name) {
			return fault.E(fault.InvalidInput, "unknown parameter %q; this route takes %s", clipPath(name), strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return fault.E(fault.InvalidInput, "parameter %q is given %d times", name, len(vs))
		}
	}
	return nil
}
