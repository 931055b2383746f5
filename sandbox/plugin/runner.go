package plugin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/inviso/inviso/sandbox/plugin/contract"
)

// InputRowColumn replaces the plugin's "__row" column in RunResult batches: the 0-based
// position of the input row, in the order RunSpec.Input yielded the rows.
const InputRowColumn = "__input_row"

// Defaults of the uid range isolated plugins run as (WithUIDs).
const (
	DefaultFirstUID = 2_000_000_000
	DefaultUIDs     = 16
)

// Runner runs plugin jobs from a Store. It is safe for concurrent use; at most as many jobs
// run at once as it has uids (WithUIDs), the others wait.
type Runner struct {
	store    *Store
	workDir  string
	logger   *slog.Logger
	iso      Isolation
	isoSet   bool
	firstUID uint32
	nUIDs    int
	slots    chan uint32
}

// Option configures a Runner.
type Option func(*Runner)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(r *Runner) { r.logger = l } }

// WithUIDs sets the uids (and gids) isolated plugins run as: n consecutive ids from first,
// one per concurrent job. They must belong to no user or file on the host: NewRunner and
// every job kill any process running as one of them.
func WithUIDs(first uint32, n int) Option {
	return func(r *Runner) { r.firstUID, r.nUIDs = first, n }
}

// WithIsolation replaces Probe's finding, for tests of the refusal path.
func WithIsolation(iso Isolation) Option { return func(r *Runner) { r.iso, r.isoSet = iso, true } }

// NewRunner returns a Runner that keeps per-job directories in workDir (created 0700; it
// must allow executables, i.e. not be mounted noexec). It probes isolation, removes job
// directories and kills processes of its uid range left by an earlier server process.
func NewRunner(store *Store, workDir string, opts ...Option) (*Runner, error) {
	r := &Runner{store: store, firstUID: DefaultFirstUID, nUIDs: DefaultUIDs}
	for _, o := range opts {
		o(r)
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if store == nil || r.nUIDs <= 0 || uint64(r.firstUID)+uint64(r.nUIDs) > 1<<32-2 || r.firstUID == 0 {
		return nil, fmt.Errorf("%w: a store and a valid uid range are required", ErrBadInput)
	}
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		return nil, fmt.Errorf("plugin work directory: %w", err)
	}
	if err := os.Chmod(workDir, 0o700); err != nil {
		return nil, fmt.Errorf("plugin work directory: %w", err)
	}
	abs, err := filepath.Abs(workDir)
	if err != nil {
		return nil, fmt.Errorf("plugin work directory: %w", err)
	}
	r.workDir = abs
	if noexec(abs) {
		return nil, fmt.Errorf("%w: plugin work directory %s is on a noexec filesystem", ErrBadInput, abs)
	}
	if old, err := filepath.Glob(filepath.Join(abs, "job-*")); err == nil {
		for _, d := range old {
			_ = os.RemoveAll(d)
		}
	}
	if !r.isoSet {
		r.iso = probe(r.firstUID, r.firstUID)
	}
	r.slots = make(chan uint32, r.nUIDs)
	for i := range r.nUIDs {
		uid := r.firstUID + uint32(i)
		if r.iso.Available {
			if n := killUID(uid); n > 0 {
				r.logger.Warn("killed leftover plugin processes", "uid", uid, "processes", n)
			}
		}
		r.slots <- uid
	}
	if !r.iso.Available {
		r.logger.Warn("plugin isolation is unavailable; plugin jobs are refused unless the insecure development mode is on", "reason", r.iso.Reason)
	}
	return r, nil
}

// Isolation reports what the Runner found when it probed the host.
func (r *Runner) Isolation() Isolation { return r.iso }

