package load

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// FaultReport is what a fault run did and found. Passed is the verdict.
type FaultReport struct {
	DataDir  string        `json:"data_dir"`
	Dataset  string        `json:"dataset"`
	Grant    string        `json:"grant"`
	Rows     int64         `json:"rows"`
	Clients  int           `json:"clients"`
	Seed     uint64        `json:"seed"` // of the kill points and the clients' kinds: run it again with it
	Kills    int           `json:"kills"`
	KillMin  time.Duration `json:"kill_min_ns"`
	KillMax  time.Duration `json:"kill_max_ns"`
	Setup    time.Duration `json:"setup_ns"`
	Duration time.Duration `json:"duration_ns"`
	Cycles   []*KillCycle  `json:"kill_cycles"`
	FullDisk *FullDisk     `json:"full_disk,omitempty"` // nil when an earlier phase failed
	// Problems are the run's own, outside any phase (the final graceful stop).
	Problems []string `json:"problems,omitempty"`
	// Passed: every phase ran and found nothing.
	Passed bool `json:"passed"`
}

// KillCycle is one load cut off by kill -9, and the checks of the restarted server.
type KillCycle struct {
	Cycle       int           `json:"cycle"`
	KilledAfter time.Duration `json:"killed_after_ns"` // when SIGKILL was sent, after the load began
	Requests    int64         `json:"requests"`
	// CutOff counts the requests that got no answer: in flight at the kill, or sent after it.
	CutOff int64 `json:"cut_off"`
	// Released counts the results clients received in this cycle's load; ReleasedSoFar every
	// job released since the setup (loads and probes), each of which the log must hold.
	Released      int   `json:"released"`
	ReleasedSoFar int   `json:"released_so_far"`
	Status5xx     int64 `json:"status_5xx"`
	// Unexpected counts answers other than their kind's expected one, cut-off requests aside.
	Unexpected int64    `json:"unexpected"`
	Samples    []string `json:"unexpected_samples,omitempty"`
	// Restart is how long the restarted server took to answer /health.
	Restart  time.Duration `json:"restart_ns"`
	Log      *LogCheck     `json:"log,omitempty"`
	State    *State        `json:"state,omitempty"`
	ProbeJob string        `json:"probe_job,omitempty"`
	Problems []string      `json:"problems,omitempty"`
}

// FullDisk is the load against a server whose files cannot grow, and the checks after it.
type FullDisk struct {
	MaxFileBytes uint64           `json:"max_file_bytes"`
	Clients      int              `json:"clients"`
	Duration     time.Duration    `json:"duration_ns"`
	Requests     int64            `json:"requests"`
	Codes        map[string]int64 `json:"codes"`
	Released     int              `json:"released"` // must be 0
	// Restart is how long the server restarted with room took to answer /health.
	Restart        time.Duration `json:"restart_ns"`
	LogBefore      *LogCheck     `json:"log_before,omitempty"`
	LogAfter       *LogCheck     `json:"log_after,omitempty"`
	JobsUsedBefore int           `json:"jobs_used_before"`
	JobsUsedAfter  int           `json:"jobs_used_after"`
	Problems       []string      `json:"problems,omitempty"`
}

func (c *KillCycle) problem(format string, args ...any) {
	c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
}

func (d *FullDisk) problem(format string, args ...any) {
	d.Problems = append(d.Problems, fmt.Sprintf(format, args...))
}

func (d *FullDisk) problems(p ...string) { d.Problems = append(d.Problems, p...) }

// Err lists what the run found, phase by phase, and the phases it did not reach; nil when
// every phase ran and found nothing.
func (r *FaultReport) Err() error {
	var errs []error
	for _, c := range r.Cycles {
		for _, p := range c.Problems {
			errs = append(errs, fmt.Errorf("kill cycle %d: %s", c.Cycle, p))
		}
	}
	if r.FullDisk != nil {
		for _, p := range r.FullDisk.Problems {
			errs = append(errs, fmt.Errorf("full disk: %s", p))
		}
	}
	for _, p := range r.Problems {
		errs = append(errs, errors.New(p))
	}
	if len(r.Cycles) < r.Kills || r.FullDisk == nil {
		errs = append(errs, fmt.Errorf("the run stopped after %d of %d kill cycles, before the full disk", len(r.Cycles), r.Kills))
	}
	return errors.Join(errs...)
}

// WriteTable prints the report for people.
func (r *FaultReport) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "fault run on %s: %d citizens, %d clients, seed %d, kill -9 between %s and %s into the load; setup %s, total %s\n\n",
		r.DataDir, r.Rows, r.Clients, r.Seed, r.KillMin, r.KillMax, r.Setup.Round(time.Millisecond), r.Duration.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CYCLE\tKILLED AFTER\tREQUESTS\tCUT OFF\tRELEASED\t5XX\tUNEXPECTED\tRESTART\tLOG ENTRIES\tLOG RELEASED\tMISSING\tJOBS USED\tVERDICT")
	for _, c := range r.Cycles {
		entries, logged, missing, used := "-", "-", "-", "-"
		if c.Log != nil {
			entries, logged, missing = strconv.FormatUint(c.Log.Size, 10), strconv.Itoa(c.Log.Released), strconv.Itoa(len(c.Log.Missing))
			if !c.Log.Verified {
				entries = "DOES NOT VERIFY"
			}
		}
		if c.State != nil {
			used = strconv.Itoa(c.State.JobsUsed)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d (%d so far)\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Cycle, c.KilledAfter.Round(time.Millisecond), c.Requests, c.CutOff,
			c.Released, c.ReleasedSoFar, c.Status5xx, c.Unexpected, ms(c.Restart), entries, logged, missing, used, verdictWord(c.Problems))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range r.Cycles {
		for _, s := range c.Samples {
			fmt.Fprintf(w, "cycle %d unexpected: %s\n", c.Cycle, s)
		}
		for _, p := range c.Problems {
			fmt.Fprintf(w, "cycle %d problem: %s\n", c.Cycle, p)
		}
	}
	if d := r.FullDisk; d != nil {
		fmt.Fprintf(w, "\nfull disk (no file may grow past %d byte): %d clients for %s: %d requests, outcomes %s; %d released: %s\n",
			d.MaxFileBytes, d.Clients, d.Duration.Round(time.Millisecond), d.Requests, codes(d.Codes), d.Released, verdictWord(d.Problems))
		if d.LogAfter != nil {
			fmt.Fprintf(w, "restarted with room in %s: job log %s (before: %d jobs, %d released); jobs used %d (before: %d)\n",
				ms(d.Restart), d.LogAfter, d.LogBefore.Jobs, d.LogBefore.Released, d.JobsUsedAfter, d.JobsUsedBefore)
		}
		for _, p := range d.Problems {
			fmt.Fprintf(w, "full disk problem: %s\n", p)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	verdict := "FAIL"
	if r.Passed {
		verdict = fmt.Sprintf("PASS (%d kill cycles, then the full disk)", len(r.Cycles))
	}
	_, err := fmt.Fprintf(w, "\nverdict: %s\n", verdict)
	return err
}

func verdictWord(problems []string) string {
	if len(problems) > 0 {
		return "FAIL"
	}
	return "ok"
}
