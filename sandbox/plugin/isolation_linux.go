//go:build linux

package plugin

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cloneFlags are the namespaces an isolated plugin gets.
const cloneFlags = syscall.CLONE_NEWNET | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID |
	syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS

func sysProcAttr(j *jail) *syscall.SysProcAttr {
	if !j.isolated {
		return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	}
	// No Pdeathsig: in a new PID namespace the child's getppid() is 0, and Go's fork code
	// then kills the child as if the parent had died.
	a := &syscall.SysProcAttr{
		Chroot:     j.root,
		Credential: &syscall.Credential{Uid: j.uid, Gid: j.gid, Groups: []uint32{}},
		Cloneflags: cloneFlags,
		Setpgid:    true,
	}
	if j.userNS {
		// A user namespace owned by the host's root, with the job's uid mapped to itself: the
		// host holds every capability in it (CAP_SYS_RESOURCE for prlimit included, which a
		// container may not grant in the initial namespace); the plugin holds none.
		a.Cloneflags |= syscall.CLONE_NEWUSER
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: int(j.uid), HostID: int(j.uid), Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: int(j.gid), HostID: int(j.gid), Size: 1}}
		a.GidMappingsEnableSetgroups = true // lets the child drop root's supplementary groups
	}
	return a
}

// startProcess starts c. With j.early, the child stops at its exec (PTRACE_TRACEME), gets its
// rlimits while stopped, and is detached: the limits hold from its first instruction. The
// tracer is this OS thread, hence the lock.
func startProcess(c *exec.Cmd, j *jail) error {
	if j.early {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		c.SysProcAttr.Ptrace = true
	}
	if err := c.Start(); err != nil {
		return err
	}
	pid := c.Process.Pid
	fail := func(err error) error {
		_ = c.Process.Kill()
		_ = c.Wait()
		return err
	}
	if j.early {
		var ws syscall.WaitStatus
		for {
			_, err := syscall.Wait4(pid, &ws, syscall.WALL, nil)
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil {
				return fail(fmt.Errorf("wait for the plugin's exec: %w", err))
			}
			break
		}
		if !ws.Stopped() {
			return fmt.Errorf("the plugin did not stop at its exec (status %v)", ws)
		}
	}
	err := setRlimits(pid, j)
	if j.early {
		if derr := syscall.PtraceDetach(pid); derr != nil && err == nil {
			err = fmt.Errorf("detach from the plugin: %w", derr)
		}
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

func setRlimits(pid int, j *jail) error {
	l := j.limits
	cpu := l.cpuSeconds()
	set := []struct {
		res       int
		soft, max uint64
	}{
		{unix.RLIMIT_AS, l.AddressSpace, l.AddressSpace},
		{unix.RLIMIT_CPU, cpu, cpu + 1},
		{unix.RLIMIT_NOFILE, l.OpenFiles, l.OpenFiles},
		{unix.RLIMIT_FSIZE, l.FileSize, l.FileSize},
		{unix.RLIMIT_CORE, 0, 0}, // a core dump would hold the rows
		{unix.RLIMIT_MEMLOCK, 0, 0},
		{unix.RLIMIT_MSGQUEUE, 0, 0},
	}
	if j.isolated {
		// In insecure mode the plugin shares the host's uid, whose process count this
		// would cap.
		set = append(set, struct {
			res       int
			soft, max uint64
		}{unix.RLIMIT_NPROC, l.Processes, l.Processes})
	}
	for _, s := range set {
		var cur unix.Rlimit
		if err := unix.Prlimit(pid, s.res, nil, &cur); err != nil {
			return fmt.Errorf("get rlimit %d: %w", s.res, err)
		}
		// Only ever lower a limit: raising a hard limit needs CAP_SYS_RESOURCE.
		r := unix.Rlimit{Cur: min(s.soft, cur.Max), Max: min(s.max, cur.Max)}
		if err := unix.Prlimit(pid, s.res, &r, nil); err != nil {
			return fmt.Errorf("set rlimit %d: %w", s.res, err)
		}
	}
	return nil
}

// Isolation is what Probe found.
type Isolation struct {
	// Available: plugins can run isolated (namespaces, chroot, unprivileged uid).
	Available bool
	// UserNS: the plugin gets a user namespace too (needed when the server lacks
	// CAP_SYS_RESOURCE, as in many containers, to set the plugin's rlimits).
	UserNS bool
	// EarlyLimits: rlimits are set before the plugin's first instruction (ptrace stop at
	// exec); otherwise right after its exec.
	EarlyLimits bool
	// Reason says why isolation is unavailable.
	Reason string
}

// probeUID is the uid Probe switches to (nobody).
const probeUID = 65534

// Probe reports whether plugins can be isolated on this host. It forks children with every
// isolation step (namespaces, chroot into an empty directory, unprivileged uid, ptrace) and
// lets their exec fail on a missing file: ENOENT means every step before the exec worked.
func Probe() Isolation {
	return probe(probeUID, probeUID)
}

func probe(uid, gid uint32) Isolation {
	if os.Geteuid() != 0 {
		return Isolation{Reason: "the server does not run as root, which namespaces, chroot and an unprivileged plugin uid need", EarlyLimits: probeExec(nil, true) == nil}
	}
	dir, err := os.MkdirTemp("", "inviso-probe-*")
	if err != nil {
		return Isolation{Reason: "no temporary directory: " + err.Error()}
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return Isolation{Reason: err.Error()}
	}
	var errs []string
	for _, userNS := range []bool{true, false} {
		if !userNS && !hasCapSysResource() {
			errs = append(errs, "without a user namespace: the server lacks CAP_SYS_RESOURCE to set the plugin's rlimits")
			continue
		}
		j := &jail{isolated: true, userNS: userNS, root: dir, uid: uid, gid: gid}
		if err := probeExec(sysProcAttr(j), true); err == nil {
			return Isolation{Available: true, UserNS: userNS, EarlyLimits: true}
		}
		if err := probeExec(sysProcAttr(j), false); err == nil {
			return Isolation{Available: true, UserNS: userNS}
		} else {
			errs = append(errs, fmt.Sprintf("user namespace %v: %v", userNS, err))
		}
	}
	return Isolation{Reason: "cannot start an isolated process: " + strings.Join(errs, "; ")}
}

func hasCapSysResource() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[unix.CAP_SYS_RESOURCE/32].Effective&(1<<(unix.CAP_SYS_RESOURCE%32)) != 0
}

func probeExec(attr *syscall.SysProcAttr, ptrace bool) error {
	if attr == nil {
		attr = &syscall.SysProcAttr{}
	}
	attr.Ptrace = ptrace
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_, err := syscall.ForkExec("/nonexistent-inviso-plugin-probe", []string{"probe"},
		&syscall.ProcAttr{Dir: "/", Env: []string{}, Sys: attr})
	if errors.Is(err, syscall.ENOENT) {
		return nil
	}
	if err == nil {
		return errors.New("probe: exec unexpectedly succeeded")
	}
	return err
}

// killUID kills every process whose real uid is uid and reports how many it signalled.
func killUID(uid uint32) int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if u, ok := procUID(pid); ok && u == uid {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				n++
			}
		}
	}
	return n
}

