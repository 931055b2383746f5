package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/sandbox"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

func (s *Server) health(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	s.write(w, r, http.StatusOK, map[string]string{"status": "ok", "version": Version})
	return nil
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	s.write(w, r, http.StatusOK, actor)
	return nil
}

func (s *Server) createAgency(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	var in struct {
		ID   string             `json:"id"`
		Name string             `json:"name"`
		Kind catalog.AgencyKind `json:"kind"`
	}
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	a, err := s.sb.CreateAgency(r.Context(), actor, catalog.Agency{ID: in.ID, Name: in.Name, Kind: in.Kind})
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusCreated, a)
	return nil
}

func (s *Server) listAgencies(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	as, err := s.sb.Agencies(r.Context())
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, map[string]any{"agencies": as})
	return nil
}

func (s *Server) createPrincipal(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	var in struct {
		ID     string         `json:"id"`
		Agency string         `json:"agency"`
		Roles  []catalog.Role `json:"roles"`
	}
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	p, tok, err := s.sb.CreatePrincipal(r.Context(), actor, catalog.Principal{ID: in.ID, Agency: in.Agency, Roles: in.Roles})
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusCreated, struct {
		catalog.Principal
		Token string `json:"token"`
	}{p, tok})
	return nil
}

func (s *Server) listPrincipals(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	ps, err := s.sb.Principals(r.Context())
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, map[string]any{"principals": ps})
	return nil
}

func (s *Server) registerDataset(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	var in struct {
		Name            string                 `json:"name"`
		Agency          string                 `json:"agency"`
		Description     string                 `json:"description"`
		Classification  catalog.Level          `json:"classification"`
		Flags           []catalog.Flag         `json:"flags"`
		PrivacyUnit     string                 `json:"privacy_unit"`
		UpdateFrequency string                 `json:"update_frequency"`
		Schema          []catalog.SchemaColumn `json:"schema"`
	}
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	d, err := s.sb.RegisterDataset(r.Context(), actor, catalog.Dataset{
		Name: in.Name, Agency: in.Agency, Description: in.Description, Classification: in.Classification,
		Flags: in.Flags, PrivacyUnit: in.PrivacyUnit, UpdateFrequency: in.UpdateFrequency, Schema: in.Schema,
	})
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusCreated, d)
	return nil
}

func (s *Server) listDatasets(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	ds, err := s.sb.Datasets(r.Context())
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, map[string]any{"datasets": ds})
	return nil
}

func (s *Server) getDataset(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	d, err := s.sb.Dataset(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, d)
	return nil
}

func (s *Server) importData(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	q := r.URL.Query()
	format, err := connectors.ParseFormat(q.Get("format"))
	if err != nil {
		return fault.Wrap(err, fault.InvalidInput, "format=%s: want csv, parquet, ndjson or arrow", clipPath(q.Get("format")))
	}
	allowDrift := false
	if v := q.Get("allow_drift"); v != "" {
		if allowDrift, err = strconv.ParseBool(v); err != nil {
			return fault.E(fault.InvalidInput, "allow_drift must be true or false")
		}
	}
	body := &limitedBody{r: http.MaxBytesReader(w, r.Body, s.opt.MaxUploadBytes), limit: s.opt.MaxUploadBytes}
	v, err := s.sb.Import(r.Context(), actor, r.PathValue("name"), body, sandbox.ImportOptions{Format: format, AllowDrift: allowDrift})
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusCreated, v)
	return nil
}

// limitedBody turns the server's upload limit into a coded error the store passes through.
type limitedBody struct {
	r     io.Reader
	limit int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return n, fault.E(fault.TooLarge, "the upload is larger than the server accepts (%d bytes)", b.limit)
	}
	return n, err
}
