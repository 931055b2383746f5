package api

import (
	"errors"
	"net/http"

	"github.com/inviso/inviso/sandbox"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

// putBlob stores an upload (homomorphic keys or ciphertexts): the body, streamed.
func (s *Server) putBlob(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	body := http.MaxBytesReader(w, r.Body, sandbox.MaxBlobBytes)
	d, err := s.sb.PutBlob(r.Context(), actor, body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fault.E(fault.TooLarge, "an upload is at most %d MiB", sandbox.MaxBlobBytes>>20)
	}
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusCreated, map[string]string{"digest": d})
	return nil
}

// submitJob runs a job of any kind and answers with its result, as a query does; the result is
// kept for GET /v1/jobs/{id}/result.
func (s *Server) submitJob(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	var req catalog.JobRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	res, err := s.sb.SubmitJob(r.Context(), actor, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	defer res.Release()
	w.Header().Set("Inviso-Job", res.Job)
	return s.writeResult(w, r, res)
}

// jobResult hands out a released job's kept result again.
func (s *Server) jobResult(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	res, err := s.sb.JobResult(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	defer res.Release()
	w.Header().Set("Inviso-Job", res.Job)
	return s.writeResult(w, r, res)
}

// putPlugin stores a plugin binary: the body, streamed.
func (s *Server) putPlugin(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	body := http.MaxBytesReader(w, r.Body, sandbox.MaxPluginBytes)
	d, err := s.sb.PutPlugin(r.Context(), actor, body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fault.E(fault.TooLarge, "a plugin binary is at most %d MiB", sandbox.MaxPluginBytes>>20)
	}
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusCreated, map[string]string{"digest": d})
	return nil
}
