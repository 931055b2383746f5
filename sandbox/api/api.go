package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/inviso/inviso/sandbox"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

// Version is reported by /v1/health.
var Version = "0.1.0-dev"

// Defaults for request sizes.
const (
	DefaultMaxJSONBytes   = 1 << 20  // 1 MiB
	DefaultMaxUploadBytes = 64 << 30 // 64 GiB
)

// Options configure the API.
type Options struct {
	Logger         *slog.Logger
	MaxJSONBytes   int64
	MaxUploadBytes int64
}

// access says who may call a route.
type access struct {
	public bool           // no token needed
	roles  []catalog.Role // any of these; empty and not public = any authenticated principal
}

var (
	public        = access{public: true}
	authenticated = access{}
)

func roles(r ...catalog.Role) access { return access{roles: r} }

// route is one entry of the route table.
type route struct {
	method, pattern string
	access          access
	handle          func(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error
}

// Server serves the API.
type Server struct {
	sb     *sandbox.Sandbox
	opt    Options
	log    *slog.Logger
	routes []route
	mux    *http.ServeMux
}

// New returns the API handler for a sandbox.
func New(sb *sandbox.Sandbox, opt Options) *Server {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.MaxJSONBytes <= 0 {
		opt.MaxJSONBytes = DefaultMaxJSONBytes
	}
	if opt.MaxUploadBytes <= 0 {
		opt.MaxUploadBytes = DefaultMaxUploadBytes
	}
	s := &Server{sb: sb, opt: opt, log: opt.Logger, mux: http.NewServeMux()}
	s.routes = s.table()
	byPattern := map[string][]route{}
	var patterns []string
	for _, rt := range s.routes {
		if _, ok := byPattern[rt.pattern]; !ok {
			patterns = append(patterns, rt.pattern)
		}
		byPattern[rt.pattern] = append(byPattern[rt.pattern], rt)
	}
	for _, p := range patterns {
		s.mux.Handle(p, s.dispatch(byPattern[p]))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, fault.E(fault.NotFound, "no route %s %s", r.Method, clipPath(r.URL.Path)))
	})
	return s
}

// table is every route of the API and who may call it.
func (s *Server) table() []route {
	const (
		admin       = catalog.RoleAdmin
		operator    = catalog.RoleOperator
		implementer = catalog.RoleImplementer
		source      = catalog.RoleSource
		developer   = catalog.RoleDeveloper
		auditor     = catalog.RoleAuditor
	)
	return []route{
		{"GET", "/v1/health", public, s.health},
		{"GET", "/v1/whoami", authenticated, s.whoami},
		{"POST", "/v1/agencies", roles(admin), s.createAgency},
		{"GET", "/v1/agencies", authenticated, s.listAgencies},
		{"POST", "/v1/principals", roles(admin), s.createPrincipal},
		{"GET", "/v1/principals", roles(admin, operator, implementer, auditor), s.listPrincipals},
		{"POST", "/v1/datasets", roles(source), s.registerDataset},
		{"GET", "/v1/datasets", authenticated, s.listDatasets},
		{"GET", "/v1/datasets/{name}", authenticated, s.getDataset},
		{"PUT", "/v1/datasets/{name}/data", roles(source), s.importData},
		{"PUT", "/v1/datasets/{name}/flags", roles(source), s.putFlags},
		{"GET", "/v1/datasets/{name}/rules", authenticated, s.getRules},
		{"PUT", "/v1/datasets/{name}/rules", roles(source), s.putRules},
		{"POST", "/v1/datasets/{name}/rules/{version}/cosign", roles(implementer), s.cosignRules},
		{"PUT", "/v1/datasets/{name}/consents", roles(source), s.putConsents},
		{"POST", "/v1/scenarios", roles(developer), s.requestScenario},
		{"GET", "/v1/scenarios", authenticated, s.listScenarios},
		{"GET", "/v1/scenarios/{id}", authenticated, s.getScenario},
		{"POST", "/v1/scenarios/{id}/consent", roles(source), s.consentScenario},
		{"POST", "/v1/scenarios/{id}/approve", roles(implementer), s.approveScenario},
		{"POST", "/v1/scenarios/{id}/reject", roles(implementer), s.rejectScenario},
		{"GET", "/v1/grants", authenticated, s.listGrants},
		{"GET", "/v1/grants/{id}", roles(developer, implementer, auditor, admin), s.getGrant},
		{"POST", "/v1/grants/{id}/suspend", roles(implementer), s.changeGrant(catalog.GrantSuspended)},
		{"POST", "/v1/grants/{id}/resume", roles(implementer), s.changeGrant(catalog.GrantActive)},
		{"POST", "/v1/grants/{id}/revoke", roles(implementer), s.changeGrant(catalog.GrantRevoked)},
		{"POST", "/v1/grants/suspend-all", roles(implementer, admin), s.suspendAll},
		{"GET", "/v1/grants/{id}/dummy", roles(developer), s.dummyData},
		{"POST", "/v1/grants/{id}/query", roles(developer), s.query},
		{"POST", "/v1/grants/{id}/jobs", roles(developer), s.submitJob},
		{"POST", "/v1/blobs", roles(developer), s.putBlob},
		{"POST", "/v1/plugins", roles(developer), s.putPlugin},
		{"GET", "/v1/jobs/{id}", roles(developer, auditor), s.getJob},
		{"GET", "/v1/jobs/{id}/result", roles(developer), s.jobResult},
		{"GET", "/v1/audit/key", public, s.auditKey},
		{"GET", "/v1/audit/checkpoint", public, s.auditCheckpoint},
		{"GET", "/v1/audit/entries", roles(auditor), s.auditEntries},
		{"GET", "/v1/audit/proof", roles(auditor), s.auditProof},
		{"GET", "/v1/audit/log/{path...}", roles(auditor), s.auditLogFile},
		{"POST", "/v1/audit/replay/{job}", roles(auditor), s.auditReplay},
		{"GET", "/v1/disclosure", public, s.disclosure},
		{"GET", "/v1/reports/{kind}", roles(auditor, admin, implementer, operator), s.report}, // Art. 28: the operating agency files the quarterly report
	}
}

