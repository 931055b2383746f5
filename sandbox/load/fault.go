package load

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/inviso/inviso/sandbox/client"
	"github.com/inviso/inviso/sandbox/fault"
)

// Defaults of a fault run: those of `inviso bench fault` (the package's tests use less).
const (
	DefaultFaultKills   = 3
	DefaultFaultClients = 16
	DefaultFaultRows    = 20_000
	DefaultKillMin      = time.Second
	DefaultKillMax      = 5 * time.Second
	DefaultFullDiskFor  = 3 * time.Second
)

// FullDiskFileBytes is the file size limit of the full-disk phase: no file may grow past one
// byte, so the first append to the job log fails.
const FullDiskFileBytes = 1

// stopTimeout bounds a graceful stop (SIGTERM).
const stopTimeout = 40 * time.Second

// fullDiskMix is the full-disk load: queries that would be released and queries that would be
// refused. Both must be logged first, so both must fail with audit_unavailable.
var fullDiskMix = map[Kind]int{Allowed: 4, Large: 2, Refused: 2}

// FaultConfig configures a fault run. The zero value of every field but Start and DataDir
// means its default.
type FaultConfig struct {
	// Start returns the command serving a data directory (required).
	Start Starter
	// DataDir is the servers' data directory (required). A directory that already holds a
	// sandbox is used as it is: the run builds its own world there, with a random suffix.
	DataDir string
	Kills   int // kill cycles (default DefaultFaultKills)
	Clients int // load clients during a kill cycle (default DefaultFaultClients)
	Rows    int // citizens of the world (default DefaultFaultRows)
	// Seed draws the kill points and the clients' choice of request kinds; 0 takes one from the
	// clock. The report says which seed ran.
	Seed uint64
	// The kill falls at a uniformly drawn point in [KillMin, KillMax] after the load began
	// (default DefaultKillMin, DefaultKillMax).
	KillMin, KillMax time.Duration
	// FullDiskFor is how long the full-disk load runs (default DefaultFullDiskFor).
	FullDiskFor time.Duration
	// Log receives the run's progress (default: discarded).
	Log *slog.Logger
}

