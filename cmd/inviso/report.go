package main

import (
	"io"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox/client"
	"github.com/inviso/inviso/sandbox/report"
)

func newDiscloseCmd() *cobra.Command {
	var server, format, out string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "disclose",
		Short: "Show the public disclosure (Art. 21): grants, products, usage, log checkpoint; no token needed",
		Long: `disclose prints what the platform publishes under Art. 21: every grant with its grantee,
scenario, purpose, use, datasets and columns, job kinds, validity and state; the product list;
jobs per grant and per dataset, counted from the job log; and the signed checkpoint those counts
were computed from, with the log's verifier key. It is public: no token is sent.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				format = string(report.JSON)
			}
			f, err := report.ParseFormat(format, report.Markdown)
			if err != nil {
				return err
			}
			c, err := client.New(server, "", nil) // public: never send a token where none is needed
			if err != nil {
				return err
			}
			return writeOut(cmd, out, func(w io.Writer) error { return c.WriteDisclosure(cmd.Context(), f, w) })
		},
	}
	cmd.Flags().StringVar(&server, "server", envOr("INVISO_SERVER", client.DefaultServer), "server address (INVISO_SERVER)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the raw JSON document (same as --format json)")
	cmd.Flags().StringVar(&format, "format", "md", "md (readable tables), csv (one row per grant) or json")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write to this file instead of standard output")
	return cmd
}

func newReportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Operating reports computed from the job log (auditor, admin or implementer role)",
		Long: `report prints the reports the regulation asks for, computed from the job log (the record of
truth) and naming the signed checkpoint they were computed from:

  quarterly  the operating agency's quarterly report (Art. 28): per grant and per agency of the
             grantee, jobs run, refused and checked, refusal reasons, datasets used, rows scanned
  sources    the annual report on data-source agencies (Art. 22): per source agency and dataset,
             versions imported, rules changes, consents loaded, scenarios consented to, grants
             using its data, jobs that read it and rows scanned

Periods are in UTC. Output is Markdown unless --format says csv or json.`,
	}
	cmd.AddCommand(
		reportCmd("quarterly", "quarter", "the quarter, YYYYQn (e.g. 2026Q3)", "Quarterly operating report per grant and agency (Art. 28)", report.Quarter),
		reportCmd("sources", "year", "the year, YYYY (e.g. 2026)", "Annual report per data-source agency (Art. 22)", report.Year),
	)
	return cmd
}

func reportCmd(kind, param, paramHelp, short string, parse func(string) (report.Period, error)) *cobra.Command {
	var cf clientFlags
	var period, format, out string
	cmd := &cobra.Command{
		Use:   kind + " --" + param + " " + map[string]string{"quarter": "YYYYQn", "year": "YYYY"}[param],
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := parse(period) // the server checks too; this saves a round trip
			if err != nil {
				return err
			}
			f, err := report.ParseFormat(format, report.Markdown)
			if err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			return writeOut(cmd, out, func(w io.Writer) error {
				return c.WriteReport(cmd.Context(), kind, url.Values{param: {p.Label}}, f, w)
			})
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&period, param, "", paramHelp)
	cmd.Flags().StringVar(&format, "format", "md", "md, csv or json")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write to this file instead of standard output")
	cmd.MarkFlagRequired(param)
	return cmd
}

// writeOut runs write against standard output or, with a path, a new file that is removed if
// writing fails, so a failed download leaves no half document behind.
func writeOut(cmd *cobra.Command, path string, write func(io.Writer) error) error {
	if path == "" {
		return write(cmd.OutOrStdout())
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
