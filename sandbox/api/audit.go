package api

import (
	"net/http"
	"strconv"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

func (s *Server) getJob(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	j, err := s.sb.Job(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, j)
	return nil
}

// auditKey serves the log's verifier key as text: what auditors pin.
func (s *Server) auditKey(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	info, err := s.sb.LogInfo(r.Context())
	if err != nil {
		return err
	}
	writeText(w, info.VerifierKey+"\n")
	return nil
}

// auditCheckpoint serves the latest signed checkpoint as the C2SP signed note it is.
func (s *Server) auditCheckpoint(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	info, err := s.sb.LogInfo(r.Context())
	if err != nil {
		return err
	}
	if info.Checkpoint == "" {
		return fault.E(fault.Unavailable, "the job log has not published a checkpoint yet; try again in a second")
	}
	writeText(w, info.Checkpoint)
	return nil
}

func writeText(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(body))
}

// uintParam reads an optional non-negative integer query parameter.
func uintParam(r *http.Request, name string, def uint64) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fault.E(fault.InvalidInput, "%s must be a non-negative integer", name)
	}
	return n, nil
}

func (s *Server) auditEntries(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	from, err := uintParam(r, "from", 0)
	if err != nil {
		return err
	}
	limit, err := uintParam(r, "limit", 100)
	if err != nil {
		return err
	}
	entries, size, err := s.sb.AuditEntries(r.Context(), from, limit)
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, map[string]any{"size": size, "from": from, "entries": entries})
	return nil
}

func (s *Server) auditProof(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	if r.URL.Query().Get("index") == "" {
		return fault.E(fault.InvalidInput, "index is required")
	}
	index, err := uintParam(r, "index", 0)
	if err != nil {
		return err
	}
	size, err := uintParam(r, "size", 0)
	if err != nil {
		return err
	}
	p, err := s.sb.AuditProof(r.Context(), index, size)
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, p)
	return nil
}

// auditLogFile serves the log in the tlog-tiles layout under /v1/audit/log/.
func (s *Server) auditLogFile(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	b, err := s.sb.AuditLogFile(r.PathValue("path"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
	return nil
}

func (s *Server) auditReplay(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	res, err := s.sb.Replay(r.Context(), actor, r.PathValue("job"))
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, res)
	return nil
}
