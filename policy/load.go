package policy

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"
)

// The default bundle: Rego modules, their tests and the allow-lists (data.json), laid out as an
// OPA bundle (a data.json in bundle/a/b is data.a.b).
//
//go:embed bundle
var bundleFS embed.FS

const (
	bundleRoot = "bundle"

	// extraPrefix is the only namespace operator modules may declare: package inviso.extra.<name>.
	extraPrefix = "data.inviso.extra"
	// defaultPackage is where the default bundle's rules live.
	defaultPackage = "data.inviso.jobs"

	// maxModuleSize bounds an operator module; a larger file is refused at load.
	maxModuleSize = 1 << 20
)

// refusedBuiltins are built-ins no module may call. A decision must be a pure function of the
// input and the modules, so the job log can replay it, and the policy must not reach the network.
var refusedBuiltins = map[string]bool{
	"http.send":              true,
	"net.lookup_ip_addr":     true,
	"opa.runtime":            true,
	"time.now_ns":            true,
	"rand.intn":              true,
	"uuid.rfc4122":           true,
	"providers.aws.sign_req": true,
	"trace":                  true,
}

// capabilities are OPA's built-ins minus refusedBuiltins, and no network host.
func capabilities() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	kept := make([]*ast.Builtin, 0, len(c.Builtins))
	for _, b := range c.Builtins {
		if !refusedBuiltins[b.Name] {
			kept = append(kept, b)
		}
	}
	c.Builtins = kept
	c.AllowNet = []string{}
	return c
}

// source is a loaded policy: parsed modules, the data document and the bytes they came from.
type source struct {
	modules map[string]*ast.Module
	data    map[string]any
	files   map[string][]byte // every file read, by name, for the digest
}

func newSource() *source {
	return &source{modules: map[string]*ast.Module{}, data: map[string]any{}, files: map[string][]byte{}}
}

// digest is a SHA-256 over every file's name and bytes, in name order.
func (s *source) digest() string {
	names := make([]string, 0, len(s.files))
	for n := range s.files {
		names = append(names, n)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%d:%s\n%d:", len(n), n, len(s.files[n]))
		h.Write(s.files[n])
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func isTest(name string) bool { return strings.HasSuffix(name, "_test.rego") }

func parseModule(name string, src []byte) (*ast.Module, error) {
	m, err := ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLoad, err)
	}
	return m, nil
}

// loadDefault reads the embedded bundle; tests only when asked.
func loadDefault(withTests bool) (*source, error) {
	s := newSource()
	err := fs.WalkDir(bundleFS, bundleRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		isRego := strings.HasSuffix(p, ".rego")
		if (isRego && isTest(p) && !withTests) || (!isRego && path.Base(p) != "data.json") {
			return nil
		}
		b, err := bundleFS.ReadFile(p)
		if err != nil {
			return err
		}
		s.files[p] = b
		if !isRego {
			return s.addData(p, b)
		}
		m, err := parseModule(p, b)
		if err != nil {
			return err
		}
		s.modules[p] = m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("default policy bundle: %w", err)
	}
	return s, nil
}

// addData mounts a data.json at the data path of its directory.
func (s *source) addData(p string, b []byte) error {
	var doc map[string]any
	if err := util.UnmarshalJSON(b, &doc); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrLoad, p, err)
	}
	dir := strings.TrimPrefix(path.Dir(p), bundleRoot)
	node := s.data
	for _, key := range strings.Split(strings.Trim(dir, "/"), "/") {
		if key == "" {
			continue
		}
		next, ok := node[key].(map[string]any)
		if !ok {
			next = map[string]any{}
			node[key] = next
		}
		node = next
	}
	for k, v := range doc {
		if _, dup := node[k]; dup {
			return fmt.Errorf("%w: %s: %q is defined twice", ErrLoad, p, k)
		}
		node[k] = v
	}
	return nil
}

// loadExtra adds the operator's modules: every *.rego file directly in dir, tests only when asked.
// Each must declare package inviso.extra.<name>, and may define `deny` only as a set of reasons
// ("deny contains … if …"). Anything else is refused here, before the server starts.
func (s *source) loadExtra(dir string, withTests bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%w: policy directory: %v", ErrLoad, err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".rego") || (isTest(name) && !withTests) {
			continue
		}
		p := filepath.Join(dir, name)
		info, err := os.Stat(p) // follows symlinks
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrLoad, p, err)
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%w: %s: not a regular file", ErrLoad, p)
		}
		if info.Size() > maxModuleSize {
			return fmt.Errorf("%w: %s: larger than %d bytes", ErrLoad, p, maxModuleSize)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrLoad, p, err)
		}
		m, err := parseModule(p, b)
		if err != nil {
			return err
		}
		if err := checkExtra(p, m); err != nil {
			return err
		}
		key := "extra/" + name
		s.files[key] = b
		s.modules[key] = m
	}
	return nil
}

// checkExtra enforces the namespace and the shape of `deny` in an operator module.
func checkExtra(p string, m *ast.Module) error {
	pkg := m.Package.Path
	prefix := ast.MustParseRef(extraPrefix)
	if len(pkg) != len(prefix)+1 || !pkg.HasPrefix(prefix) {
		return fmt.Errorf("%w: %s: %s is not allowed: operator modules must declare package inviso.extra.<name>; they can add denials, not change the default policy", ErrLoad, p, m.Package)
	}
	var errs []error
	for _, r := range m.Rules {
		ref := r.Head.Ref()
		if !ref[0].Equal(ast.VarTerm("deny")) {
			continue
		}
		if len(ref) != 1 || r.Head.DocKind() != ast.PartialSetDoc || len(r.Head.Args) > 0 || r.Default {
			errs = append(errs, fmt.Errorf("%w: %s:%d: deny must be a set of reasons: deny contains {\"code\": …, \"message\": …} if { … }", ErrLoad, p, r.Location.Row))
		}
	}
	return errors.Join(errs...)
}

// compile checks and compiles all modules together; any error names the file and line.
func (s *source) compile() (*ast.Compiler, error) {
	c := ast.NewCompiler().
		WithCapabilities(capabilities()).
		WithEnablePrintStatements(false).
		WithDefaultRegoVersion(ast.RegoV1)
	if c.Compile(s.modules); c.Failed() {
		return nil, fmt.Errorf("%w: %v", ErrLoad, c.Errors)
	}
	return c, nil
}

// names of the modules, sorted.
func (s *source) names() []string {
	out := make([]string, 0, len(s.modules))
	for n := range s.modules {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
