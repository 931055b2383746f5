package api

import (
	"net/http"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

// PLACEHOLDER: replaced by the disclosure and reports work in progress.
func (s *Server) disclosure(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	return fault.E(fault.Unavailable, "disclosure is not built yet")
}

// PLACEHOLDER: replaced by the disclosure and reports work in progress.
func (s *Server) report(w http.ResponseWriter, r *http.Request, _ catalog.Principal) error {
	return fault.E(fault.Unavailable, "reports are not built yet")
}
