package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox/client"
)

func newQueryCmd() *cobra.Command {
	var cf clientFlags
	var grant, format, out string
	var check bool
	cmd := &cobra.Command{
		Use:   "query --grant GRANT SQL",
		Short: "Run a SQL job under a grant (developer role); only groups of at least k people come back",
		Long: `query sends one SELECT to the sandbox. The gate parses it with DuckDB's own parser, the policy
decides it (every reason is shown if it refuses), and only aggregated groups of at least k distinct
people are released. --check decides without running. Results print as a table, or are written to
--out as arrow (IPC stream), csv, json or parquet.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			if check {
				res, err := c.Query(cmd.Context(), grant, args[0], true)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "allowed (job %s); not run\n", res.Job)
				return nil
			}
			switch format {
			case "table", "json":
				res, err := c.Query(cmd.Context(), grant, args[0], false)
				if err != nil {
					return err
				}
				if format == "json" {
					return printJSON(cmd, res)
				}
				rows := make([][]string, len(res.Rows))
				for i, r := range res.Rows {
					for _, v := range r {
						if v == nil {
							rows[i] = append(rows[i], "NULL")
						} else {
							rows[i] = append(rows[i], fmt.Sprint(v))
						}
					}
				}
				if err := printTable(cmd, res.Columns, rows); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "job %s: %d rows released (groups under k are left out, silently)\n", res.Job, len(res.Rows))
				printNoise(cmd, res)
				return nil
			case "arrow", "csv", "parquet":
			default:
				return fmt.Errorf("--format %q: want table, json, csv, arrow or parquet", format)
			}
			if out == "" {
				return fmt.Errorf("--format %s needs --out FILE", format)
			}
			f, err := os.OpenFile(out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			defer f.Close()
			accept := "application/vnd.apache.arrow.stream"
			if format == "csv" {
				accept = "text/csv"
			}
			if format != "parquet" {
				job, err := c.QueryStream(cmd.Context(), grant, args[0], accept, f)
				if err != nil {
					os.Remove(out)
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "job %s: result written to %s\n", job, out)
				return f.Close()
			}
			tmp, err := os.CreateTemp("", "inviso-result-*.arrows")
			if err != nil {
				return err
			}
			defer os.Remove(tmp.Name())
			defer tmp.Close()
			job, err := c.QueryStream(cmd.Context(), grant, args[0], accept, tmp)
			if err != nil {
				os.Remove(out)
				return err
			}
			if _, err := tmp.Seek(0, 0); err != nil {
				return err
			}
			rdr, err := ipc.NewReader(tmp)
			if err != nil {
				return err
			}
			defer rdr.Release()
			pw, err := pqarrow.NewFileWriter(rdr.Schema(), f, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
			if err != nil {
				return err
			}
			for rdr.Next() {
				if err := pw.Write(rdr.RecordBatch()); err != nil {
					return err
				}
			}
			if err := pw.Close(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "job %s: result written to %s\n", job, out)
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&grant, "grant", os.Getenv("INVISO_GRANT"), "grant id (INVISO_GRANT)")
	cmd.Flags().BoolVar(&check, "check", false, "decide only: show the decision and every reason, run nothing")
	cmd.Flags().StringVar(&format, "format", "table", "table, json, csv, arrow or parquet")
	cmd.Flags().StringVarP(&out, "out", "o", "", "output file for csv, arrow and parquet")
	cmd.MarkFlagRequired("grant")
	return cmd
}

// printNoise tells how to read a DP result: each noisy column's 95% interval, the threshold
// groups passed and the budget left.
func printNoise(cmd *cobra.Command, res client.QueryResult) {
	if res.Budget == nil {
		return
	}
	w := cmd.ErrOrStderr()
	fmt.Fprintf(w, "differential privacy: groups released when their noisy count of people reached %d\n", res.Threshold)
	for _, col := range res.Columns {
		n, ok := res.Noise[col]
		switch {
		case !ok:
		case n.Parts == nil:
			fmt.Fprintf(w, "  %s: noisy (%s, epsilon %g), ±%g with 95%% probability\n", col, n.Mechanism, n.Epsilon, n.CI95)
		default:
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(n.Parts)) {
				parts = append(parts, fmt.Sprintf("%s ±%g", k, n.Parts[k].CI95))
			}
			fmt.Fprintf(w, "  %s: computed from noisy parts (epsilon %g): %s (95%%)\n", col, n.Epsilon, strings.Join(parts, ", "))
		}
	}
	fmt.Fprintf(w, "privacy budget: epsilon %g spent of %g, %g left\n", res.Budget.Spent, res.Budget.Total, res.Budget.Remaining)
}
