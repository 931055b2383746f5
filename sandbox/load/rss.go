package load

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RSSSample is the server's resident set size at a time since the start of the run.
type RSSSample struct {
	At    time.Duration `json:"at_ns"`
	Bytes int64         `json:"bytes"`
}

// startRSS samples pid's VmRSS every interval until ctx ends; the returned function waits for
// the sampler and returns the samples. pid <= 0 samples nothing.
func startRSS(ctx context.Context, pid int, interval time.Duration) func() []RSSSample {
	if pid <= 0 {
		return func() []RSSSample { return nil }
	}
	var (
		out []RSSSample
		wg  sync.WaitGroup
	)
	start := time.Now()
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if b, err := ReadRSS(pid); err == nil {
				out = append(out, RSSSample{At: time.Since(start), Bytes: b})
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return func() []RSSSample { wg.Wait(); return out }
}

// ReadRSS reads VmRSS of a local process from /proc/<pid>/status, in bytes.
func ReadRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		v, ok := strings.CutPrefix(s.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(v) // "123456 kB"
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("VmRSS of %d: unexpected %q", pid, v)
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS of %d: %w", pid, err)
		}
		return kb << 10, nil
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS for process %d", pid)
}
