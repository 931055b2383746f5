package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func newPluginCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "plugin", Short: "Plugin jobs: upload a binary to have its digest reviewed in a scenario"}
	var cf clientFlags
	upload := &cobra.Command{
		Use:   "upload BINARY",
		Short: "Upload a statically linked plugin binary; prints its digest (list it with scenario request --plugin)",
		Example: `  CGO_ENABLED=0 go build -o riskscore ./examples/plugins/riskscore
  inviso plugin upload riskscore`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			d, err := c.PutPlugin(cmd.Context(), f)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), d)
			return nil
		},
	}
	cf.register(upload)
	cmd.AddCommand(upload)
	return cmd
}
