package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox/demo"
	"github.com/inviso/inviso/sandbox/duck"
)

func newDemoCmd() *cobra.Command {
	var opt demo.Options
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Walk through inviso end to end on synthetic Zhaoqing data",
		Long: `demo starts a real server on loopback, registers the agencies and principals of the
regulation, generates synthetic citizens and benefits data, imports it, and shows the refusals a
careful platform gives. Without --data it uses a fresh temporary data directory, removed at the
end unless --keep is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opt.DataDir == "" {
				dir, err := os.MkdirTemp("", "inviso-demo-")
				if err != nil {
					return err
				}
				opt.DataDir = dir
				if !keep {
					defer os.RemoveAll(dir)
				}
			}
			opt.DuckDB = duck.Config{MemoryLimit: os.Getenv("INVISO_MEMORY_LIMIT")}
			_, err := demo.Run(cmd.Context(), cmd.OutOrStdout(), opt)
			if err == nil && keep {
				fmt.Fprintf(cmd.OutOrStdout(), "The data directory is kept: inviso serve --data %s\n", opt.DataDir)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&opt.DataDir, "data", "", "data directory (default: a fresh temporary one)")
	cmd.Flags().IntVar(&opt.Rows, "rows", 20_000, "citizens to generate (1,000 to 50,000,000)")
	cmd.Flags().Int64Var(&opt.Seed, "seed", 1, "generator seed")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary data directory")
	cmd.Flags().StringVar(&opt.PluginBinary, "plugin", "", "the built examples/plugins/riskscore, for the plugin step (make demo builds it)")
	return cmd
}
