package fault

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a stable, machine-readable error code of the API contract.
type Code string

// Codes of the API contract (../shared/API.md) and the ones inviso adds.
const (
	Unauthenticated  Code = "unauthenticated"   // 401
	Forbidden        Code = "forbidden"         // 403: the caller's role may not do this
	PolicyDenied     Code = "policy_denied"     // 403: a job was refused
	NotFound         Code = "not_found"         // 404
	Conflict         Code = "conflict"          // 409: illegal state change or duplicate
	InvalidInput     Code = "invalid_input"     // 400/422
	SchemaDrift      Code = "schema_drift"      // 422: a new version's columns differ from the last
	TooLarge         Code = "too_large"         // 413
	BudgetExhausted  Code = "budget_exhausted"  // 429
	AuditUnavailable Code = "audit_unavailable" // 503: nothing was released
	Unavailable      Code = "unavailable"       // 503: shutting down or overloaded
	Internal         Code = "internal"          // 500: a bug; details only in the server log
)

// Status is the HTTP status of a code.
func (c Code) Status() int {
	switch c {
	case Unauthenticated:
		return http.StatusUnauthorized
	case Forbidden, PolicyDenied:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case InvalidInput, SchemaDrift:
		return http.StatusUnprocessableEntity
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case BudgetExhausted:
		return http.StatusTooManyRequests
	case AuditUnavailable, Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Reason is one reason for a refusal.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is an error with a stable code. Message and Reasons are shown to clients; Cause is not.
type Error struct {
	Code    Code
	Message string
	Reasons []Reason
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the internal cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Cause }

// Is matches another *Error by code, so errors.Is(err, fault.E(fault.NotFound, "")) works.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// E builds an error with a code and a message formatted for people.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches an internal cause (logged, never shown) to a coded error.
func Wrap(cause error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Cause: cause}
}

// With returns a copy of e with reasons appended.
func (e *Error) With(reasons ...Reason) *Error {
	c := *e
	c.Reasons = append(append([]Reason(nil), e.Reasons...), reasons...)
	return &c
}

// CodeOf is the code of err: the outermost *Error's, or Internal for anything uncoded.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Public is what a client may see of err. Uncoded errors become a generic internal error: their
// text may carry engine messages, paths or values, so it is never shown.
func Public(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return &Error{Code: e.Code, Message: e.Message, Reasons: e.Reasons}
	}
	return &Error{Code: Internal, Message: "internal error; the operator can find details in the server log"}
}
