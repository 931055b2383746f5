package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox/client"
)

func newGrantCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "grant", Short: "Show, suspend, resume and revoke grants; get dummy data"}

	var lf clientFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List the grants you may see",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := lf.client()
			if err != nil {
				return err
			}
			gs, err := c.Grants(cmd.Context())
			if err != nil {
				return err
			}
			var rows [][]string
			for _, g := range gs {
				names := make([]string, 0, len(g.Datasets))
				for n := range g.Datasets {
					names = append(names, n)
				}
				rows = append(rows, []string{g.ID, g.Name, string(g.State), g.Developer, fmt.Sprint(g.K), g.ValidUntil.Format("2006-01-02T15:04Z07:00"), strings.Join(names, ",")})
			}
			return printTable(cmd, []string{"ID", "SCENARIO", "STATE", "DEVELOPER", "K", "VALID UNTIL", "DATASETS"}, rows)
		},
	}
	lf.register(list)
	cmd.AddCommand(list, scenarioAction("show", "Show a grant: state, budgets, pins, workspace schema and digest", func(c *client.Client, cmd *cobra.Command, id string) (any, error) {
		return c.Grant(cmd.Context(), id)
	}))
	for _, action := range []string{"suspend", "resume", "revoke"} {
		cmd.AddCommand(grantChange(action))
	}

	var sf clientFlags
	var reason string
	all := &cobra.Command{
		Use:   "suspend-all",
		Short: "Suspend every active grant at once (Art. 24 emergency; implementer or admin)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := sf.client()
			if err != nil {
				return err
			}
			ids, err := c.SuspendAll(cmd.Context(), reason)
			if err != nil {
				return err
			}
			return printJSON(cmd, map[string]any{"suspended": ids})
		},
	}
	sf.register(all)
	all.Flags().StringVar(&reason, "reason", "", "why (recorded)")
	cmd.AddCommand(all, newGrantDummyCmd())
	return cmd
}

func grantChange(action string) *cobra.Command {
	var cf clientFlags
	var reason string
	cmd := &cobra.Command{
		Use:   action + " GRANT",
		Short: strings.ToUpper(action[:1]) + action[1:] + " a grant (implementer role)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			g, err := c.ChangeGrant(cmd.Context(), args[0], action, reason)
			if err != nil {
				return err
			}
			return printJSON(cmd, g)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded)")
	return cmd
}

func newGrantDummyCmd() *cobra.Command {
	var cf clientFlags
	var format, out string
	var rows int
	cmd := &cobra.Command{
		Use:   "dummy GRANT",
		Short: "Download synthetic data with your grant's workspace schema, to write queries offline",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			if out == "" {
				out = args[0] + "-dummy." + map[string]string{"duckdb": "duckdb", "parquet": "parquet"}[format]
			}
			f, err := os.OpenFile(out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			if err := c.Dummy(cmd.Context(), args[0], format, rows, f); err != nil {
				f.Close()
				os.Remove(out)
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "dummy data written to %s\n", out)
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&format, "format", "duckdb", "duckdb or parquet (several tables: a zip of Parquet files)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "output file (default GRANT-dummy.duckdb)")
	cmd.Flags().IntVar(&rows, "rows", 0, "rows per table (default 1000)")
	return cmd
}
