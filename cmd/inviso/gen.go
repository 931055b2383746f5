package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/spf13/cobra"

	"github.com/inviso/inviso/connectors/synth"
)

// newGenCmd returns `inviso gen`.
func newGenCmd() *cobra.Command {
	var (
		rows   int
		seed   int64
		format string
		table  string
		out    string
	)
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generate deterministic synthetic Zhaoqing citizens and benefits data",
		Long: `Generate the synthetic citizens (civil affairs) and benefits (social security)
tables into a directory. All data is invented; the same --rows and --seed
always produce byte-identical files.`,
		Example: "  inviso gen --rows 1000000 --seed 1 --format parquet --out data/",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := synth.Config{Rows: rows, Seed: seed}
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("--rows: %w", err)
			}
			f, err := synth.ParseFormat(format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			tables, err := genTables(table)
			if err != nil {
				return fmt.Errorf("--table: %w", err)
			}
			if out == "" {
				return fmt.Errorf("--out: must not be empty")
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			mem := memory.NewGoAllocator()
			for _, t := range tables {
				path, n, err := synth.WriteFile(ctx, out, mem, t, f, cfg)
				if err != nil {
					return fmt.Errorf("gen: %w", err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s\t%d\n", path, n)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&rows, "rows", 100_000, fmt.Sprintf("number of citizens (%d to %d); benefits follow", synth.MinRows, synth.MaxRows))
	fl.Int64Var(&seed, "seed", 1, "seed selecting the data set")
	fl.StringVar(&format, "format", string(synth.CSV), "output format: "+joinNames(synth.Formats()))
	fl.StringVar(&table, "table", "all", "table to write: "+joinNames(synth.Tables())+" or all")
	fl.StringVar(&out, "out", ".", "output directory, created if missing")
	return cmd
}

// genTables resolves the --table flag.
func genTables(s string) ([]synth.Table, error) {
	if s == "all" {
		return synth.Tables(), nil
	}
	t, err := synth.ParseTable(s)
	if err != nil {
		return nil, err
	}
	return []synth.Table{t}, nil
}

func joinNames[T ~string](names []T) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}
