package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox"
	"github.com/inviso/inviso/sandbox/api"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/load"
)

// DefaultListen is where `inviso serve` listens without flags.
const DefaultListen = "127.0.0.1:8470"

func newServeCmd() *cobra.Command {
	var (
		dataDir, listen, memLimit, logLevel, policyDir string
		threads                                        int
		maxUpload                                      int64
		pluginInsecure                                 bool
		faultMaxFileBytes                              uint64
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the sandbox server (creates the data directory and an admin token on first start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			log := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			sb, err := sandbox.Open(cmd.Context(), sandbox.Options{
				DataDir:   dataDir,
				DuckDB:    duck.Config{MemoryLimit: memLimit, Threads: threads},
				Logger:    log,
				PolicyDir: policyDir,

				PluginInsecureDev: pluginInsecure,
			})
			if err != nil {
				return err
			}
			defer sb.Close()
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", listen, err)
			}
			if faultMaxFileBytes > 0 {
				// Fault injection for `inviso bench fault`: from here on no file may grow, so the
				// job log's appends fail (EFBIG) as on a full disk, and every query must be answered
				// audit_unavailable.
				if err := load.LimitFileSize(faultMaxFileBytes); err != nil {
					return err
				}
				log.Warn("FAULT INJECTION: no file may grow past the limit; the job log cannot be written", "max_file_bytes", faultMaxFileBytes)
			}
			if sb.AdminTokenCreated {
				fmt.Fprintf(cmd.OutOrStdout(), "admin token written to %s (mode 0600; shown nowhere else)\n", sb.AdminTokenPath)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "inviso %s serving http://%s with data directory %s\n", api.Version, ln.Addr(), dataDir)
			log.Info("serving", "listen", ln.Addr().String(), "data", dataDir)
			return api.Serve(cmd.Context(), ln, api.New(sb, api.Options{Logger: log, MaxUploadBytes: maxUpload}), log)
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", envOr("INVISO_DATA", sandbox.DefaultDataDir), "data directory (INVISO_DATA)")
	f.StringVar(&listen, "listen", envOr("INVISO_LISTEN", DefaultListen), "listen address (INVISO_LISTEN)")
	f.StringVar(&memLimit, "memory-limit", os.Getenv("INVISO_MEMORY_LIMIT"), "DuckDB memory_limit per instance, e.g. 4GB (INVISO_MEMORY_LIMIT; default DuckDB's)")
	f.IntVar(&threads, "threads", envInt("INVISO_THREADS", 0), "DuckDB threads per instance (INVISO_THREADS; 0 = one per core)")
	f.Int64Var(&maxUpload, "max-upload", api.DefaultMaxUploadBytes, "largest accepted upload in bytes")
	f.StringVar(&policyDir, "policy-dir", os.Getenv("INVISO_POLICY_DIR"), "extra .rego files (package inviso.extra.<name>) that can only add denials (INVISO_POLICY_DIR)")
	f.BoolVar(&pluginInsecure, "insecure-plugins-without-isolation", false, "DEVELOPMENT ONLY: run plugin jobs even where this host cannot isolate them (logged loudly on every run)")
	f.StringVar(&logLevel, "log-level", envOr("INVISO_LOG_LEVEL", "info"), "debug, info, warn or error (INVISO_LOG_LEVEL)")
	f.Uint64Var(&faultMaxFileBytes, "fault-max-file-bytes", 0, "FAULT INJECTION for inviso bench fault: once the sandbox is open, grow no file past `N` bytes (RLIMIT_FSIZE), so the job log's writes fail as on a full disk; 0 = off")
	f.MarkHidden("fault-max-file-bytes") // a test hook, never wanted on a real server
	return cmd
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return def
}
