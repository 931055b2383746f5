package load

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"

	"github.com/inviso/inviso/sandbox"
	"github.com/inviso/inviso/sandbox/api"
	"github.com/inviso/inviso/sandbox/duck"
)

const (
	childDirEnv   = "INVISO_LOAD_SERVER_DIR"
	childFSizeEnv = "INVISO_LOAD_SERVER_FSIZE"
)

// TestMain lets the tests re-run this binary as a server on a data directory.
func TestMain(m *testing.M) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		fsize, _ := strconv.ParseUint(os.Getenv(childFSizeEnv), 10, 64)
		if err := serveChild(dir, fsize); err != nil {
			fmt.Fprintln(os.Stderr, "load test server:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveChild serves the sandbox in dir on a loopback port it prints, until SIGTERM, as
// `inviso serve --listen 127.0.0.1:0 --fault-max-file-bytes fsize` does. With fsize > 0, once
// open it may no longer grow any file past fsize bytes (LimitFileSize): the kernel fails the
// job log's writes with EFBIG, as a full disk would fail them with ENOSPC.
func serveChild(dir string, fsize uint64) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.DiscardHandler) // the server's errors are what the clients' answers show
	sb, err := sandbox.Open(ctx, sandbox.Options{DataDir: dir, Logger: log, DuckDB: duck.Config{Threads: 1, MemoryLimit: "512MB"}})
	if err != nil {
		return err
	}
	defer sb.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if fsize > 0 {
		if err := LimitFileSize(fsize); err != nil {
			return err
		}
	}
	fmt.Printf("load test server serving http://%s with data directory %s\n", ln.Addr(), dir)
	return api.Serve(ctx, ln, api.New(sb, api.Options{Logger: log}), log)
}

// testStarter is the tests' Starter: this binary as a server child.
func testStarter(dir string, maxFileBytes uint64) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir, childFSizeEnv+"="+strconv.FormatUint(maxFileBytes, 10))
	cmd.Stderr = os.Stderr
	return cmd
}

// startServer starts a server child on dir, killed when the test ends.
func startServer(t *testing.T, dir string) *Server {
	t.Helper()
	s, err := StartServer(context.Background(), testStarter, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Kill() })
	return s
}