// RunSpec is one plugin job.
type RunSpec struct {
	// Digest names the binary ("sha256:…").
	Digest string
	// Approved lists the digests the grant approves; Digest must be one of them.
	Approved []string
	// Input yields the rows the plugin receives. Run reads it to the end and does not
	// release it. No column name may start with "__".
	Input array.RecordReader
	// Limits bound the job; zero fields take DefaultLimits.
	Limits Limits
	// HandleKey keys the row handles (HandleKeySize bytes). Nil draws a fresh key; pass the
	// key of a recorded job (RunResult.HandleKey) to replay it with the same handles.
	HandleKey []byte
	// InsecureDev lets the job run without isolation when the host cannot isolate plugins
	// (development only; every such run is logged at error level). It changes nothing on a
	// host where isolation works.
	InsecureDev bool
	// Allocator allocates the output's position columns and the input's handle columns
	// (default memory.DefaultAllocator).
	Allocator memory.Allocator
	// Sink, if set, receives each checked output batch as it arrives, instead of
	// RunResult.Batches: the output need not fit in memory. The batch is released after Sink
	// returns (Retain what you keep). A Sink error stops the job and is returned wrapped. If
	// the job fails later, the batches already passed are void.
	Sink func(arrow.RecordBatch) error
}

// RunResult is the output of a job.
type RunResult struct {
	// Schema is InputRowColumn (int64) followed by the plugin's output columns (without
	// "__row", without metadata).
	Schema *arrow.Schema
	// Batches hold the output rows, already checked (none if RunSpec.Sink is set). Release
	// them with Release.
	Batches []arrow.RecordBatch
	// HandleKey is the key the row handles were made with (keep it to replay the job).
	HandleKey []byte
	// Stats describe the run for the operator and the auditor. Stdout, Stderr and Detail quote
	// the plugin and must never reach the developer.
	Stats Stats
}

// Release releases the output batches.
func (r *RunResult) Release() {
	if r == nil {
		return
	}
	for _, b := range r.Batches {
		b.Release()
	}
	r.Batches = nil
}

// Stats describe a run.
type Stats struct {
	Digest string
	// Input sent to the plugin, and output kept from it (bytes as on the wire).
	RowsIn, BatchesIn, BytesIn    int64
	RowsOut, BatchesOut, BytesOut int64
	// DistinctRowsOut counts the input rows at least one output row refers to.
	DistinctRowsOut int64
	// StartOverhead runs from the call of Run to an open stream: binary copy and checksum,
	// process start, go-plugin handshake, mTLS.
	StartOverhead time.Duration
	// Streaming runs from the open stream to the last output row; Total is the whole Run.
	Streaming, Total time.Duration
	PID              int
	UID              uint32
	Isolated         bool
	EarlyLimits      bool
	// ExitCode is the plugin's exit code, -1 if a signal ended it or it never started.
	ExitCode int
	Signal   string
	CPUTime  time.Duration
	// Stdout and Stderr are the first Limits.LogBytes of each; the rest is counted.
	Stdout, Stderr               []byte
	StdoutDropped, StderrDropped int64
	// Detail explains a failure for the operator; it may quote the plugin.
	Detail string
	// Stragglers counts processes of the job's uid that were still alive after the plugin
	// ended and had to be killed (expected 0: the PID namespace takes them down).
	Stragglers int
}

