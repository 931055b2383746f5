package api

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/dummy"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/rules"
)

func (s *Server) getRules(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	hist, err := s.sb.RuleHistory(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	out := map[string]any{"dataset": r.PathValue("name"), "versions": hist}
	if len(hist) > 0 {
		out["current"] = hist[len(hist)-1]
	}
	s.write(w, r, http.StatusOK, out)
	return nil
}

func (s *Server) putRules(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	var in struct {
		Columns map[string]rules.Rule `json:"columns"`
		MinK    int                   `json:"min_k"`
	}
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	rs, err := s.sb.SetRules(r.Context(), actor, r.PathValue("name"), rules.Set{Columns: in.Columns}, in.MinK)
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, rs)
	return nil
}

func (s *Server) cosignRules(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v < 1 {
		return fault.E(fault.InvalidInput, "rules version must be a positive number")
	}
	rs, err := s.sb.CosignRules(r.Context(), actor, r.PathValue("name"), v)
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, rs)
	return nil
}

func (s *Server) putConsents(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	body := &limitedBody{r: http.MaxBytesReader(w, r.Body, s.opt.MaxUploadBytes), limit: s.opt.MaxUploadBytes}
	cs, err := s.sb.SetConsents(r.Context(), actor, r.PathValue("name"), body)
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, cs)
	return nil
}

func (s *Server) putFlags(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	var in struct {
		Flags []catalog.Flag `json:"flags"`
	}
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	d, err := s.sb.SetFlags(r.Context(), actor, r.PathValue("name"), in.Flags)
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, d)
	return nil
}

func (s *Server) requestScenario(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	var in catalog.ScenarioRequest
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	sc, err := s.sb.RequestScenario(r.Context(), actor, in)
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusCreated, sc)
	return nil
}

func (s *Server) listScenarios(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	ss, err := s.sb.Scenarios(r.Context(), actor)
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, map[string]any{"scenarios": ss})
	return nil
}

func (s *Server) getScenario(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	sc, err := s.sb.Scenario(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, sc)
	return nil
}

func (s *Server) consentScenario(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	sc, err := s.sb.ConsentScenario(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, sc)
	return nil
}

func (s *Server) approveScenario(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	g, err := s.sb.ApproveScenario(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusCreated, map[string]any{"grant": g})
	return nil
}

func (s *Server) rejectScenario(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	sc, err := s.sb.RejectScenario(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, sc)
	return nil
}

func (s *Server) listGrants(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	gs, err := s.sb.Grants(r.Context(), actor)
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, map[string]any{"grants": gs})
	return nil
}

func (s *Server) getGrant(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	g, err := s.sb.Grant(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, g)
	return nil
}

// reasonBody is the optional body of state changes: {"reason": "…"}.
func (s *Server) reasonBody(w http.ResponseWriter, r *http.Request) (string, error) {
	var in struct {
		Reason string `json:"reason"`
	}
	if r.ContentLength == 0 {
		return "", nil
	}
	if err := s.decode(w, r, &in); err != nil {
		return "", err
	}
	return in.Reason, nil
}

func (s *Server) changeGrant(to catalog.GrantState) func(http.ResponseWriter, *http.Request, catalog.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
		reason, err := s.reasonBody(w, r)
		if err != nil {
			return err
		}
		g, err := s.sb.ChangeGrant(r.Context(), actor, r.PathValue("id"), to, reason)
		if err != nil {
			return err
		}
		s.write(w, r, http.StatusOK, g)
		return nil
	}
}

func (s *Server) suspendAll(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	reason, err := s.reasonBody(w, r)
	if err != nil {
		return err
	}
	ids, err := s.sb.SuspendAll(r.Context(), actor, reason)
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, map[string]any{"suspended": ids})
	return nil
}

func (s *Server) dummyData(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	format := dummy.Format(r.URL.Query().Get("format"))
	if format == "" {
		format = dummy.FormatDuckDB
	}
	rows := 0
	if v := r.URL.Query().Get("rows"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fault.E(fault.InvalidInput, "rows must be a number")
		}
		rows = n
	}
	var buf bytes.Buffer
	ext, media, err := s.sb.Dummy(r.Context(), actor, r.PathValue("id"), format, rows, &buf)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", media)
	w.Header().Set("Content-Disposition", `attachment; filename="`+r.PathValue("id")+"-dummy"+ext+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, err = buf.WriteTo(w)
	if err != nil {
		s.log.Debug("dummy download interrupted", "error", err)
	}
	return nil
}
