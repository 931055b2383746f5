package plugin

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Each hostile plugin is a real binary (testdata/hostile). Every case checks that the attack
// is contained with a clear error, that nothing of the plugin's text reaches the error, that no
// process of the job is left, and that a good plugin still runs afterwards.

func TestHostileNetwork(t *testing.T) {
	t.Parallel()
	e := setup(t)
	needIsolation(t, e)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	targets := []string{"tcp:" + ln.Addr().String(), "tcp:1.1.1.1:443", "udp:8.8.8.8:53", "tcp:[::1]:22", "interfaces"}
	res, err := run(t, e, "hostile/network", strings1("target", targets...), Limits{})
	if err != nil {
		t.Fatalf("run: %v (%s)", err, detail(res))
	}
	defer res.Release()
	results := column(res, "result")
	for i, r := range results[:4] {
		if !strings.HasPrefix(r, "error:") {
			t.Errorf("%s: the plugin reached the network: %s", targets[i], r)
		}
	}
	if results[4] != "lo loopback" { // only a loopback, and it is down
		t.Errorf("interfaces seen by the plugin: %q", results[4])
	}
	time.Sleep(50 * time.Millisecond)
	if n := accepted.Load(); n != 0 {
		t.Errorf("the host's listener accepted %d connections from the plugin", n)
	}
	t.Logf("network attempts: %q", results)
	stillServes(t, e)
}