// Run runs one plugin job; see the package documentation. On error the RunResult, if not nil,
// still carries Stats (never batches).
func (r *Runner) Run(ctx context.Context, spec RunSpec) (*RunResult, error) {
	begin := time.Now()
	sum, err := ParseDigest(spec.Digest)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(spec.Approved, spec.Digest) {
		return nil, ErrNotApproved
	}
	if spec.Input == nil {
		return nil, fmt.Errorf("%w: no input", ErrBadInput)
	}
	for i, f := range spec.Input.Schema().Fields() {
		if strings.HasPrefix(f.Name, contract.ReservedPrefix) {
			return nil, fmt.Errorf("%w: input column %d: names starting with %q are reserved", ErrBadInput, i+1, contract.ReservedPrefix)
		}
	}
	lim := spec.Limits.withDefaults()
	if err := lim.validate(); err != nil {
		return nil, err
	}
	if !r.iso.Available {
		if !spec.InsecureDev {
			return nil, fmt.Errorf("%w (%s)", ErrIsolationUnavailable, r.iso.Reason)
		}
		r.logger.Error("INSECURE DEVELOPMENT MODE: running a plugin WITHOUT isolation: it has the network, the files and the user of the server; never do this with real data",
			"digest", spec.Digest, "reason", r.iso.Reason)
	}
	if !r.store.Has(spec.Digest) {
		return nil, ErrUnknownBinary
	}
	hk, key, err := newHandles(spec.HandleKey)
	if err != nil {
		return nil, fmt.Errorf("%w: HandleKey must be %d bytes", ErrBadInput, HandleKeySize)
	}
	mem := spec.Allocator
	if mem == nil {
		mem = memory.DefaultAllocator
	}

	var uid uint32
	select {
	case uid = <-r.slots:
	case <-ctx.Done():
		return nil, fmt.Errorf("plugin job: %w", ctx.Err())
	}
	defer func() { r.slots <- uid }()

	res := &RunResult{HandleKey: key}
	st := &res.Stats
	st.Digest, st.UID, st.ExitCode = spec.Digest, uid, -1
	st.Isolated, st.EarlyLimits = r.iso.Available, r.iso.EarlyLimits

	root, err := os.MkdirTemp(r.workDir, "job-*")
	if err != nil {
		return nil, fmt.Errorf("plugin job directory: %w", err)
	}
	defer os.RemoveAll(root)
	if err := os.Chmod(root, 0o755); err != nil {
		return nil, fmt.Errorf("plugin job directory: %w", err)
	}
	bin := filepath.Join(root, strings.TrimPrefix(pluginPath, "/"))
	if err := r.store.copyBinary(spec.Digest, bin); err != nil {
		if errors.Is(err, ErrUnknownBinary) {
			return nil, err
		}
		return nil, fmt.Errorf("plugin job: %w", err)
	}

	j := &jail{
		root: root, bin: bin, checksum: sum,
		isolated: r.iso.Available, userNS: r.iso.UserNS, early: r.iso.EarlyLimits,
		uid: uid, gid: uid, limits: lim,
		exited: make(chan struct{}),
	}
	stdout, stderr := newCapped(lim.LogBytes), newCapped(lim.LogBytes)
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  contract.Handshake,
		Plugins:          contract.PluginSet(nil),
		RunnerFunc:       j.newRunner,
		AutoMTLS:         true,
		SkipHostEnv:      true,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Managed:          false,
		StartTimeout:     min(lim.StartTimeout, lim.WallClock),
		Stderr:           stderr,
		SyncStdout:       stdout,
		SyncStderr:       stderr,
		Logger:           hclog.NewNullLogger(),
		UnixSocketConfig: &goplugin.UnixSocketConfig{TempDir: root},
		GRPCDialOptions:  contract.DialOptions(),
	})

	jobCtx, cancel := context.WithTimeout(ctx, lim.WallClock)
	defer cancel()
	watchDone := make(chan struct{})
	go func() {
		select {
		case <-jobCtx.Done():
			if ctx.Err() == nil {
				j.kill("deadline")
			} else {
				j.kill("canceled")
			}
		case <-watchDone:
		}
	}()

	runErr := r.stream(jobCtx, client, j, spec, hk, mem, lim, res, begin)
	close(watchDone)
	if runErr != nil {
		j.kill("")
	}
	// go-plugin's Kill asks the plugin to shut down and waits up to 2 s; a plugin that
	// lingers or hangs the request is killed sooner. In insecure mode a process that escaped
	// the process group could hold the pipes open forever: do not wait for that either.
	grace := time.AfterFunc(250*time.Millisecond, func() { j.kill("") })
	closed := make(chan struct{})
	go func() { client.Kill(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		r.logger.Error("plugin client did not shut down", "pid", j.process())
	}
	grace.Stop()
	if j.process() != 0 {
		select {
		case <-j.exited:
		case <-time.After(5 * time.Second):
			r.logger.Error("plugin process not reaped", "pid", j.process())
		}
	}
	if j.isolated {
		gone, n := clearUID(uid, 2*time.Second)
		st.Stragglers = n
		if !gone {
			r.logger.Error("plugin processes survive their job", "uid", uid)
		}
	}
	st.PID = j.process()
	select {
	case <-j.exited:
		st.ExitCode, st.Signal, st.CPUTime = exitDetail(j.state)
	default:
	}
	st.Stdout, st.StdoutDropped = stdout.snapshot()
	st.Stderr, st.StderrDropped = stderr.snapshot()
	st.Total = time.Since(begin)

	timedOut := errors.Is(jobCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	if err := r.classify(ctx, runErr, timedOut, j, lim, stderr, st); err != nil {
		res.Release()
		r.logger.Info("plugin job failed", "digest", spec.Digest, "error", err, "detail_bytes", len(st.Detail),
			"exit_code", st.ExitCode, "signal", st.Signal, "duration", st.Total)
		return res, err
	}
	r.logger.Info("plugin job done", "digest", spec.Digest, "rows_in", st.RowsIn, "rows_out", st.RowsOut,
		"start", st.StartOverhead, "duration", st.Total)
	return res, nil
}

// classify turns what went wrong into an error fit for the developer; the raw cause goes to
// st.Detail for the operator.
func (r *Runner) classify(ctx context.Context, err error, timedOut bool, j *jail, lim Limits, stderr *capped, st *Stats) error {
	if err == nil {
		return nil
	}
	if st.Detail == "" {
		st.Detail = err.Error()
	}
	if ctx.Err() != nil {
		return fmt.Errorf("plugin job: %w", ctx.Err())
	}
	if timedOut || j.reason() == "deadline" {
		return fmt.Errorf("%w: it ran longer than its wall-clock limit of %s", ErrLimit, lim.WallClock)
	}
	if errors.Is(err, ErrDigestMismatch) {
		return ErrDigestMismatch
	}
	var ph phaseError
	isPhase := errors.As(err, &ph)
	if !isPhase {
		// The host's own checks, whose messages are safe.
		for _, safe := range []error{ErrLimit, ErrBadOutput, ErrBadInput} {
			if errors.Is(err, safe) {
				return err
			}
		}
		var in inputError
		if errors.As(err, &in) {
			return fmt.Errorf("plugin job: read input: %w", in.err)
		}
		var sk sinkError
		if errors.As(err, &sk) {
			return fmt.Errorf("plugin job: output sink: %w", sk.err)
		}
	}
	if st.Signal == "killed" && st.CPUTime >= time.Duration(lim.cpuSeconds())*time.Second-50*time.Millisecond {
		return fmt.Errorf("%w: it used more than its CPU time limit of %s", ErrLimit, lim.CPUTime)
	}
	if stderr.contains("out of memory") || stderr.contains("cannot allocate memory") {
		return fmt.Errorf("%w: it ran out of memory (address-space limit %d MiB)", ErrLimit, lim.AddressSpace>>20)
	}
	if isPhase {
		return fmt.Errorf("%w: %s", ErrPluginFailed, ph.phase)
	}
	return fmt.Errorf("%w: it crashed, exited or returned an error", ErrPluginFailed)
}

// phaseError marks a failure of the plugin in a known phase; phase is safe to show.
type phaseError struct {
	phase string
	err   error
}

func (e phaseError) Error() string { return e.phase + ": " + e.err.Error() }
func (e phaseError) Unwrap() error { return e.err }

// inputError is a failure of RunSpec.Input, the caller's side.
type inputError struct{ err error }

func (e inputError) Error() string { return "read input: " + e.err.Error() }
func (e inputError) Unwrap() error { return e.err }

// sinkError is a failure of RunSpec.Sink, the caller's side.
type sinkError struct{ err error }

func (e sinkError) Error() string { return "output sink: " + e.err.Error() }
func (e sinkError) Unwrap() error { return e.err }
