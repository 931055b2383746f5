package sandbox

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
)

const (
	crashDirEnv   = "INVISO_SANDBOX_CRASH_DIR"
	crashGrantEnv = "INVISO_SANDBOX_CRASH_GRANT"
)

// TestMain lets the kill -9 test re-run this binary as a sandbox serving a burst of jobs.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		os.Exit(crashChild(dir, os.Getenv(crashGrantEnv)))
	}
	os.Exit(m.Run())
}

// crashChild runs jobs from 8 goroutines until it is killed, printing "released <job>" for
// each result it was handed: exactly what a client would have received.
func crashChild(dir, grant string) int {
	ctx := context.Background()
	sb, err := Open(ctx, Options{DataDir: dir, DuckDB: duck.Config{Threads: 1, MemoryLimit: "1GB"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	dev := catalog.Principal{ID: "dev", Agency: "devco", Roles: []catalog.Role{catalog.RoleDeveloper}}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				q := logQuery
				if (w+i)%4 == 0 {
					q = "SELECT person_id FROM citizens" // refused: refusals are logged too
				}
				res, err := sb.Query(ctx, dev, grant, q, false)
				if err != nil {
					continue
				}
				res.Release()
				mu.Lock()
				fmt.Fprintf(out, "released %s\n", res.Job)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return 0
}

// TestKillDuringJobBurst kills a sandbox with SIGKILL in the middle of a burst of concurrent
// jobs. After restart the log verifies, and every job whose result was released is in it, in
// the index, and counted against the budget.
func TestKillDuringJobBurst(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := newWorld(t, func(o *Options) { o.DataDir = dir })
	g := w.grant(t, w.dev, "crash", false)
	if err := w.sb.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashGrantEnv+"="+g.ID)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	released := map[string]bool{}
	lines := bufio.NewScanner(stdout)
	deadline := time.Now().Add(60 * time.Second)
	for len(released) < 40 && lines.Scan() {
		if id, ok := strings.CutPrefix(lines.Text(), "released "); ok {
			released[id] = true
		}
		if time.Now().After(deadline) {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() { // whatever the child printed before it died was released too
		if id, ok := strings.CutPrefix(lines.Text(), "released "); ok {
			released[id] = true
		}
	}
	cmd.Wait()
	if len(released) < 40 {
		t.Fatalf("only %d jobs released before the deadline", len(released))
	}

	sb, err := Open(ctx, Options{DataDir: dir, DuckDB: duck.Config{Threads: 2, MemoryLimit: "1GB"}, Clock: w.clk.Now})
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer sb.Close()
	size, err := sb.journal.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sb.journal.WaitCheckpoint(ctx, size); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, sb.journal.Reader(), sb.journal.Keys().Verifier, nil)
	if err != nil {
		t.Fatalf("the log does not verify after kill -9: %v", err)
	}
	recs, err := sb.journal.Read(ctx, 0, rep.Size, rep.Size)
	if err != nil {
		t.Fatal(err)
	}
	spent, logged := 0, map[string]bool{}
	for _, r := range recs {
		in, err := indexedOf(r)
		if err != nil {
			t.Fatal(err)
		}
		if in.Job != nil {
			logged[in.Job.ID] = in.Job.State == catalog.JobReleased
			if in.Job.Spent() && in.Job.Grant == g.ID {
				spent++
			}
		}
	}
	for id := range released {
		if !logged[id] {
			t.Errorf("job %s was released but is not in the log as released", id)
		}
		if j, err := sb.catalog.Job(ctx, id); err != nil || j.State != catalog.JobReleased {
			t.Errorf("job %s is not in the index after restart: %v", id, err)
		}
	}
	if got, _ := sb.Grant(ctx, *w.dev, g.ID); got.JobsUsed != spent {
		t.Fatalf("jobs used %d after restart, the log records %d", got.JobsUsed, spent)
	}
	t.Logf("%d jobs released before the kill, %d entries in the log, %d jobs spent", len(released), rep.Size, spent)
}
