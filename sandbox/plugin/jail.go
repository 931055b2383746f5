package plugin

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
)

// pluginPath is where the binary is inside the job directory (and, isolated, the plugin's
// view of it).
const pluginPath = "/plugin"

// jail starts and watches one plugin process. It is go-plugin's runner.Runner (through
// ClientConfig.RunnerFunc), which lets it start the process itself: stopped at exec to set
// rlimits, stdin on /dev/null, addresses translated between the plugin's root and the host's.
type jail struct {
	root     string // job directory; the plugin's "/" when isolated
	bin      string // host path of the binary copy
	checksum []byte
	isolated bool
	userNS   bool // also a user namespace (see Isolation.UserNS)
	early    bool // stop at exec (ptrace) to set rlimits before the first instruction
	uid, gid uint32
	limits   Limits

	env                []string
	sockHost, sockPlug string
	lockOnce           sync.Once
	lockErr            error

	stdout, stderr io.ReadCloser
	exited         chan struct{}
	state          *os.ProcessState // set before exited is closed

	mu         sync.Mutex // guards the fields below, which kill reads from other goroutines
	cmd        *exec.Cmd
	pid        int
	killReason string // why the host killed it, if it did
}

var _ runner.Runner = (*jail)(nil)

// newRunner is the ClientConfig.RunnerFunc: go-plugin passes the environment it wants the
// plugin to have and the socket directory it made (inside root, see UnixSocketConfig).
func (j *jail) newRunner(_ hclog.Logger, cmd *exec.Cmd, sockDir string) (runner.Runner, error) {
	j.sockHost = sockDir
	j.sockPlug = sockDir
	if j.isolated {
		rel, err := filepath.Rel(j.root, sockDir)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") || strings.Contains(rel, "/") {
			return nil, fmt.Errorf("socket directory %s is not directly inside the job directory", sockDir)
		}
		j.sockPlug = "/" + rel
	}
	for _, e := range cmd.Env {
		if strings.HasPrefix(e, goplugin.EnvUnixSocketDir+"=") {
			e = goplugin.EnvUnixSocketDir + "=" + j.sockPlug
		}
		j.env = append(j.env, e)
	}
	j.env = append(j.env, "GOMAXPROCS="+strconv.Itoa(j.limits.GoMaxProcs))
	return j, nil
}

// Start verifies the binary with go-plugin's SecureConfig and starts it.
func (j *jail) Start(context.Context) error {
	if j.isolated {
		if err := os.Chown(j.sockHost, int(j.uid), int(j.gid)); err != nil {
			return err
		}
	}
	sc := &goplugin.SecureConfig{Checksum: j.checksum, Hash: sha256.New()}
	if ok, err := sc.Check(j.bin); err != nil {
		return err
	} else if !ok {
		return ErrDigestMismatch
	}
	path := j.bin
	if j.isolated {
		path = pluginPath
	}
	var err error
	for attempt := 0; ; attempt++ {
		c := &exec.Cmd{
			Path:        path,
			Args:        []string{"plugin"},
			Env:         j.env,
			Dir:         "/",
			SysProcAttr: sysProcAttr(j),
		}
		if j.stdout, err = c.StdoutPipe(); err != nil {
			return err
		}
		if j.stderr, err = c.StderrPipe(); err != nil {
			return err
		}
		err = startProcess(c, j)
		// ETXTBSY: another goroutine forked while the copy was open for writing, and the
		// child still holds it until its own exec.
		if errors.Is(err, syscall.ETXTBSY) && attempt < 20 {
			time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
			continue
		}
		if err != nil {
			return err
		}
		j.mu.Lock()
		j.cmd, j.pid = c, c.Process.Pid
		kill := j.killReason != ""
		j.mu.Unlock()
		if kill { // the deadline passed while it was starting
			j.kill("")
		}
		return nil
	}
}

// Wait waits for the process and keeps its state.
func (j *jail) Wait(context.Context) error {
	j.mu.Lock()
	cmd := j.cmd
	j.mu.Unlock()
	if cmd == nil {
		return errors.New("plugin not started")
	}
	err := cmd.Wait()
	j.state = cmd.ProcessState
	close(j.exited)
	return err
}

// Kill kills the plugin, its process group and (isolated) its PID namespace.
func (j *jail) Kill(context.Context) error {
	j.kill("")
	return nil
}

func (j *jail) kill(reason string) {
	j.mu.Lock()
	if reason != "" && j.killReason == "" {
		j.killReason = reason
	}
	cmd, pid := j.cmd, j.pid
	j.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	select {
	case <-j.exited:
		return
	default:
	}
	killGroup(pid)
	_ = cmd.Process.Kill() // by pidfd where available: never another process
}

func (j *jail) reason() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.killReason
}

func (j *jail) Stdout() io.ReadCloser           { return j.stdout }
func (j *jail) Stderr() io.ReadCloser           { return j.stderr }
func (j *jail) Name() string                    { return "plugin" }
func (j *jail) Diagnose(context.Context) string { return "" }

func (j *jail) ID() string {
	pid := j.process()
	if pid == 0 {
		return ""
	}
	return strconv.Itoa(pid)
}

// process returns the plugin's pid, 0 before it started.
func (j *jail) process() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.pid
}

// PluginToHost accepts only a unix socket directly inside the socket directory. The
// directory is then handed to root so the plugin can no longer swap the socket for a
// symlink, and the path must name a socket.
func (j *jail) PluginToHost(network, addr string) (string, string, error) {
	if network != "unix" {
		return "", "", errors.New("the plugin offered a non-unix address")
	}
	clean := filepath.Clean(addr)
	if filepath.Dir(clean) != j.sockPlug {
		return "", "", errors.New("the plugin's socket is outside its socket directory")
	}
	host := filepath.Join(j.sockHost, filepath.Base(clean))
	j.lockOnce.Do(func() {
		if j.isolated {
			if err := os.Chown(j.sockHost, 0, 0); err != nil {
				j.lockErr = err
				return
			}
			j.lockErr = os.Chmod(j.sockHost, 0o711)
		}
	})
	if j.lockErr != nil {
		return "", "", j.lockErr
	}
	fi, err := os.Lstat(host)
	if err != nil {
		return "", "", err
	}
	if fi.Mode().Type() != os.ModeSocket {
		return "", "", errors.New("the plugin's address is not a socket")
	}
	return "unix", host, nil
}

// HostToPlugin is used only by go-plugin's broker, which inviso does not use.
func (j *jail) HostToPlugin(string, string) (string, string, error) {
	return "", "", errors.New("the broker is not supported")
}
