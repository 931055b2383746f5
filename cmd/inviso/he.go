package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/crypto/he"
	"github.com/inviso/inviso/sandbox/client"
)

func newHECmd() *cobra.Command {
	cmd := &cobra.Command{Use: "he", Short: "Homomorphic jobs: score the sandbox's data with an encrypted model (keygen, run, decrypt)"}

	var params, out string
	keygen := &cobra.Command{
		Use:   "keygen",
		Short: "Make a fresh key pair on this machine (the secret key is never uploaded)",
		Long: `Make a fresh key pair on this machine. The secret key stays in KEYDIR/secret.key (0600) and
is never uploaded: only the evaluation keys a circuit needs are sent with a job. Use a fresh key
for every job, and never post decrypted values back to the platform (IND-CPA-D).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, err := he.Lookup(params)
			if err != nil {
				return err
			}
			keys, err := he.KeyGen(set)
			if err != nil {
				return err
			}
			if err := keys.WriteDir(out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "keys for %s in %s (secret.key stays here)\n", set.Name(), out)
			return nil
		},
	}
	keygen.Flags().StringVar(&params, "params", "ckks-n13", "parameter set: "+strings.Join(he.SetNames(), ", ")+" (CKKS for the scores, BGV for exact_count)")
	keygen.Flags().StringVar(&out, "out", "", "directory for the keys (created)")
	keygen.MarkFlagRequired("out")

	var rf clientFlags
	var grant, keysDir, weightsFile, codesFile, result string
	var job client.HEJob
	run := &cobra.Command{
		Use:   "run",
		Short: "Encrypt a model, upload it with the evaluation keys, run the job, save the encrypted result",
		Example: `  inviso he run --grant gr_… --circuit linear_score --group-by district --features income \
      --weights weights.json --keys ./keys --out result.arrow
  inviso he run --grant gr_… --circuit exact_count --group-by district --code-column program \
      --codes programs.json --select 低保,医疗救助 --keys ./bgv-keys --out counts.arrow`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := rf.client()
			if err != nil {
				return err
			}
			keys, err := he.ReadDir(keysDir)
			if err != nil {
				return err
			}
			if weightsFile != "" {
				if job.Weights, err = readWeights(weightsFile, job.Features); err != nil {
					return err
				}
			}
			if codesFile != "" {
				b, err := os.ReadFile(codesFile)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(b, &job.Codes); err != nil {
					return fmt.Errorf("%s: want a JSON list of the code values: %w", codesFile, err)
				}
			}
			f, err := os.OpenFile(result, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			id, err := c.RunHE(cmd.Context(), grant, keys, job, f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(result)
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "job %s: encrypted result in %s (inviso he decrypt --keys %s %s)\n", id, result, keysDir, result)
			return nil
		},
	}
	rf.register(run)
	f := run.Flags()
	f.StringVar(&grant, "grant", "", "grant id")
	f.StringVar(&job.Circuit, "circuit", "linear_score", "linear_score, row_score or exact_count")
	f.StringVar(&job.Table, "table", "", "table (default: the one with every column named)")
	f.StringSliceVar(&job.GroupBy, "group-by", nil, "group key columns")
	f.StringSliceVar(&job.Features, "features", nil, "feature columns (linear_score, row_score)")
	f.StringVar(&weightsFile, "weights", "", `weights: JSON {"feature": w, …} or [w, …] in --features order`)
	f.StringVar(&job.Polynomial, "polynomial", "", "row_score: identity (default) or logistic3")
	f.StringVar(&job.CodeColumn, "code-column", "", "exact_count: the column whose values are counted")
	f.StringVar(&codesFile, "codes", "", "exact_count: JSON list of the code values (the code space)")
	f.StringSliceVar(&job.Selected, "select", nil, "exact_count: the codes to count (encrypted: the operator never sees them)")
	f.StringVar(&keysDir, "keys", "", "key directory from inviso he keygen")
	f.StringVar(&result, "out", "", "file for the encrypted result (Arrow IPC stream)")
	for _, n := range []string{"grant", "group-by", "keys", "out"} {
		run.MarkFlagRequired(n)
	}

	var format string
	decrypt := &cobra.Command{
		Use:   "decrypt RESULT",
		Short: "Decrypt a homomorphic job's result into a plain table, on this machine",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, err := he.ReadDir(keysDir)
			if err != nil {
				return err
			}
			in, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer in.Close()
			cols, rows, err := client.DecryptHE(keys, in)
			if err != nil {
				return err
			}
			if format == "json" {
				return printJSON(cmd, map[string]any{"columns": cols, "rows": rows})
			}
			text := make([][]string, len(rows))
			for i, r := range rows {
				for _, v := range r {
					text[i] = append(text[i], fmt.Sprint(v))
				}
			}
			return printTable(cmd, cols, text)
		},
	}
	decrypt.Flags().StringVar(&keysDir, "keys", "", "key directory from inviso he keygen")
	decrypt.Flags().StringVar(&format, "format", "table", "table or json")
	decrypt.MarkFlagRequired("keys")

	cmd.AddCommand(keygen, run, decrypt)
	return cmd
}

// readWeights reads a model's weights: a JSON object by feature name or a list in feature order.
func readWeights(path string, features []string) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list []float64
	if json.Unmarshal(b, &list) == nil {
		return list, nil
	}
	var byName map[string]float64
	if err := json.Unmarshal(b, &byName); err != nil {
		return nil, fmt.Errorf("%s: want {\"feature\": weight, …} or [weight, …]", path)
	}
	out := make([]float64, len(features))
	for i, f := range features {
		w, ok := byName[f]
		if !ok {
			return nil, fmt.Errorf("%s has no weight for feature %s", path, f)
		}
		out[i] = w
	}
	if len(byName) != len(features) {
		return nil, fmt.Errorf("%s has weights for features not named with --features", path)
	}
	return out, nil
}