func (c *FaultConfig) defaults() error {
	if c.Start == nil || c.DataDir == "" {
		return errors.New("load: a fault run needs Start and DataDir")
	}
	if c.Kills < 0 || c.Clients < 0 || c.Rows < 0 || c.KillMin < 0 || c.KillMax < 0 || c.FullDiskFor < 0 {
		return errors.New("load: fault run counts and durations must not be negative")
	}
	c.Kills = cmp.Or(c.Kills, DefaultFaultKills)
	c.Clients = cmp.Or(c.Clients, DefaultFaultClients)
	c.Rows = cmp.Or(c.Rows, DefaultFaultRows)
	c.KillMin = cmp.Or(c.KillMin, DefaultKillMin)
	c.KillMax = cmp.Or(c.KillMax, max(DefaultKillMax, c.KillMin))
	c.FullDiskFor = cmp.Or(c.FullDiskFor, DefaultFullDiskFor)
	if c.KillMax < c.KillMin {
		return fmt.Errorf("load: the kill window ends (%s) before it begins (%s)", c.KillMax, c.KillMin)
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano()) | 1
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// FaultRun runs issue 9's fault run against server processes it starts with cfg.Start on
// cfg.DataDir. It builds a world (Setup), then for each kill cycle runs the load, kills the
// server with SIGKILL at a seeded random point, restarts it on the same directory and checks
// that the job log verifies and holds every result a client saw released so far, that the
// grant, its budget and the dataset versions are intact (Compare), and that a query works
// (Probe). Then the full disk: a server that can grow no file (FullDiskFileBytes) must answer
// every query audit_unavailable and release nothing; restarted with room, its log verifies,
// holds no new job, and the grant spent nothing.
//
// A phase that finds a problem ends the run (the later phases would only repeat it). FaultRun
// returns an error only when it could not run; what it found is in the report, whose Passed
// is the verdict. On an error the report so far comes with it. Every server it started is
// gone when it returns.
func FaultRun(ctx context.Context, cfg FaultConfig) (*FaultReport, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	f := &faultRun{cfg: cfg, log: cfg.Log, rep: &FaultReport{DataDir: cfg.DataDir, Clients: cfg.Clients, Seed: cfg.Seed,
		Kills: cfg.Kills, KillMin: cfg.KillMin, KillMax: cfg.KillMax}}
	start := time.Now()
	err := f.run(ctx)
	if f.srv != nil {
		f.srv.Kill()
	}
	f.rep.Duration = time.Since(start)
	f.rep.Passed = err == nil && f.rep.Err() == nil
	return f.rep, err
}

// faultRun is one run's state: the server of the moment, the world, every released job.
type faultRun struct {
	cfg      FaultConfig
	log      *slog.Logger
	rep      *FaultReport
	srv      *Server
	world    *World
	initial  State    // right after the setup
	released []string // every job id a client saw released since the setup
}

func (f *faultRun) run(ctx context.Context) error {
	if err := f.start(ctx, 0); err != nil {
		return err
	}
	admin, err := f.srv.Admin()
	if err != nil {
		return err
	}
	t := time.Now()
	if f.world, err = Setup(ctx, admin, SetupOptions{Rows: f.cfg.Rows}); err != nil {
		return fmt.Errorf("set up the world: %w", err)
	}
	f.rep.Setup, f.rep.Dataset, f.rep.Grant, f.rep.Rows = time.Since(t), f.world.Dataset, f.world.Grant, f.world.Rows
	if f.initial, err = Snapshot(ctx, f.as(f.world.Developer), f.world.Grant, f.world.Dataset); err != nil {
		return fmt.Errorf("after the setup: %w", err)
	}
	f.log.Info("fault run: world ready", "dataset", f.world.Dataset, "rows", f.world.Rows, "setup", f.rep.Setup.Round(time.Millisecond))

	rng := rand.New(rand.NewPCG(f.cfg.Seed, 0x6b696c6c)) // the kill points' own stream
	for n := 1; n <= f.cfg.Kills; n++ {
		at := f.cfg.KillMin + time.Duration(rng.Int64N(int64(f.cfg.KillMax-f.cfg.KillMin)+1))
		c, err := f.killCycle(ctx, n, at)
		if c != nil {
			if err != nil {
				c.problem("did not finish: %v", err)
			}
			f.rep.Cycles = append(f.rep.Cycles, c)
		}
		if err != nil {
			return fmt.Errorf("kill cycle %d: %w", n, err)
		}
		if len(c.Problems) > 0 {
			return nil
		}
	}
	d, err := f.fullDisk(ctx)
	f.rep.FullDisk = d
	if err != nil {
		d.problem("did not finish: %v", err)
		return fmt.Errorf("full disk: %w", err)
	}
	if len(d.Problems) > 0 {
		return nil
	}
	if err := f.srv.Stop(stopTimeout); err != nil {
		f.rep.Problems = append(f.rep.Problems, "final stop: "+err.Error())
	}
	f.srv = nil
	return nil
}

// start starts a server on the data directory; it becomes the server of the moment.
func (f *faultRun) start(ctx context.Context, maxFileBytes uint64) error {
	s, err := StartServer(ctx, f.cfg.Start, f.cfg.DataDir, maxFileBytes)
	if err != nil {
		return err
	}
	f.srv = s
	f.log.Info("fault run: server started", "pid", s.PID(), "url", s.URL, "max_file_bytes", maxFileBytes)
	return nil
}

func (f *faultRun) as(token string) *client.Client { return f.srv.Client(token) }

func (f *faultRun) loadConfig(clients int, d time.Duration, mix map[Kind]int, seed uint64) Config {
	return Config{Server: f.srv.URL, Token: f.world.Developer, Grant: f.world.Grant, Dataset: f.world.Dataset,
		Clients: clients, Duration: d, Mix: mix, Seed: seed}
}

// killCycle runs the load, kills the server after at, restarts it and checks it.
func (f *faultRun) killCycle(ctx context.Context, n int, at time.Duration) (*KillCycle, error) {
	rep, after, wasRunning, err := f.loadUntilKilled(ctx, at, f.cfg.Seed+uint64(n))
	if err != nil {
		return nil, err
	}
	f.srv = nil
	f.released = append(f.released, rep.Released...)
	c := &KillCycle{Cycle: n, KilledAfter: after, Requests: rep.Requests, CutOff: rep.Codes[Transport],
		Released: rep.ReleasedJobs, Status5xx: rep.Status5xx, Unexpected: unexpectedBesidesTransport(rep),
		Samples: answerSamples(rep.Samples)}
	f.log.Info("fault run: server killed", "cycle", n, "after", after.Round(time.Millisecond), "released", c.Released)
	if !wasRunning {
		c.problem("the server had exited by itself before the kill")
	}
	if c.Status5xx > 0 || c.Unexpected > 0 {
		c.problem("%d 5xx and %d unexpected answers during the load", c.Status5xx, c.Unexpected)
	}
	t := time.Now()
	if err := f.start(ctx, 0); err != nil {
		if ctx.Err() != nil {
			return c, ctx.Err()
		}
		c.problem("restart after kill -9: %v", err)
		return c, nil
	}
	c.Restart = time.Since(t)
	f.checkRestarted(ctx, c)
	c.ReleasedSoFar = len(f.released)
	return c, ctx.Err()
}

// loadUntilKilled runs the load on the server of the moment and kills it with SIGKILL after
// at. It returns the load's report, when the kill was sent, and whether the server was still
// running then.
func (f *faultRun) loadUntilKilled(ctx context.Context, at time.Duration, seed uint64) (*Report, time.Duration, bool, error) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type kill struct {
		after   time.Duration
		running bool
	}
	killed := make(chan kill, 1)
	srv, start := f.srv, time.Now()
	go func() {
		t := time.NewTimer(at)
		defer t.Stop()
		select {
		case <-lctx.Done():
			killed <- kill{}
			return
		case <-t.C:
		}
		k := kill{after: time.Since(start), running: srv.Kill()}
		select { // let the clients see the dead server
		case <-lctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
		cancel()
		killed <- k
	}()
	rep, err := Run(lctx, f.loadConfig(f.cfg.Clients, at+time.Minute, nil, seed))
	cancel()
	k := <-killed
	switch {
	case err != nil:
		return nil, 0, false, err
	case k.after == 0 && ctx.Err() != nil:
		return nil, 0, false, ctx.Err()
	case k.after == 0:
		return nil, 0, false, errors.New("the load ended before the kill")
	}
	return rep, k.after, k.running, nil
}

// checkRestarted checks the restarted server: the log, the grant and versions, a query.
func (f *faultRun) checkRestarted(ctx context.Context, c *KillCycle) {
	w := f.world
	lc, err := CheckLog(ctx, f.as(w.Auditor), w.Grant, f.released)
	if err != nil {
		c.problem("check the job log: %v", err)
		return
	}
	c.Log = lc
	if !lc.OK() {
		c.problem("job log: %s", lc)
	}
	st, err := Snapshot(ctx, f.as(w.Developer), w.Grant, w.Dataset)
	if err != nil {
		c.problem("%v", err)
		return
	}
	c.State = &st
	if err := Compare(f.initial, st, lc); err != nil {
		c.problem("%v", err)
	}
	job, err := Probe(ctx, f.as(w.Developer), w.Grant, w.Dataset)
	if err != nil {
		c.problem("%v", err)
		return
	}
	c.ProbeJob = job
	f.released = append(f.released, job)
}

// fullDisk takes the state on a server with room, restarts the server unable to grow a file,
// runs a short load that must all be refused with audit_unavailable, kills it, restarts it
// with room and checks that nothing changed.
func (f *faultRun) fullDisk(ctx context.Context) (*FullDisk, error) {
	w := f.world
	d := &FullDisk{MaxFileBytes: FullDiskFileBytes, Clients: min(4, f.cfg.Clients)}
	job, err := Probe(ctx, f.as(w.Developer), w.Grant, w.Dataset)
	if err != nil {
		d.problem("before: %v", err)
		return d, ctx.Err()
	}
	f.released = append(f.released, job) // CheckLog waits for a checkpoint covering the probe
	if d.LogBefore, err = CheckLog(ctx, f.as(w.Auditor), w.Grant, f.released); err != nil {
		d.problem("check the job log before: %v", err)
		return d, ctx.Err()
	}
	if !d.LogBefore.OK() {
		d.problem("job log before: %s", d.LogBefore)
		return d, nil
	}
	before, err := Snapshot(ctx, f.as(w.Developer), w.Grant, w.Dataset)
	if err != nil {
		d.problem("before: %v", err)
		return d, ctx.Err()
	}
	d.JobsUsedBefore = before.JobsUsed
	if err := f.srv.Stop(stopTimeout); err != nil {
		d.problem("stop before the full disk: %v", err)
		return d, ctx.Err()
	}
	f.srv = nil

	if err := f.start(ctx, FullDiskFileBytes); err != nil {
		return d, fmt.Errorf("start with a full disk: %w", err)
	}
	rep, err := Run(ctx, f.loadConfig(d.Clients, f.cfg.FullDiskFor, fullDiskMix, f.cfg.Seed))
	if err != nil {
		return d, err
	}
	d.Duration, d.Requests, d.Codes, d.Released = rep.Duration, rep.Requests, rep.Codes, rep.ReleasedJobs
	d.problems(judgeFullDisk(rep)...)
	if !f.srv.Kill() {
		d.problem("the server exited by itself with a full disk")
	}
	f.srv = nil
	f.log.Info("fault run: full disk", "requests", d.Requests, "outcomes", codes(d.Codes), "released", d.Released)

	t := time.Now()
	if err := f.start(ctx, 0); err != nil {
		if ctx.Err() != nil {
			return d, ctx.Err()
		}
		d.problem("restart with room: %v", err)
		return d, nil
	}
	d.Restart = time.Since(t)
	if d.LogAfter, err = CheckLog(ctx, f.as(w.Auditor), w.Grant, f.released); err != nil {
		d.problem("check the job log after: %v", err)
		return d, ctx.Err()
	}
	if !d.LogAfter.OK() {
		d.problem("job log after: %s", d.LogAfter)
	}
	if d.LogAfter.Jobs != d.LogBefore.Jobs || d.LogAfter.Released != d.LogBefore.Released {
		d.problem("the log gained jobs while the disk was full: %d jobs (%d released), was %d (%d)",
			d.LogAfter.Jobs, d.LogAfter.Released, d.LogBefore.Jobs, d.LogBefore.Released)
	}
	after, err := Snapshot(ctx, f.as(w.Developer), w.Grant, w.Dataset)
	if err != nil {
		d.problem("after: %v", err)
		return d, ctx.Err()
	}
	d.JobsUsedAfter = after.JobsUsed
	if err := Compare(before, after, d.LogAfter); err != nil {
		d.problem("after: %v", err)
	}
	if after.JobsUsed != before.JobsUsed {
		d.problem("the grant spent %d jobs while the disk was full", after.JobsUsed-before.JobsUsed)
	}
	if job, err = Probe(ctx, f.as(w.Developer), w.Grant, w.Dataset); err != nil {
		d.problem("after: %v", err)
	} else {
		f.released = append(f.released, job)
	}
	return d, ctx.Err()
}

// judgeFullDisk checks the load run against a server that cannot write its log: every answer
// audit_unavailable, nothing released.
func judgeFullDisk(r *Report) []string {
	var p []string
	if r.Requests == 0 {
		p = append(p, "no request was sent")
	}
	if r.ReleasedJobs > 0 {
		p = append(p, fmt.Sprintf("%d results released while the log could not be written", r.ReleasedJobs))
	}
	if n := r.Codes[string(fault.AuditUnavailable)]; n != r.Requests {
		p = append(p, fmt.Sprintf("%d of %d answers were not %s: %s", r.Requests-n, r.Requests, fault.AuditUnavailable, codes(r.Codes)))
	}
	return p
}

// unexpectedBesidesTransport counts the unexpected answers of a load cut off by a kill,
// leaving out the requests that got no answer (in flight at the kill, or sent after it).
func unexpectedBesidesTransport(r *Report) int64 {
	n := r.Unexpected
	for k, ks := range r.Kinds {
		if Expected(k) != Transport {
			n -= ks.Codes[Transport]
		}
	}
	return n
}

// answerSamples drops, from a report's samples, the requests that got no answer.
func answerSamples(s []string) []string {
	var out []string
	for _, x := range s {
		if !strings.Contains(x, " HTTP 0 "+Transport+":") {
			out = append(out, x)
		}
	}
	return out
}