// procUID reads the real uid of a process from /proc/pid/status (a process cannot hide it,
// unlike the owner of /proc/pid, which follows its dumpable flag).
func procUID(pid int) (uint32, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("Uid:")); ok {
			f := bytes.Fields(rest)
			if len(f) == 0 {
				return 0, false
			}
			u, err := strconv.ParseUint(string(f[0]), 10, 32)
			return uint32(u), err == nil
		}
	}
	return 0, false
}

// clearUID kills the processes of uid until none is left or the timeout passes; it reports
// whether none is left and how many it had to kill.
func clearUID(uid uint32, timeout time.Duration) (bool, int) {
	deadline := time.Now().Add(timeout)
	total := 0
	for {
		n := killUID(uid)
		total += n
		if n == 0 {
			return true, total
		}
		if time.Now().After(deadline) {
			return false, total
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// noexec reports whether dir is on a filesystem mounted noexec.
func noexec(dir string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false
	}
	return st.Flags&unix.ST_NOEXEC != 0
}

// exitDetail describes how a process ended.
func exitDetail(ps *os.ProcessState) (code int, signal string, cpu time.Duration) {
	if ps == nil {
		return -1, "", 0
	}
	cpu = ps.UserTime() + ps.SystemTime()
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, ws.Signal().String(), cpu
	}
	return ps.ExitCode(), "", cpu
}

// killGroup kills a process group.
func killGroup(pgid int) { _ = syscall.Kill(-pgid, syscall.SIGKILL) }
