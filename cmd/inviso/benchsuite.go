package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox"
	"github.com/inviso/inviso/sandbox/api"
	"github.com/inviso/inviso/sandbox/client"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/load"
	"github.com/inviso/inviso/sandbox/pgbaseline"
)

func newBenchSuiteCmd() *cobra.Command {
	var (
		rows     int
		reps     int
		out      string
		threads  int
		postgres bool
	)
	cmd := &cobra.Command{
		Use:   "suite",
		Short: "Run the SQL suite at a chosen scale: raw DuckDB, gated in-process, gated over HTTP with Arrow; write Markdown and JSON",
		Long: `suite builds a throwaway sandbox in a temporary directory, serves its API on loopback, loads
--rows synthetic citizens through the API, approves a grant, and runs the SQL jobs issue's
queries (citizens, benefits, and their join) three ways side by side: raw DuckDB on a copy of the grant's workspace, gated
in-process, and gated over HTTP with an Arrow IPC result. It prints a Markdown table and, with
--out, writes bench-suite.md and bench-suite.json there. With --postgres it also runs each query
on the same rows in a throwaway PostgreSQL cluster (Debian's server on a unix socket, the rows
loaded with COPY and ANALYZEd), the database a user might otherwise query.`,
		Example: "  inviso bench suite --rows 10000000 --out docs/",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := runSuite(cmd.Context(), rows, reps, threads, postgres)
			if err != nil {
				return err
			}
			rep.Command = "inviso bench suite " + strings.Join(os.Args[3:], " ")
			if err := rep.WriteMarkdown(cmd.OutOrStdout()); err != nil {
				return err
			}
			if out == "" {
				return nil
			}
			for name, write := range map[string]func(*os.File) error{
				"bench-suite.md":   func(f *os.File) error { return rep.WriteMarkdown(f) },
				"bench-suite.json": func(f *os.File) error { return rep.WriteJSON(f) },
			} {
				f, err := os.Create(filepath.Join(out, name))
				if err != nil {
					return err
				}
				err = write(f)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&rows, "rows", 1_000_000, "synthetic citizens (1,000 to 50,000,000)")
	cmd.Flags().IntVar(&reps, "reps", 5, "runs of each query each way")
	cmd.Flags().IntVar(&threads, "threads", 0, "DuckDB threads per instance (0: one per core)")
	cmd.Flags().StringVar(&out, "out", "", "directory for bench-suite.md and bench-suite.json")
	cmd.Flags().BoolVar(&postgres, "postgres", false, "also run the suite on the same rows in a throwaway PostgreSQL cluster (needs root and apt-get install postgresql)")
	return cmd
}

func runSuite(ctx context.Context, rows, reps, threads int, postgres bool) (*load.SuiteReport, error) {
	if rows < 1000 || rows > 50_000_000 {
		return nil, fmt.Errorf("--rows must be between 1,000 and 50,000,000")
	}
	dir, err := os.MkdirTemp("", "inviso-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	sb, err := sandbox.Open(ctx, sandbox.Options{DataDir: dir, DuckDB: duck.Config{Threads: threads}, QueryTimeout: 10 * time.Minute})
	if err != nil {
		return nil, err
	}
	defer sb.Close()
	base, stop, err := api.ServeLoopback(ctx, api.New(sb, api.Options{MaxUploadBytes: 16 << 30}), slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	defer stop() // before sb.Close: the server is gone before the sandbox closes
	tok, err := os.ReadFile(sb.AdminTokenPath)
	if err != nil {
		return nil, err
	}
	admin, err := client.New(base, strings.TrimSpace(string(tok)), nil)
	if err != nil {
		return nil, err
	}
	w, err := load.Setup(ctx, admin, load.SetupOptions{Rows: rows, Benefits: true})
	if err != nil {
		return nil, err
	}
	dev, err := sb.Authenticate(ctx, w.Developer)
	if err != nil {
		return nil, err
	}
	httpc, err := client.New(base, w.Developer, nil)
	if err != nil {
		return nil, err
	}
	ws, err := sb.WorkspacePath(ctx, w.Grant)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(ws)
	if err != nil {
		return nil, err
	}
	cp := filepath.Join(dir, "raw-copy.duckdb")
	if err := os.WriteFile(cp, b, 0o600); err != nil {
		return nil, err
	}
	var pg *sql.DB
	if postgres { // loaded from the copy before the raw instance holds it
		p, err := pgbaseline.Start(ctx)
		if err != nil {
			return nil, err
		}
		defer p.Close()
		if err := p.LoadFrom(ctx, cp); err != nil {
			return nil, err
		}
		pg = p.DB
	}
	raw, err := duck.Open(ctx, cp, duck.Config{ReadOnly: true, Threads: threads})
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	queries, err := load.RunSuite(ctx, load.SuiteConfig{Table: w.Dataset, Benefits: w.Benefits, Reps: reps, Raw: raw, HTTP: httpc, Grant: w.Grant, Postgres: pg,
		Gated: func(ctx context.Context, q string) error {
			res, err := sb.Query(ctx, dev, w.Grant, q, false)
			if err != nil {
				return err
			}
			res.Release()
			return nil
		}})
	if err != nil {
		return nil, err
	}
	return &load.SuiteReport{Date: time.Now().UTC().Format("2006-01-02"), Machine: load.Machine(), Rows: w.Rows, Reps: reps, Queries: queries}, nil
}
