package fault

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestPublicHidesCause(t *testing.T) {
	t.Parallel()
	cause := errors.New(`Conversion Error: Could not convert string "13800138000" to INT64`)
	err := fmt.Errorf("import citizens: %w", Wrap(cause, InvalidInput, "line %d: value does not convert", 3))
	p := Public(err)
	if p.Code != InvalidInput || p.Cause != nil || strings.Contains(p.Message, "13800138000") {
		t.Fatalf("public error leaks or lost its code: %+v", p)
	}
	if !errors.Is(err, cause) {
		t.Fatal("cause is not reachable for logs")
	}
	if !errors.Is(err, E(InvalidInput, "")) || errors.Is(err, E(NotFound, "")) {
		t.Fatal("errors.Is by code does not work")
	}
}

func TestUncodedIsInternal(t *testing.T) {
	t.Parallel()
	p := Public(errors.New(`secret value "张三"`))
	if p.Code != Internal || strings.Contains(p.Message, "张三") {
		t.Fatalf("uncoded error shown to client: %+v", p)
	}
	if CodeOf(errors.New("x")) != Internal || Internal.Status() != 500 {
		t.Fatal("uncoded errors must be internal 500")
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	want := map[Code]int{Unauthenticated: 401, Forbidden: 403, PolicyDenied: 403, NotFound: 404, Conflict: 409,
		InvalidInput: 422, SchemaDrift: 422, TooLarge: 413, BudgetExhausted: 429, AuditUnavailable: 503}
	for c, s := range want {
		if c.Status() != s {
			t.Errorf("%s: status %d, want %d", c, c.Status(), s)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("load: %w", errors.New(`Conversion Error: Could not convert string "13800138000" to INT64 in column 'phone'`))
	got := Redact(err)
	if strings.Contains(got, "13800138000") || strings.Contains(got, "phone") || !strings.Contains(got, "Conversion Error") {
		t.Fatalf("redacted: %s", got)
	}
	if Redact(nil) != "" {
		t.Fatal("nil")
	}
}
