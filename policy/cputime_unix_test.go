//go:build unix

package policy

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time: on a shared, loaded machine it says more about
// a benchmark's cost than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
