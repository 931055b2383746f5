package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/inviso/inviso/sandbox/catalog"
)

func newDatasetCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "dataset", Short: "Register, import, list and show datasets (Art. 17 catalog)"}
	cmd.AddCommand(newDatasetRegisterCmd(), newDatasetImportCmd(), newDatasetListCmd(), newDatasetShowCmd(), newDatasetFlagsCmd())
	return cmd
}

func newDatasetRegisterCmd() *cobra.Command {
	var cf clientFlags
	var d catalog.Dataset
	var level string
	var flags, columns []string
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Register a dataset of your agency (source role)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			d.Classification = catalog.Level(level)
			d.Flags = []catalog.Flag{}
			for _, f := range flags {
				d.Flags = append(d.Flags, catalog.Flag(f))
			}
			for _, c := range columns {
				name, typ, ok := strings.Cut(c, "=")
				if !ok || name == "" || typ == "" {
					return fmt.Errorf("--column %q: want NAME=TYPE, e.g. phone=VARCHAR", c)
				}
				d.Schema = append(d.Schema, catalog.SchemaColumn{Name: strings.TrimSpace(name), Type: strings.TrimSpace(typ)})
			}
			out, err := c.RegisterDataset(cmd.Context(), d)
			if err != nil {
				return err
			}
			return printJSON(cmd, out)
		},
	}
	cf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&d.Name, "name", "", "dataset name: lower-case letters, digits, '_'")
	f.StringVar(&d.Agency, "agency", "", "owning agency (default: yours)")
	f.StringVar(&d.Description, "description", "", "what the data is")
	f.StringVar(&level, "classification", "", "L1 (public), L2 (internal), L3 (sensitive) or L4 (core)")
	f.StringSliceVar(&flags, "flag", nil, "Art. 2 flag (repeatable): restricted, secret, needs_subject_consent")
	f.StringVar(&d.PrivacyUnit, "privacy-unit", "", "column identifying the person or company a row is about")
	f.StringVar(&d.UpdateFrequency, "update-frequency", "irregular", strings.Join(catalog.Frequencies, ", "))
	f.StringArrayVar(&columns, "column", nil, "declare the schema, in order (repeatable): NAME=TYPE, e.g. phone=VARCHAR; default: inferred from the first import")
	for _, n := range []string{"name", "description", "classification", "privacy-unit"} {
		cmd.MarkFlagRequired(n)
	}
	return cmd
}

// formatOf guesses an upload format from a file name.
func formatOf(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "csv", nil
	case ".parquet", ".pq":
		return "parquet", nil
	case ".ndjson", ".jsonl":
		return "ndjson", nil
	case ".arrow", ".arrows":
		return "arrow", nil
	}
	return "", fmt.Errorf("cannot tell the format of %s from its extension; pass --format csv|parquet|ndjson|arrow", filepath.Base(path))
}

func newDatasetImportCmd() *cobra.Command {
	var cf clientFlags
	var format string
	var allowDrift, quiet bool
	cmd := &cobra.Command{
		Use:   "import DATASET FILE",
		Short: "Import a file as the next immutable version of a dataset (source role)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			if format == "" {
				if format, err = formatOf(args[1]); err != nil {
					return err
				}
			}
			f, err := os.Open(args[1])
			if err != nil {
				return err
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				return err
			}
			var body io.Reader = f
			if !quiet && isTerminal(cmd.ErrOrStderr()) {
				bar := progressbar.DefaultBytes(st.Size(), "uploading "+filepath.Base(args[1]))
				r := progressbar.NewReader(f, bar)
				body = &r
				defer fmt.Fprintln(cmd.ErrOrStderr())
			}
			v, err := c.Import(cmd.Context(), args[0], format, body, allowDrift)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "imported %s version %d: %d rows, %s\n", v.Dataset, v.Number, v.Rows, v.Digest)
			return printJSON(cmd, v)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&format, "format", "", "csv, parquet, ndjson or arrow (default: from the file extension)")
	cmd.Flags().BoolVar(&allowDrift, "allow-drift", false, "accept columns that differ from the previous version")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newDatasetListCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List datasets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			ds, err := c.Datasets(cmd.Context())
			if err != nil {
				return err
			}
			var rows [][]string
			for _, d := range ds {
				latest, nrows := "-", "-"
				if n := len(d.Versions); n > 0 {
					latest = strconv.Itoa(d.Versions[n-1].Number)
					nrows = strconv.FormatInt(d.Versions[n-1].Rows, 10)
				}
				flags := make([]string, len(d.Flags))
				for i, f := range d.Flags {
					flags[i] = string(f)
				}
				rows = append(rows, []string{d.Name, d.Agency, string(d.Classification), strings.Join(flags, ","), latest, nrows, d.Description})
			}
			return printTable(cmd, []string{"NAME", "AGENCY", "LEVEL", "FLAGS", "VERSION", "ROWS", "DESCRIPTION"}, rows)
		},
	}
	cf.register(cmd)
	return cmd
}

func newDatasetShowCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "show DATASET",
		Short: "Show a dataset: owner, classification, schema, versions with counts (never values)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			d, err := c.Dataset(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(cmd, d)
		},
	}
	cf.register(cmd)
	return cmd
}
