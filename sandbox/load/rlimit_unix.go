//go:build unix

package load

import (
	"errors"
	"fmt"
	"os/signal"
	"syscall"
)

// LimitFileSize makes the calling process unable to grow any regular file past n bytes
// (RLIMIT_FSIZE) and ignores SIGXFSZ, so that a write past the limit fails with EFBIG as a
// full disk fails it with ENOSPC, instead of killing the process. It is the server side of the
// fault run's full disk: a server calls it once its sandbox is open, so that every later
// append to the job log really fails. It cannot be undone in the process.
func LimitFileSize(n uint64) error {
	if n == 0 {
		return errors.New("limit file size: the limit must be at least 1 byte")
	}
	signal.Ignore(syscall.SIGXFSZ)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
		return fmt.Errorf("limit file size: %w", err)
	}
	return nil
}
