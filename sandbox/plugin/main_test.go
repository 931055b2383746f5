package plugin

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// testPlugins are the test plugins under testdata, built once per test process.
var testPlugins = []string{
	"identity",
	"hostile/network", "hostile/files", "hostile/forkbomb", "hostile/oom", "hostile/spin",
	"hostile/flood", "hostile/crash", "hostile/forge", "hostile/single", "hostile/badoutput",
	"../../examples/plugins/riskscore",
}

var (
	binDir   string            // the built test plugins
	env      *testEnv          // a store and runner shared by the tests
	envErr   error             // why env could not be set up
	envOnce  sync.Once         //
	logBuf   = &syncBuffer{}   // the shared runner's log
	digests  map[string]string // test plugin name → digest in env.store
	buildErr error
)

type testEnv struct {
	store  *Store
	runner *Runner
	dir    string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "inviso-plugin-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = filepath.Join(dir, "bin")
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// build builds the test plugins (static, stripped) into binDir, all in one go command.
func build() error {
	if pre := os.Getenv("INVISO_PLUGIN_TEST_BINS"); pre != "" {
		binDir = pre // prebuilt, for quick iterations
		return nil
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	// Read the plugins' sources here, so that go test's result cache notices their changes
	// (it tracks the files a test opens, not what a go build it runs reads).
	for _, dir := range []string{"testdata", "sdk", "contract", "../../examples/plugins"} {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
				_, _ = os.ReadFile(p)
			}
			return nil
		})
	}
	args := []string{"build", "-ldflags=-s -w", "-o", binDir + "/"}
	for _, p := range testPlugins {
		if !strings.HasPrefix(p, "..") {
			p = "./testdata/" + p
		}
		args = append(args, p)
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

func binPath(name string) string { return filepath.Join(binDir, filepath.Base(name)) }

// setup returns the shared environment: test plugins built and stored, a Runner.
func setup(t testing.TB) *testEnv {
	t.Helper()
	envOnce.Do(func() {
		if buildErr = build(); buildErr != nil {
			return
		}
		dir := filepath.Join(filepath.Dir(binDir), "env")
		st, err := OpenStore(filepath.Join(dir, "store"))
		if err != nil {
			envErr = err
			return
		}
		logger := slog.New(slog.NewTextHandler(logBuf, nil))
		r, err := NewRunner(st, filepath.Join(dir, "work"), WithUIDs(2_100_000_000, 8), WithLogger(logger))
		if err != nil {
			envErr = err
			return
		}
		digests = map[string]string{}
		for _, p := range testPlugins {
			f, err := os.Open(binPath(p))
			if err != nil {
				envErr = err
				return
			}
			d, err := st.Put(f, 256<<20)
			f.Close()
			if err != nil {
				envErr = fmt.Errorf("put %s: %w", p, err)
				return
			}
			digests[p] = d
		}
		env = &testEnv{store: st, runner: r, dir: dir}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	if envErr != nil {
		t.Fatal(envErr)
	}
	return env
}

// needIsolation skips tests of isolation on hosts that cannot isolate plugins.
func needIsolation(t testing.TB, e *testEnv) {
	t.Helper()
	if runtime.GOOS != "linux" || !e.runner.Isolation().Available {
		t.Skipf("plugin isolation unavailable: %s", e.runner.Isolation().Reason)
	}
}

var peopleSchema = arrow.NewSchema([]arrow.Field{
	{Name: "person", Type: arrow.PrimitiveTypes.Int64},
	{Name: "birth_year", Type: arrow.PrimitiveTypes.Int64},
	{Name: "income", Type: arrow.PrimitiveTypes.Float64},
	{Name: "district", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// people returns n rows in batches of at most per rows.
func people(mem memory.Allocator, n, per int) array.RecordReader {
	var recs []arrow.RecordBatch
	b := array.NewRecordBuilder(mem, peopleSchema)
	defer b.Release()
	for i := 0; i < n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(1000 + i))
		b.Field(1).(*array.Int64Builder).Append(int64(1940 + i%60))
		b.Field(2).(*array.Float64Builder).Append(float64(i%1000) * 100)
		if i%7 == 3 {
			b.Field(3).(*array.StringBuilder).AppendNull()
		} else {
			b.Field(3).(*array.StringBuilder).Append([]string{"north", "south", "east", "wëst"}[i%4])
		}
		if (i+1)%per == 0 || i == n-1 {
			recs = append(recs, b.NewRecordBatch())
		}
	}
	rr, err := array.NewRecordReader(peopleSchema, recs)
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		r.Release()
	}
	return rr
}

// strings1 returns a reader of one utf8 column with the given values.
func strings1(name string, values ...string) array.RecordReader {
	s := arrow.NewSchema([]arrow.Field{{Name: name, Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	for _, v := range values {
		b.Field(0).(*array.StringBuilder).Append(v)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, _ := array.NewRecordReader(s, []arrow.RecordBatch{rec})
	return rr
}

// run runs the named test plugin (approved) over input.
func run(t testing.TB, e *testEnv, name string, input array.RecordReader, lim Limits) (*RunResult, error) {
	t.Helper()
	defer input.Release()
	d := digests[name]
	return e.runner.Run(context.Background(), RunSpec{Digest: d, Approved: []string{d}, Input: input, Limits: lim})
}

// stillServes checks that a good plugin still runs after whatever the test did.
func stillServes(t *testing.T, e *testEnv) {
	t.Helper()
	res, err := run(t, e, "identity", people(memory.DefaultAllocator, 1000, 300), Limits{})
	if err != nil {
		t.Fatalf("a good plugin no longer runs: %v (%s)", err, detail(res))
	}
	defer res.Release()
	if res.Stats.RowsOut != 1000 {
		t.Fatalf("good plugin: %d rows out, want 1000", res.Stats.RowsOut)
	}
}

// column returns column name of all batches as strings.
func column(res *RunResult, name string) []string {
	var out []string
	idx := res.Schema.FieldIndices(name)[0]
	for _, b := range res.Batches {
		c := b.Column(idx)
		for i := 0; i < c.Len(); i++ {
			out = append(out, c.ValueStr(i))
		}
	}
	return out
}

// noProcessOf reports the pids still running as uid.
func processesOf(uid uint32) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		if u, ok := procUID(pid); ok && u == uid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// mentions reports whether err's text contains any of the strings.
func mentions(err error, s ...string) bool {
	for _, x := range s {
		if strings.Contains(err.Error(), x) {
			return true
		}
	}
	return false
}

// detail is the operator's detail of a run, for test failure messages.
func detail(res *RunResult) string {
	if res == nil {
		return ""
	}
	return res.Stats.Detail
}
