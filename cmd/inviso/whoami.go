package main

import (
	"github.com/spf13/cobra"
)

func newWhoamiCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show the principal a token belongs to",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			p, err := c.Whoami(cmd.Context())
			if err != nil {
				return err
			}
			return printJSON(cmd, p)
		},
	}
	cf.register(cmd)
	return cmd
}
