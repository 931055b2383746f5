//go:build !linux

package plugin

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Isolation is what Probe found.
type Isolation struct {
	Available   bool
	UserNS      bool
	EarlyLimits bool
	Reason      string
}

// Probe reports that plugins cannot be isolated: isolation is implemented for Linux only.
func Probe() Isolation { return Isolation{Reason: "plugin isolation is implemented for Linux only"} }

func probe(uint32, uint32) Isolation { return Probe() }

func sysProcAttr(*jail) *syscall.SysProcAttr { return nil }

func startProcess(c *exec.Cmd, _ *jail) error {
	if c.SysProcAttr == nil {
		return c.Start()
	}
	return errors.New("unsupported")
}

func killGroup(int) {}

func killUID(uint32) int { return 0 }

func clearUID(uint32, time.Duration) (bool, int) { return true, 0 }

func noexec(string) bool { return false }

func exitDetail(ps *os.ProcessState) (int, string, time.Duration) {
	if ps == nil {
		return -1, "", 0
	}
	return ps.ExitCode(), "", ps.UserTime() + ps.SystemTime()
}

func procUID(int) (uint32, bool) { return 0, false }
