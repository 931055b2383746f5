package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/rules"
)

func newRulesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "rules", Short: "Column classes and desensitization rules of a dataset (Art. 24)"}

	var sf clientFlags
	var minK int
	set := &cobra.Command{
		Use:   "set DATASET RULES.json",
		Short: `Set a dataset's rules from a JSON file: {"columns": {col: {class, treatment, usage, params}}} (source role)`,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := sf.client()
			if err != nil {
				return err
			}
			b, err := os.ReadFile(args[1])
			if err != nil {
				return err
			}
			var in struct {
				rules.Set
				MinK int `json:"min_k"`
			}
			if err := json.Unmarshal(b, &in); err != nil {
				return fmt.Errorf("%s: %w", args[1], err)
			}
			if minK == 0 {
				minK = in.MinK
			}
			rs, err := c.SetRules(cmd.Context(), args[0], in.Set, minK)
			if err != nil {
				return err
			}
			return printJSON(cmd, rs)
		},
	}
	sf.register(set)
	set.Flags().IntVar(&minK, "min-k", 0, "the dataset's minimum group size (default 10)")

	var shf clientFlags
	show := &cobra.Command{
		Use:   "show DATASET",
		Short: "Show every version of a dataset's rules",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := shf.client()
			if err != nil {
				return err
			}
			vs, err := c.Rules(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(cmd, vs)
		},
	}
	shf.register(show)

	var cf clientFlags
	cosign := &cobra.Command{
		Use:   "cosign DATASET VERSION",
		Short: "Co-sign a version of a dataset's rules (implementer role)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			v, err := strconv.Atoi(args[1])
			if err != nil {
				return fmt.Errorf("version %q is not a number", args[1])
			}
			rs, err := c.CosignRules(cmd.Context(), args[0], v)
			if err != nil {
				return err
			}
			return printJSON(cmd, rs)
		},
	}
	cf.register(cosign)
	cmd.AddCommand(set, show, cosign)
	return cmd
}

func newConsentsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "consents", Short: "Data subjects' authorizations of a dataset (Art. 23)"}
	var cf clientFlags
	load := &cobra.Command{
		Use:   "load DATASET FILE.csv",
		Short: "Load a consent registry (CSV: subject,purpose,valid_until) as the dataset's next version (source role)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			f, err := os.Open(args[1])
			if err != nil {
				return err
			}
			defer f.Close()
			cs, err := c.SetConsents(cmd.Context(), args[0], f)
			if err != nil {
				return err
			}
			return printJSON(cmd, cs)
		},
	}
	cf.register(load)
	cmd.AddCommand(load)
	return cmd
}

func newDatasetFlagsCmd() *cobra.Command {
	var cf clientFlags
	var flags []string
	cmd := &cobra.Command{
		Use:   "flags DATASET",
		Short: "Set or lift a dataset's Art. 2 flags (source role); no --flag lifts them all",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			fs := []catalog.Flag{}
			for _, f := range flags {
				fs = append(fs, catalog.Flag(f))
			}
			d, err := c.SetFlags(cmd.Context(), args[0], fs)
			if err != nil {
				return err
			}
			return printJSON(cmd, d)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringSliceVar(&flags, "flag", nil, "restricted, secret or needs_subject_consent (repeatable)")
	return cmd
}
