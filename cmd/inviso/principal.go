package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox/catalog"
)

func newPrincipalCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "principal", Short: "Create and list principals (admin)"}

	var cf clientFlags
	var id, agency string
	var roles []string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a principal and print its token (shown only once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			rs := make([]catalog.Role, len(roles))
			for i, r := range roles {
				rs[i] = catalog.Role(r)
			}
			p, tok, err := c.CreatePrincipal(cmd.Context(), id, agency, rs...)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "principal %s created; its token is printed below once and cannot be shown again\n", p.ID)
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	cf.register(create)
	create.Flags().StringVar(&id, "id", "", "principal id, e.g. alice")
	create.Flags().StringVar(&agency, "agency", "", "agency the principal acts for")
	create.Flags().StringSliceVar(&roles, "role", nil, "role (repeatable): admin, operator, implementer, source, developer, auditor")
	for _, f := range []string{"id", "agency", "role"} {
		create.MarkFlagRequired(f)
	}

	var lf clientFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List principals (never their tokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := lf.client()
			if err != nil {
				return err
			}
			ps, err := c.Principals(cmd.Context())
			if err != nil {
				return err
			}
			var rows [][]string
			for _, p := range ps {
				names := make([]string, len(p.Roles))
				for i, r := range p.Roles {
					names[i] = string(r)
				}
				rows = append(rows, []string{p.ID, p.Agency, strings.Join(names, ",")})
			}
			return printTable(cmd, []string{"ID", "AGENCY", "ROLES"}, rows)
		},
	}
	lf.register(list)
	cmd.AddCommand(create, list)
	return cmd
}
