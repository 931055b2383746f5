package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/inviso/inviso/sandbox"
	"github.com/inviso/inviso/sandbox/client"
)

// A Starter returns the command that serves the sandbox in dataDir on a loopback port and
// prints a line with "serving http://ADDR" on stdout, as `inviso serve --listen 127.0.0.1:0`
// does. With maxFileBytes > 0 the server must, once the sandbox is open, grow no file past
// that many bytes ([LimitFileSize], `inviso serve --fault-max-file-bytes`): the full disk of the
// fault run. The command's Stdout is the caller's to read; its Stderr is the Starter's to set.
type Starter func(dataDir string, maxFileBytes uint64) *exec.Cmd

// StartTimeout bounds how long a server may take to print its address and answer /health
// (opening a data directory after a kill -9 recovers the log and the catalog first).
const StartTimeout = 2 * time.Minute

// Server is a server child process serving a data directory.
type Server struct {
	Dir string // the data directory
	URL string // http://ADDR, as the server printed it

	cmd  *exec.Cmd
	c    *client.Client // without a token
	done chan struct{}  // closed once the process is gone
	err  error          // what Wait returned, once done is closed
}

// StartServer starts the command start returns for dir and waits until the server answers
// /health. If it does not within StartTimeout, or ctx ends first, the process is killed.
func StartServer(ctx context.Context, start Starter, dir string, maxFileBytes uint64) (*Server, error) {
	cmd := start(dir, maxFileBytes)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server %s: %w", cmd.Path, err)
	}
	s := &Server{Dir: dir, cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		lines := bufio.NewReader(out)
		for {
			line, err := lines.ReadString('\n')
			if u, ok := servedURL(line); ok {
				addr <- u
				break
			}
			if err != nil {
				break
			}
		}
		io.Copy(io.Discard, lines) // Wait must not close the pipe under a read
		s.err = cmd.Wait()
		close(s.done)
	}()
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	select {
	case s.URL = <-addr:
	case <-s.done:
		return nil, fmt.Errorf("start server on %s: it exited before serving: %v", dir, s.err)
	case <-ctx.Done():
		s.Kill()
		return nil, fmt.Errorf("start server on %s: no address printed: %w", dir, ctx.Err())
	}
	if s.c, err = client.New(s.URL, "", nil); err == nil {
		err = s.c.WaitReady(ctx)
	}
	if err != nil {
		s.Kill()
		return nil, fmt.Errorf("start server on %s: %w", dir, err)
	}
	return s, nil
}

// servedURL finds the address in the line a server prints once it listens, e.g.
// "inviso v0.9 serving http://127.0.0.1:41234 with data directory d".
func servedURL(line string) (string, bool) {
	_, rest, ok := strings.Cut(line, "serving ")
	if !ok {
		return "", false
	}
	f := strings.Fields(rest)
	if len(f) == 0 || !strings.HasPrefix(f[0], "http://") {
		return "", false
	}
	return f[0], true
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Client is a client of the server with token.
func (s *Server) Client(token string) *client.Client { return s.c.WithToken(token) }

// Admin is a client with the bootstrap administrator's token of the data directory.
func (s *Server) Admin() (*client.Client, error) {
	tok, err := os.ReadFile(filepath.Join(s.Dir, sandbox.AdminTokenFile))
	if err != nil {
		return nil, fmt.Errorf("read the admin token: %w", err)
	}
	return s.Client(string(tok)), nil
}

// Exited reports whether the process is gone, and if so what Wait returned.
func (s *Server) Exited() (bool, error) {
	select {
	case <-s.done:
		return true, s.err
	default:
		return false, nil
	}
}

// Kill sends SIGKILL and waits for the process to be gone. It returns false when the process
// had already exited by itself.
func (s *Server) Kill() bool {
	if gone, _ := s.Exited(); gone {
		return false
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	return true
}

// Stop asks the server to shut down (SIGTERM) and waits up to timeout; then it kills it. It
// fails when the server had to be killed or did not exit with status 0.
func (s *Server) Stop(timeout time.Duration) error {
	if gone, err := s.Exited(); gone {
		return fmt.Errorf("the server had already exited: %v", err)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		if s.err != nil {
			return fmt.Errorf("the server stopped with %w", s.err)
		}
		return nil
	case <-time.After(timeout):
		s.Kill()
		return errors.New("the server did not stop within " + timeout.String() + " of SIGTERM")
	}
}
