package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inviso/inviso/sandbox"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

// env is a real sandbox behind a real HTTP server, with one principal per role.
type env struct {
	t      *testing.T
	sb     *sandbox.Sandbox
	srv    *httptest.Server
	admin  string
	tokens map[catalog.Role]string
	dir    string
}

func newEnv(t *testing.T, opt Options) *env {
	t.Helper()
	dir := t.TempDir()
	sb, err := sandbox.Open(context.Background(), sandbox.Options{DataDir: dir, DuckDB: duck.Config{Threads: 1, MemoryLimit: "512MB"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	srv := httptest.NewServer(New(sb, opt))
	t.Cleanup(srv.Close)
	tok, err := os.ReadFile(sb.AdminTokenPath)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, sb: sb, srv: srv, admin: strings.TrimSpace(string(tok)), tokens: map[catalog.Role]string{}, dir: dir}
	e.mustJSON("POST", "/v1/agencies", e.admin, `{"id":"civil-affairs","name":"肇庆市民政局","kind":"source"}`, 201)
	e.mustJSON("POST", "/v1/agencies", e.admin, `{"id":"hrss","name":"人社局","kind":"source"}`, 201)
	e.mustJSON("POST", "/v1/agencies", e.admin, `{"id":"devco","name":"开发机构","kind":"development"}`, 201)
	for _, r := range catalog.Roles {
		agency := "devco"
		if r == catalog.RoleSource {
			agency = "civil-affairs"
		}
		body := e.mustJSON("POST", "/v1/principals", e.admin, `{"id":"p-`+string(r)+`","agency":"`+agency+`","roles":["`+string(r)+`"]}`, 201)
		e.tokens[r] = body["token"].(string)
	}
	e.mustJSON("POST", "/v1/datasets", e.tokens[catalog.RoleSource],
		`{"name":"citizens","description":"户籍人口","classification":"L3","flags":[],"privacy_unit":"person_id","update_frequency":"monthly"}`, 201)
	return e
}

func (e *env) do(method, path, token, contentType string, body io.Reader) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// call returns status and decoded JSON body.
func (e *env) call(method, path, token, body string) (int, map[string]any) {
	e.t.Helper()
	resp := e.do(method, path, token, "application/json", strings.NewReader(body))
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		// Some routes answer in their own formats (signed notes, log tiles); errors are JSON.
		if resp.StatusCode < 300 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			return resp.StatusCode, map[string]any{"raw": string(raw)}
		}
		e.t.Fatalf("%s %s: response is not JSON: %q", method, path, raw)
	}
	return resp.StatusCode, out
}

func (e *env) mustJSON(method, path, token, body string, want int) map[string]any {
	e.t.Helper()
	status, out := e.call(method, path, token, body)
	if status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %v", method, path, status, want, out)
	}
	return out
}

func errCode(body map[string]any) fault.Code {
	if e, ok := body["error"].(map[string]any); ok {
		c, _ := e["code"].(string)
		return fault.Code(c)
	}
	return ""
}

// TestEveryRouteChecksRoles walks the route table with every role, no token and a bad token.
func TestEveryRouteChecksRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	s := New(e.sb, Options{})
	for _, rt := range s.routes {
		path := strings.ReplaceAll(rt.pattern, "{name}", "citizens")
		name := rt.method + " " + rt.pattern
		t.Run(name+"/no token", func(t *testing.T) {
			status, body := e.call(rt.method, path, "", "{}")
			if rt.access.public {
				if status == 401 || status == 403 {
					t.Fatalf("public route refused: %d %v", status, body)
				}
				return
			}
			if status != 401 || errCode(body) != fault.Unauthenticated {
				t.Fatalf("status %d %v, want 401 unauthenticated", status, body)
			}
		})
		t.Run(name+"/forged token", func(t *testing.T) {
			if rt.access.public {
				return // public by contract: any token or none is fine
			}
			forged := e.tokens[catalog.RoleAdmin][:len(e.tokens[catalog.RoleAdmin])-4] + "AAAA"
			status, body := e.call(rt.method, path, forged, "{}")
			if status != 401 || errCode(body) != fault.Unauthenticated {
				t.Fatalf("status %d %v, want 401", status, body)
			}
		})
		for _, role := range catalog.Roles {
			t.Run(name+"/"+string(role), func(t *testing.T) {
				status, body := e.call(rt.method, path, e.tokens[role], "{}")
				allowed := rt.access.public || len(rt.access.roles) == 0 || slices.Contains(rt.access.roles, role)
				if allowed && (status == 401 || status == 403) {
					t.Fatalf("role %s refused: %d %v", role, status, body)
				}
				if !allowed && (status != 403 || errCode(body) != fault.Forbidden) {
					t.Fatalf("role %s got %d %v, want 403 forbidden", role, status, body)
				}
			})
		}
	}
}

func TestAuthenticationFailuresLookAlike(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	good := e.tokens[catalog.RoleDeveloper]
	cases := map[string]string{
		"garbage":      "hello",
		"wrong secret": good[:len(good)-8] + "AAAAAAAA",
		"unknown":      "inv_0000000000000000_" + strings.Repeat("A", 43),
	}
	var first string
	for name, tok := range cases {
		status, body := e.call("GET", "/v1/whoami", tok, "")
		if status != 401 {
			t.Fatalf("%s: status %d", name, status)
		}
		msg := body["error"].(map[string]any)["message"].(string)
		if first == "" {
			first = msg
		} else if msg != first {
			t.Fatalf("%s: message %q differs from %q: failures must not say which part was wrong", name, msg, first)
		}
	}
	resp := e.do("GET", "/v1/whoami", "", "", nil)
	resp.Body.Close()
	if resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
	status, body := e.call("GET", "/v1/whoami", good, "")
	if status != 200 || body["id"] != "p-developer" {
		t.Fatalf("whoami: %d %v", status, body)
	}
	if _, ok := body["token"]; ok {
		t.Fatal("whoami shows a token")
	}
}

func TestBadRequestsGetClearErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{MaxJSONBytes: 4096})
	cases := map[string]struct {
		method, path, body string
		status             int
		code               fault.Code
	}{
		"unknown route":   {"GET", "/v1/nothing", "", 404, fault.NotFound},
		"wrong method":    {"DELETE", "/v1/agencies", "", 405, fault.InvalidInput},
		"invalid utf8":    {"POST", "/v1/agencies", "{\"id\":\"x\",\"name\":\"\xff\xfe\",\"kind\":\"source\"}", 422, fault.InvalidInput},
		"unknown field":   {"POST", "/v1/agencies", `{"id":"x","name":"X","kind":"source","evil":1}`, 422, fault.InvalidInput},
		"two values":      {"POST", "/v1/agencies", `{"id":"x","name":"X","kind":"source"}{}`, 422, fault.InvalidInput},
		"syntax":          {"POST", "/v1/agencies", `{"id":`, 422, fault.InvalidInput},
		"wrong type":      {"POST", "/v1/agencies", `{"id":5,"name":"X","kind":"source"}`, 422, fault.InvalidInput},
		"empty":           {"POST", "/v1/agencies", ``, 422, fault.InvalidInput},
		"too large":       {"POST", "/v1/agencies", `{"id":"x","name":"` + strings.Repeat("a", 5000) + `","kind":"source"}`, 413, fault.TooLarge},
		"bad kind":        {"POST", "/v1/agencies", `{"id":"x","name":"X","kind":"bank"}`, 422, fault.InvalidInput},
		"duplicate":       {"POST", "/v1/agencies", `{"id":"devco","name":"X","kind":"development"}`, 409, fault.Conflict},
		"unknown dataset": {"GET", "/v1/datasets/nope", "", 404, fault.NotFound},
		"bad format":      {"PUT", "/v1/datasets/citizens/data?format=xlsx", "a", 422, fault.InvalidInput},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			token := e.admin
			if strings.HasPrefix(tc.path, "/v1/datasets/citizens/data") {
				token = e.tokens[catalog.RoleSource]
			}
			status, body := e.call(tc.method, tc.path, token, tc.body)
			if status != tc.status || errCode(body) != tc.code {
				t.Fatalf("status %d code %q, want %d %q: %v", status, errCode(body), tc.status, tc.code, body)
			}
			if msg, _ := body["error"].(map[string]any)["message"].(string); msg == "" {
				t.Fatal("no message")
			}
		})
	}
	// Nothing was created by any of the refused requests.
	_, body := e.call("GET", "/v1/agencies", e.admin, "")
	if n := len(body["agencies"].([]any)); n != 4 { // platform + three from newEnv
		t.Fatalf("%d agencies after refused requests, want 4", n)
	}
}

func TestImportOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{MaxUploadBytes: 1 << 16})
	src := e.tokens[catalog.RoleSource]
	csv := "person_id,district,income\nZQ1,端州区,100\nZQ2,鼎湖区,\n"
	resp := e.do("PUT", "/v1/datasets/citizens/data?format=csv", src, "text/csv", strings.NewReader(csv))
	var v catalog.Version
	json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if resp.StatusCode != 201 || v.Number != 1 || v.Rows != 2 || !strings.HasPrefix(v.Digest, "sha256:") {
		t.Fatalf("import: %d %+v", resp.StatusCode, v)
	}
	raw, _ := json.Marshal(v)
	if bytes.Contains(raw, []byte("file")) || bytes.Contains(raw, []byte(e.dir)) {
		t.Fatalf("version leaks its file path: %s", raw)
	}

	// Another agency's source principal may not import into citizens.
	body := e.mustJSON("POST", "/v1/principals", e.admin, `{"id":"hr","agency":"hrss","roles":["source"]}`, 201)
	status, out := e.call("PUT", "/v1/datasets/citizens/data?format=csv", body["token"].(string), csv)
	if status != 403 || errCode(out) != fault.Forbidden {
		t.Fatalf("other agency: %d %v", status, out)
	}
	// Too large: refused, nothing left behind.
	big := "person_id,district,income\n" + strings.Repeat("ZQ9,端州区,1\n", 10000)
	status, out = e.call("PUT", "/v1/datasets/citizens/data?format=csv", src, big)
	if status != 413 || errCode(out) != fault.TooLarge {
		t.Fatalf("too large: %d %v", status, out)
	}
	staging, _ := os.ReadDir(filepath.Join(e.dir, "staging"))
	if len(staging) != 0 {
		t.Fatalf("staging holds %d entries after a refused upload", len(staging))
	}
	d := e.mustJSON("GET", "/v1/datasets/citizens", e.tokens[catalog.RoleDeveloper], "", 200)
	if n := len(d["versions"].([]any)); n != 1 {
		t.Fatalf("%d versions after refused imports, want 1", n)
	}
}
