package plugin

import (
	"fmt"
	"runtime"
	"time"
)

// Limits bound one plugin job. A zero field takes its value from DefaultLimits.
type Limits struct {
	// WallClock bounds the whole job, start to last output row. At the deadline the plugin's
	// process group and PID namespace are killed.
	WallClock time.Duration
	// StartTimeout bounds the start, up to the go-plugin handshake.
	StartTimeout time.Duration
	// AddressSpace is RLIMIT_AS in bytes: virtual memory, which a Go program reserves more of
	// than it uses (an idle Go plugin maps about 1.2 GiB).
	AddressSpace uint64
	// CPUTime is RLIMIT_CPU, rounded up to whole seconds; the plugin is killed one second
	// after the soft limit (Go ignores SIGXCPU).
	CPUTime time.Duration
	// OpenFiles is RLIMIT_NOFILE.
	OpenFiles uint64
	// Processes is RLIMIT_NPROC for the job's uid. Linux counts threads, and a Go program
	// needs about GOMAXPROCS+5 of them. Not applied in insecure development mode, where the
	// plugin shares the host's uid.
	Processes uint64
	// FileSize is RLIMIT_FSIZE in bytes (the plugin has nothing writable anyway).
	FileSize uint64
	// GoMaxProcs is passed to the plugin as GOMAXPROCS.
	GoMaxProcs int
	// OutputRows bounds the output rows. OutputBytes bounds the bytes received from the plugin
	// (which the result keeps, zero-copy, unless RunSpec.Sink is set) and, separately, what
	// the host allocates for the output (position columns, any Arrow decoding).
	OutputRows  int64
	OutputBytes int64
	// LogBytes bounds what is kept of the plugin's stdout and of its stderr (each).
	LogBytes int
}

// DefaultLimits are the limits of a job that sets none.
func DefaultLimits() Limits {
	return Limits{
		WallClock:    10 * time.Minute,
		StartTimeout: 10 * time.Second,
		AddressSpace: 4 << 30,
		CPUTime:      10 * time.Minute,
		OpenFiles:    64,
		Processes:    128,
		FileSize:     1 << 20,
		GoMaxProcs:   min(runtime.NumCPU(), 4),
		OutputRows:   100_000_000,
		OutputBytes:  2 << 30,
		LogBytes:     64 << 10,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	set := func(v *uint64, def uint64) {
		if *v == 0 {
			*v = def
		}
	}
	if l.WallClock <= 0 {
		l.WallClock = d.WallClock
	}
	if l.StartTimeout <= 0 {
		l.StartTimeout = d.StartTimeout
	}
	if l.CPUTime <= 0 {
		l.CPUTime = d.CPUTime
	}
	set(&l.AddressSpace, d.AddressSpace)
	set(&l.OpenFiles, d.OpenFiles)
	set(&l.Processes, d.Processes)
	set(&l.FileSize, d.FileSize)
	if l.GoMaxProcs <= 0 {
		l.GoMaxProcs = d.GoMaxProcs
	}
	if l.OutputRows <= 0 {
		l.OutputRows = d.OutputRows
	}
	if l.OutputBytes <= 0 {
		l.OutputBytes = d.OutputBytes
	}
	if l.LogBytes <= 0 {
		l.LogBytes = d.LogBytes
	}
	return l
}

func (l Limits) validate() error {
	switch {
	case l.OpenFiles < 16:
		return fmt.Errorf("%w: OpenFiles below 16 cannot run a Go plugin", ErrBadInput)
	case l.Processes < uint64(l.GoMaxProcs)+8:
		return fmt.Errorf("%w: Processes must be at least GoMaxProcs+8 (a Go program needs threads)", ErrBadInput)
	case l.AddressSpace < 256<<20:
		return fmt.Errorf("%w: AddressSpace below 256 MiB cannot run a Go plugin", ErrBadInput)
	}
	return nil
}

// cpuSeconds is the soft RLIMIT_CPU.
func (l Limits) cpuSeconds() uint64 {
	return uint64((l.CPUTime + time.Second - 1) / time.Second)
}
