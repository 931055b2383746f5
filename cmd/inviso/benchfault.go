package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox/load"
)

func newBenchFaultCmd() *cobra.Command {
	var (
		cfg                 load.FaultConfig
		data, serverLog     string
		memLimit            string
		threads             int
		keep, asJSON, quiet bool
	)
	cmd := &cobra.Command{
		Use:   "fault",
		Short: "Fault-run servers it starts itself: kill -9 at random points of the load and restart, then a full disk",
		Long: `fault starts ` + "`inviso serve`" + ` (this binary) on a data directory, builds the load world there (--rows
citizens, one approved SQL grant) and snapshots the grant and the dataset's versions. Then, --kills
times: --clients clients run the load (allowed, refused, malformed and large requests), the server
is killed with SIGKILL at a random point between --kill-min and --kill-max into the load (drawn
from --seed), and restarted on the same directory. The restarted server must hold, in a job log
that verifies, every job a client saw released so far; the grant's state, budget and workspace
and the dataset's versions must be unchanged, its jobs used what the log says; a query must work.

Then the full disk: the server is restarted unable to grow any file (--fault-max-file-bytes 1 of
serve, RLIMIT_FSIZE: the job log's appends really fail). Every query, allowed or refused, must be
answered audit_unavailable and no result released. Restarted with room, the log verifies and
gained no job, and the grant spent nothing.

It prints a table (or --json) and exits non-zero when any check fails. The data directory is a
fresh temporary one, removed afterwards unless --keep; the servers' own log is discarded unless
--server-log names a file.`,
		Example: "  inviso bench fault --kills 3 --clients 16 --rows 20000\n  inviso bench fault --seed 42 --kill-min 500ms --kill-max 2s --keep --server-log fault-servers.log",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFaultFlags(cfg); err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find this binary to start servers: %w", err)
			}
			if data == "" {
				tmp, err := os.MkdirTemp("", "inviso-fault-")
				if err != nil {
					return err
				}
				if keep {
					fmt.Fprintf(cmd.ErrOrStderr(), "data directory kept in %s\n", tmp)
				} else {
					defer os.RemoveAll(tmp)
				}
				data = filepath.Join(tmp, "data")
			}
			var serverOut io.Writer
			if serverLog != "" {
				f, err := os.OpenFile(serverLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
				if err != nil {
					return fmt.Errorf("--server-log: %w", err)
				}
				defer f.Close()
				serverOut = f
			}
			cfg.DataDir, cfg.Start = data, serveStarter(exe, serverOut, threads, memLimit)
			progress := io.Writer(cmd.ErrOrStderr())
			if quiet {
				progress = io.Discard
			}
			cfg.Log = slog.New(slog.NewTextHandler(progress, nil))
			rep, err := load.FaultRun(cmd.Context(), cfg)
			if rep != nil {
				var perr error
				if asJSON {
					perr = printJSON(cmd, rep)
				} else {
					perr = rep.WriteTable(cmd.OutOrStdout())
				}
				if err == nil {
					err = perr
				}
			}
			if err != nil {
				return err
			}
			return rep.Err()
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "data directory of the servers (default: a fresh temporary one)")
	f.BoolVar(&keep, "keep", false, "keep the temporary data directory")
	f.IntVar(&cfg.Kills, "kills", load.DefaultFaultKills, "kill -9 and restart cycles")
	f.IntVar(&cfg.Clients, "clients", load.DefaultFaultClients, "concurrent clients during a kill cycle's load")
	f.IntVar(&cfg.Rows, "rows", load.DefaultFaultRows, "citizens to generate and import")
	f.Uint64Var(&cfg.Seed, "seed", 0, "seed of the kill points and the clients' request kinds (0: from the clock; the report says which)")
	f.DurationVar(&cfg.KillMin, "kill-min", load.DefaultKillMin, "earliest kill, after the load begins")
	f.DurationVar(&cfg.KillMax, "kill-max", load.DefaultKillMax, "latest kill, after the load begins")
	f.DurationVar(&cfg.FullDiskFor, "full-disk-for", load.DefaultFullDiskFor, "how long the load against the full disk runs")
	f.IntVar(&threads, "threads", 0, "DuckDB threads per instance of the servers (0: serve's default)")
	f.StringVar(&memLimit, "memory-limit", "", "DuckDB memory_limit per instance of the servers, e.g. 1GB (default: serve's)")
	f.StringVar(&serverLog, "server-log", "", "append the servers' own log (level warn) to this file")
	f.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// checkFaultFlags refuses values the library would read as "the default".
func checkFaultFlags(c load.FaultConfig) error {
	var errs []error
	if c.Kills < 1 {
		errs = append(errs, errors.New("--kills must be at least 1"))
	}
	if c.Clients < 1 {
		errs = append(errs, errors.New("--clients must be at least 1"))
	}
	if c.Rows < 1000 {
		errs = append(errs, errors.New("--rows must be at least 1,000"))
	}
	if c.KillMin <= 0 || c.KillMax < c.KillMin {
		errs = append(errs, fmt.Errorf("--kill-min (%s) must be positive and at most --kill-max (%s)", c.KillMin, c.KillMax))
	}
	if c.FullDiskFor <= 0 {
		errs = append(errs, errors.New("--full-disk-for must be positive"))
	}
	return errors.Join(errs...)
}

// serveStarter starts `exe serve` on a loopback port. The servers' log goes to logTo through
// a pipe, never as a file of their own: under the full disk's file size limit their writes to
// it would fail.
func serveStarter(exe string, logTo io.Writer, threads int, memLimit string) load.Starter {
	return func(dir string, maxFileBytes uint64) *exec.Cmd {
		args := []string{"serve", "--data", dir, "--listen", "127.0.0.1:0", "--log-level", "warn"}
		if threads > 0 {
			args = append(args, "--threads", strconv.Itoa(threads))
		}
		if memLimit != "" {
			args = append(args, "--memory-limit", memLimit)
		}
		if maxFileBytes > 0 {
			args = append(args, "--fault-max-file-bytes", strconv.FormatUint(maxFileBytes, 10))
		}
		cmd := exec.Command(exe, args...)
		if logTo != nil {
			cmd.Stderr = struct{ io.Writer }{logTo}
		}
		return cmd
	}
}