// dispatch picks the route of a method, authenticates and checks roles.
func (s *Server) dispatch(rs []route) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w := &statusWriter{ResponseWriter: rw}
		var actor catalog.Principal
		defer func() {
			s.log.Info("request", "method", r.Method, "path", clipPath(r.URL.Path), "status", w.status,
				"principal", actor.ID, "duration_ms", time.Since(start).Milliseconds())
		}()
		i := slices.IndexFunc(rs, func(rt route) bool { return rt.method == r.Method })
		if i < 0 {
			var allow []string
			for _, rt := range rs {
				allow = append(allow, rt.method)
			}
			sort.Strings(allow)
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.write(w, r, http.StatusMethodNotAllowed, errorBody(fault.E(fault.InvalidInput, "method %s is not allowed here; use %s", r.Method, strings.Join(allow, " or "))))
			return
		}
		rt := rs[i]
		if !rt.access.public {
			bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="inviso"`)
				s.fail(w, r, fault.E(fault.Unauthenticated, "a bearer token is required (Authorization: Bearer <token>)"))
				return
			}
			p, err := s.sb.Authenticate(r.Context(), bearer)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="inviso", error="invalid_token"`)
				s.fail(w, r, err)
				return
			}
			actor = p
			if len(rt.access.roles) > 0 && !slices.ContainsFunc(rt.access.roles, actor.Has) {
				s.fail(w, r, fault.E(fault.Forbidden, "%s %s needs one of the roles %s", rt.method, rt.pattern, joinRoles(rt.access.roles)))
				return
			}
		}
		if err := rt.handle(w, r, actor); err != nil {
			s.fail(w, r, err)
		}
	})
}

// statusWriter remembers the status code for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func joinRoles(rs []catalog.Role) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// errorJSON is the error envelope of the contract.
type errorJSON struct {
	Error struct {
		Code    fault.Code     `json:"code"`
		Message string         `json:"message"`
		Reasons []fault.Reason `json:"reasons"`
	} `json:"error"`
}

func errorBody(e *fault.Error) errorJSON {
	var b errorJSON
	b.Error.Code, b.Error.Message, b.Error.Reasons = e.Code, e.Message, e.Reasons
	if b.Error.Reasons == nil {
		b.Error.Reasons = []fault.Reason{}
	}
	return b
}

// fail writes err as the contract's error envelope. Uncoded errors are logged (redacted) and
// shown only as "internal".
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	pub := fault.Public(err)
	if r.Context().Err() != nil {
		// The client went away (or its deadline passed): nothing failed on our side.
		s.log.Debug("request abandoned by the client", "method", r.Method, "path", r.URL.Path)
		return
	}
	if pub.Code == fault.Internal {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", fault.Redact(err))
	} else {
		s.log.Info("request refused", "method", r.Method, "path", r.URL.Path, "code", pub.Code)
	}
	s.write(w, r, pub.Code.Status(), errorBody(pub))
}

func (s *Server) write(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		s.log.Debug("write response", "path", r.URL.Path, "error", err)
	}
}

// decode reads a JSON body strictly: bounded size, valid UTF-8, one object, no unknown fields.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opt.MaxJSONBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fault.E(fault.TooLarge, "the request body is larger than %d bytes", s.opt.MaxJSONBytes)
		}
		return fault.Wrap(err, fault.InvalidInput, "the request body could not be read")
	}
	if !utf8.Valid(body) {
		return fault.E(fault.InvalidInput, "the request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fault.Wrap(err, fault.InvalidInput, "the request body is not the expected JSON: %s", jsonProblem(err))
	}
	if dec.More() {
		return fault.E(fault.InvalidInput, "the request body holds more than one JSON value")
	}
	return nil
}

// jsonProblem describes a decoding error without quoting the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "syntax error at byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.As(err, &typ):
		return "field " + typ.Field + " must be " + typ.Type.String()
	case errors.Is(err, io.EOF):
		return "the body is empty"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + clipPath(strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return "malformed JSON"
}

func clipPath(p string) string {
	if !utf8.ValidString(p) {
		return "<invalid UTF-8>"
	}
	if len(p) > 100 {
		return p[:100] + "…"
	}
	return p
}
