package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox/client"
	"github.com/inviso/inviso/sandbox/load"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load-run a server (load), kill it and fill its disk (fault), run the SQL suite at a chosen scale (suite), write BENCHMARKS.md (report)",
	}
	cmd.AddCommand(newBenchLoadCmd(), newBenchSuiteCmd(), newBenchFaultCmd(), newBenchReportCmd())
	return cmd
}

func newBenchLoadCmd() *cobra.Command {
	var (
		cf       clientFlags
		setup    load.SetupOptions
		cfg      load.Config
		noVerify bool
		asJSON   bool
		mix      string
		spawn    bool
		threads  int
		memLimit string
	)
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Load-run a server: concurrent clients mixing allowed, refused, malformed and large queries",
		Long: `load needs the platform administrator's token (<data>/admin.token). With it, it builds its own
world over the API: four agencies and principals, a synthetic citizens dataset (--rows), its rules
and one approved SQL grant, all named with a random suffix so it can run again on the same server.

Then --clients clients send, for --duration, a mix of allowed aggregate queries, queries with many
groups (Arrow), queries the policy refuses, and malformed requests (bad JSON, invalid UTF-8, an
unknown grant, a body over 1 MiB). It reports throughput, p50/p95/p99 latency per kind, outcomes
by stable code, 5xx answers (none is deliberate) and, with --pid, the server's RSS over time.
Afterwards it verifies the job log through the audit API and checks it holds every job a client
saw released. It exits non-zero on any 5xx, unexpected answer or log problem.

With --spawn it needs no server: it starts its own inviso serve (this binary) on a fresh
temporary data directory (--threads, --memory-limit passed on), samples its RSS, and stops and
removes it afterwards (make bench runs the long load run this way).`,
		Example: "  inviso bench load --server http://127.0.0.1:8470 --token-file inviso-data/admin.token --clients 32 --duration 60s --pid $(pgrep -f 'inviso serve')\n" +
			"  inviso bench load --spawn --memory-limit 1GB --clients 32 --duration 60s --json > load.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if mix != "" {
				m, err := load.ParseMix(mix)
				if err != nil {
					return err
				}
				cfg.Mix = m
			}
			ctx := cmd.Context()
			var admin *client.Client
			if spawn {
				srv, err := spawnServer(ctx, threads, memLimit)
				if err != nil {
					return err
				}
				defer srv.close()
				if admin, err = srv.Admin(); err != nil {
					return err
				}
				cf.server, cfg.ServerPID = srv.URL, srv.PID()
			} else {
				if threads != 0 || memLimit != "" {
					return errors.New("--threads and --memory-limit configure the server --spawn starts; a running server has its own")
				}
				var err error
				if admin, err = cf.client(); err != nil {
					return err
				}
			}
			w, err := load.Setup(ctx, admin, setup)
			if err != nil {
				return fmt.Errorf("set up the load world: %w", err)
			}
			cfg.Server, cfg.Token, cfg.Grant, cfg.Dataset = cf.server, w.Developer, w.Grant, w.Dataset
			if !noVerify {
				cfg.Auditor = w.Auditor
			}
			rep, err := load.Run(ctx, cfg)
			if err != nil {
				return err
			}
			if asJSON {
				err = printJSON(cmd, rep)
			} else {
				err = rep.WriteTable(cmd.OutOrStdout())
			}
			if err != nil {
				return err
			}
			return verdict(rep)
		},
	}
	cf.register(cmd)
	f := cmd.Flags()
	f.IntVar(&cfg.Clients, "clients", 32, "concurrent clients")
	f.DurationVar(&cfg.Duration, "duration", 60*time.Second, "how long to send requests")
	f.IntVar(&cfg.ServerPID, "pid", 0, "the server's process id, to sample its RSS (local servers only)")
	f.DurationVar(&cfg.RSSInterval, "rss-interval", time.Second, "RSS sampling period")
	f.Uint64Var(&cfg.Seed, "mix-seed", 1, "seed of the clients' choice of request kinds")
	f.StringVar(&mix, "mix", "", "request kinds and weights, e.g. allowed=1 (only small allowed queries); default allowed=50,large=15,refused=20,bad_json=4,bad_utf8=4,unknown_grant=5,oversize=2")
	f.IntVar(&setup.Rows, "rows", 5000, "citizens to generate and import")
	f.Int64Var(&setup.Seed, "seed", 1, "synthetic data seed")
	f.BoolVar(&noVerify, "no-verify", false, "skip the job log check after the run")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.BoolVar(&spawn, "spawn", false, "start a server of this binary on a temporary data directory instead of using --server")
	f.IntVar(&threads, "threads", 0, "with --spawn: DuckDB threads per instance of the server")
	f.StringVar(&memLimit, "memory-limit", "", "with --spawn: DuckDB memory_limit per instance of the server, e.g. 1GB")
	return cmd
}

// spawned is a server bench load started, with its temporary data directory.
type spawned struct {
	*load.Server
	tmp string
}

// spawnServer starts `inviso serve` (this binary) on a fresh temporary data directory.
func spawnServer(ctx context.Context, threads int, memLimit string) (*spawned, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "inviso-load-")
	if err != nil {
		return nil, err
	}
	srv, err := load.StartServer(ctx, serveStarter(exe, nil, threads, memLimit), filepath.Join(tmp, "data"), 0)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return &spawned{Server: srv, tmp: tmp}, nil
}

// close stops the server and removes its data directory.
func (s *spawned) close() {
	s.Stop(time.Minute)
	os.RemoveAll(s.tmp)
}

// verdict fails a run whose server answered with a 5xx or unexpectedly, or whose log is wrong.
func verdict(r *load.Report) error {
	var errs []error
	if r.Status5xx > 0 || r.Unexpected > 0 {
		errs = append(errs, fmt.Errorf("%d 5xx and %d unexpected answers", r.Status5xx, r.Unexpected))
	}
	if r.Log != nil && !r.Log.OK() {
		errs = append(errs, fmt.Errorf("job log: %s", r.Log))
	}
	return errors.Join(errs...)
}