func TestHostileFiles(t *testing.T) {
	t.Parallel()
	e := setup(t)
	needIsolation(t, e)
	dataDir := t.TempDir()
	secret := filepath.Join(dataDir, "secret.duckdb")
	if err := os.WriteFile(secret, []byte("raw rows"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	ops := []string{"/etc/passwd", secret, "!ls " + dataDir, "/proc/self/environ", "/../../etc/hostname",
		"!ls /", "!write /evil", "!write /tmp/evil", "!sockdir", "!chroot", "!unshare", "!id", "!env", "!rlimits"}
	lim := Limits{AddressSpace: 3 << 30, CPUTime: 100 * time.Second, OpenFiles: 50, Processes: 70, FileSize: 4096}
	res, err := run(t, e, "hostile/files", strings1("path", ops...), lim)
	if err != nil {
		t.Fatalf("run: %v (%s)", err, detail(res))
	}
	defer res.Release()
	got := column(res, "result")
	for i := range 5 {
		if !strings.Contains(got[i], "no such file or directory") {
			t.Errorf("%s: %s", ops[i], got[i])
		}
	}
	if !strings.HasPrefix(got[5], "listed: ") || strings.Contains(got[5], "etc") {
		t.Errorf("root listing: %s", got[5])
	}
	for i := 6; i <= 10; i++ {
		if !strings.Contains(got[i], "permission denied") && !strings.Contains(got[i], "no such file") && !strings.Contains(got[i], "not permitted") {
			t.Errorf("%s: %s", ops[i], got[i])
		}
	}
	wantID := fmt.Sprintf("uid=%d gid=%d pid=1", res.Stats.UID, res.Stats.UID)
	if got[11] != wantID {
		t.Errorf("identity %q, want %q", got[11], wantID)
	}
	for _, name := range strings.Fields(got[12]) {
		if !strings.HasPrefix(name, "PLUGIN_") && name != "INVISO_PLUGIN" && name != "GOMAXPROCS" {
			t.Errorf("the plugin sees %s in its environment", name)
		}
	}
	// The limits hold from the plugin's first instruction (its first initializer saw them).
	if e.runner.Isolation().EarlyLimits {
		want := fmt.Sprintf("as=%d/%d cpu=100/101 nofile=50/50 nproc=70/70 fsize=4096/4096 core=0/0", 3<<30, 3<<30)
		if got[13] != want {
			t.Errorf("rlimits at start: %s, want %s", got[13], want)
		}
	}
	t.Logf("file attempts: %q", got)
	stillServes(t, e)
}

func TestHostileForkBomb(t *testing.T) {
	t.Parallel()
	e := setup(t)
	needIsolation(t, e)
	lim := Limits{Processes: 48, GoMaxProcs: 2}
	res, err := run(t, e, "hostile/forkbomb", people(memory.DefaultAllocator, 10, 10), lim)
	if err != nil {
		t.Fatalf("run: %v (%s)", err, detail(res))
	}
	defer res.Release()
	got := column(res, "result")
	if len(got) != 1 || !strings.Contains(got[0], "resource temporarily unavailable") {
		t.Fatalf("fork bomb result: %q", got)
	}
	if left := processesOf(res.Stats.UID); len(left) > 0 {
		t.Fatalf("processes of the job left: %v", left)
	}
	t.Logf("fork bomb: %s; stragglers %d", got[0], res.Stats.Stragglers)
	stillServes(t, e)
}

func TestHostileMemory(t *testing.T) {
	t.Parallel()
	e := setup(t)
	res, err := run(t, e, "hostile/oom", people(memory.DefaultAllocator, 10, 10), Limits{AddressSpace: 1536 << 20})
	if !errors.Is(err, ErrLimit) || !mentions(err, "memory") {
		t.Fatalf("got %v, want ErrLimit (memory)", err)
	}
	if !strings.Contains(string(res.Stats.Stderr), "out of memory") {
		t.Errorf("stderr: %.300s", res.Stats.Stderr)
	}
	stillServes(t, e)
}

func TestHostileLoopDeadline(t *testing.T) {
	t.Parallel()
	e := setup(t)
	start := time.Now()
	res, err := run(t, e, "hostile/spin", people(memory.DefaultAllocator, 10, 10), Limits{WallClock: 2 * time.Second})
	if !errors.Is(err, ErrLimit) || !mentions(err, "wall-clock") {
		t.Fatalf("got %v, want ErrLimit (wall clock)", err)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("deadline of 2s enforced after %s", d)
	}
	if err := syscall.Kill(-res.Stats.PID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d still exists: %v", res.Stats.PID, err)
	}
	if e.runner.Isolation().Available {
		if left := processesOf(res.Stats.UID); len(left) > 0 {
			t.Errorf("processes of the job left: %v", left)
		}
	}
	stillServes(t, e)
}

func TestHostileLoopCPU(t *testing.T) {
	t.Parallel()
	e := setup(t)
	res, err := run(t, e, "hostile/spin", people(memory.DefaultAllocator, 10, 10), Limits{CPUTime: time.Second, WallClock: 30 * time.Second})
	if !errors.Is(err, ErrLimit) || !mentions(err, "CPU") {
		t.Fatalf("got %v, want ErrLimit (CPU); signal %q cpu %s", err, res.Stats.Signal, res.Stats.CPUTime)
	}
	stillServes(t, e)
}

func TestHostileFlood(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for name, lim := range map[string]Limits{
		"rows":  {OutputRows: 50_000},
		"bytes": {OutputBytes: 8 << 20},
	} {
		res, err := run(t, e, "hostile/flood", people(memory.DefaultAllocator, 10, 10), lim)
		if !errors.Is(err, ErrLimit) || !mentions(err, "output") {
			t.Fatalf("%s: got %v, want ErrLimit (output)", name, err)
		}
		if len(res.Batches) != 0 {
			t.Fatalf("%s: a failed job returned batches", name)
		}
	}
	stillServes(t, e)
}

func TestHostileCrash(t *testing.T) {
	t.Parallel()
	e := setup(t)
	res, err := run(t, e, "hostile/crash", people(memory.DefaultAllocator, 10, 10), Limits{})
	if !errors.Is(err, ErrPluginFailed) {
		t.Fatalf("got %v, want ErrPluginFailed", err)
	}
	if mentions(err, "on purpose") {
		t.Errorf("the plugin's text reached the error: %v", err)
	}
	if !strings.Contains(string(res.Stats.Stderr), "on purpose") {
		t.Errorf("the operator does not see the panic: %.300s", res.Stats.Stderr)
	}
	stillServes(t, e)
}

func TestHostileForgedHandles(t *testing.T) {
	t.Parallel()
	e := setup(t)
	_, err := run(t, e, "hostile/forge", people(memory.DefaultAllocator, 10, 10), Limits{})
	if !errors.Is(err, ErrBadOutput) || !mentions(err, "handle") {
		t.Fatalf("got %v, want ErrBadOutput (handle)", err)
	}
	stillServes(t, e)
}

// Output rows all for one person are allowed here (the release query's threshold handles
// them), but they must all map to that one input row.
func TestHostileSinglePerson(t *testing.T) {
	t.Parallel()
	e := setup(t)
	res, err := run(t, e, "hostile/single", people(memory.DefaultAllocator, 500, 200), Limits{})
	if err != nil {
		t.Fatalf("run: %v (%s)", err, detail(res))
	}
	defer res.Release()
	if res.Stats.RowsOut != 500 || res.Stats.DistinctRowsOut != 1 {
		t.Fatalf("rows out %d, distinct %d", res.Stats.RowsOut, res.Stats.DistinctRowsOut)
	}
	for _, b := range res.Batches {
		pos := b.Column(0).(*array.Int64)
		for i := 0; i < pos.Len(); i++ {
			if pos.Value(i) != 0 {
				t.Fatalf("an output row maps to input row %d, not 0", pos.Value(i))
			}
		}
	}
	stillServes(t, e)
}

func TestHostileBadOutput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, mode := range []string{"reserved_name", "list_type", "invalid_utf8", "null_handle", "garbage"} {
		t.Run(mode, func(t *testing.T) {
			res, err := run(t, e, "hostile/badoutput", strings1("mode", mode), Limits{})
			if !errors.Is(err, ErrBadOutput) {
				t.Fatalf("got %v (%s), want ErrBadOutput", err, detail(res))
			}
			if mentions(err, "ssn", "secret", "values") {
				t.Errorf("the plugin's text reached the error: %v", err)
			}
		})
	}
	stillServes(t, e)
}
