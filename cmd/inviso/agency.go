package main

import (
	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox/catalog"
)

func newAgencyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "agency", Short: "Register and list agencies (admin)"}

	var cf clientFlags
	var a catalog.Agency
	var kind string
	create := &cobra.Command{
		Use:   "create",
		Short: "Register an agency",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			a.Kind = catalog.AgencyKind(kind)
			out, err := c.CreateAgency(cmd.Context(), a)
			if err != nil {
				return err
			}
			return printJSON(cmd, out)
		},
	}
	cf.register(create)
	create.Flags().StringVar(&a.ID, "id", "", "agency id, e.g. civil-affairs")
	create.Flags().StringVar(&a.Name, "name", "", "agency name, e.g. 肇庆市民政局")
	create.Flags().StringVar(&kind, "kind", "", "data_management, implementing, operating, development, source or supervision")
	for _, f := range []string{"id", "name", "kind"} {
		create.MarkFlagRequired(f)
	}

	var lf clientFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List agencies",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := lf.client()
			if err != nil {
				return err
			}
			as, err := c.Agencies(cmd.Context())
			if err != nil {
				return err
			}
			var rows [][]string
			for _, a := range as {
				rows = append(rows, []string{a.ID, string(a.Kind), a.Name})
			}
			return printTable(cmd, []string{"ID", "KIND", "NAME"}, rows)
		},
	}
	lf.register(list)
	cmd.AddCommand(create, list)
	return cmd
}
