package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox"
	"github.com/inviso/inviso/sandbox/api"
	"github.com/inviso/inviso/sandbox/client"
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

// serveChild serves the sandbox in dir on a loopback port it prints, until SIGTERM. With fsize
// > 0, once open it may no longer grow any file past fsize bytes (RLIMIT_FSIZE): the kernel
// fails the job log's writes with EFBIG, as a full disk would fail them with ENOSPC.
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
		signal.Ignore(syscall.SIGXFSZ) // a write past the limit fails with EFBIG instead of killing us
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: fsize, Max: fsize}); err != nil {
			return fmt.Errorf("limit file size: %w", err)
		}
	}
	fmt.Printf("serving http://%s\n", ln.Addr())
	return api.Serve(ctx, ln, api.New(sb, api.Options{Logger: log}), log)
}

// server is a child process serving a data directory.
type server struct {
	t    *testing.T
	dir  string
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

// startServer starts a server on dir and waits until it answers.
func startServer(t *testing.T, dir string, fsize uint64) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir, childFSizeEnv+"="+strconv.FormatUint(fsize, 10))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, dir: dir, cmd: cmd, done: make(chan struct{})}
	t.Cleanup(func() { s.kill() })
	lines := bufio.NewReader(out)
	line, err := lines.ReadString('\n')
	if err != nil {
		s.kill()
		t.Fatalf("the server did not start: %v", err)
	}
	s.base = strings.TrimSpace(strings.TrimPrefix(line, "serving "))
	go func() { io.Copy(io.Discard, lines); cmd.Wait(); close(s.done) }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.client("").WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) client(token string) *client.Client {
	c, err := client.New(s.base, token, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// admin is a client with the bootstrap admin token.
func (s *server) admin() *client.Client {
	tok, err := os.ReadFile(filepath.Join(s.dir, sandbox.AdminTokenFile))
	if err != nil {
		s.t.Fatal(err)
	}
	return s.client(string(tok))
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// stop asks the server to shut down gracefully and waits.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(40 * time.Second):
		s.t.Error("the server did not stop on SIGTERM")
		s.kill()
	}
}
