package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
		maxRSS   int64
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
			bound, err := rssBound(maxRSS, spawn, memLimit)
			if err != nil {
				return err
			}
			rep, err := load.Run(ctx, cfg)
			if err != nil {
				return err
			}
			if cfg.ServerPID > 0 {
				rep.RSSBoundBytes = bound
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
	f.Int64Var(&maxRSS, "max-rss-mib", 0, "fail if the server's RSS (sampled with --pid or --spawn) exceeds this many MiB (default with --spawn --memory-limit: the limit plus 1,024 MiB)")
	return cmd
}

// RSSMarginMiB is what a server may hold beyond its workspace instance's DuckDB memory limit:
// the Go heap, OPA, the control and parser DuckDB instances, Arrow buffers in flight.
const RSSMarginMiB = 1024

// rssBound is the RSS bound of a load run in bytes (0: none): --max-rss-mib, or for a server
// --spawn starts with a memory limit, that limit plus RSSMarginMiB.
func rssBound(maxMiB int64, spawn bool, memLimit string) (int64, error) {
	switch {
	case maxMiB < 0:
		return 0, errors.New("--max-rss-mib must be positive")
	case maxMiB > 0:
		return maxMiB << 20, nil
	case !spawn || memLimit == "":
		return 0, nil
	}
	limit, err := parseBytes(memLimit)
	if err != nil {
		return 0, fmt.Errorf("--memory-limit: %w", err)
	}
	return limit + RSSMarginMiB<<20, nil
}

// parseBytes reads a size as DuckDB's memory_limit takes it: a number and KB, MB, GB, TB
// (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), or B.
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 {
		return 0, fmt.Errorf("%q is not a size such as 1GB or 512MiB", s)
	}
	n, err := strconv.ParseFloat(t[:i], 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size such as 1GB or 512MiB", s)
	}
	units := map[string]float64{"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}
	u, ok := units[strings.ToUpper(strings.TrimSpace(t[i:]))]
	if !ok {
		return 0, fmt.Errorf("%q has an unknown unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)", s)
	}
	return int64(n * u), nil
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
	if r.RSSBoundBytes > 0 && r.MaxRSSBytes > r.RSSBoundBytes {
		errs = append(errs, fmt.Errorf("server RSS reached %d MiB, over the bound of %d MiB", r.MaxRSSBytes>>20, r.RSSBoundBytes>>20))
	}
	return errors.Join(errs...)
}
