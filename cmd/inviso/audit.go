package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	tclient "github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/client"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read, verify, prove, export and replay the tamper-evident job log (auditor role)",
		Long: `The job log is a Merkle-tree transparency log (C2SP tlog-tiles) whose checkpoints the sandbox
signs with its Ed25519 key. Every state change and every job is in it before it takes effect.

Pin the verifier key once (inviso audit key > log.pub) and keep the checkpoint each verification
saves: the next verification then proves the log only grew, so a rewritten or truncated history
is caught even if it was re-signed.`,
	}
	cmd.AddCommand(newAuditKeyCmd(), newAuditTailCmd(), newAuditShowCmd(), newAuditVerifyCmd(), newAuditProveCmd(), newAuditExportCmd(), newAuditReplayCmd())
	return cmd
}

func newAuditKeyCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Print the job log's verifier key, to pin (public)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			k, err := c.LogKey(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), k)
			return nil
		},
	}
	cf.register(cmd)
	return cmd
}

func newAuditTailCmd() *cobra.Command {
	var cf clientFlags
	var n uint64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Show the latest entries of the job log",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			head, err := c.AuditEntries(cmd.Context(), 0, 1)
			if err != nil {
				return err
			}
			from := uint64(0)
			if head.Size > n {
				from = head.Size - n
			}
			page, err := c.AuditEntries(cmd.Context(), from, n)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, page)
			}
			var rows [][]string
			for _, e := range page.Entries {
				rows = append(rows, []string{strconv.FormatUint(e.Index, 10), e.Time.UTC().Format("2006-01-02T15:04:05Z"), e.Actor, e.Kind, e.Subject, e.Grant, jobState(e.Entry)})
			}
			return printTable(cmd, []string{"INDEX", "TIME", "ACTOR", "KIND", "SUBJECT", "GRANT", "OUTCOME"}, rows)
		},
	}
	cf.register(cmd)
	cmd.Flags().Uint64VarP(&n, "n", "n", 20, "how many entries")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the entries as JSON")
	return cmd
}

// jobState is a job entry's outcome, for the tail table.
func jobState(e audit.Entry) string {
	if e.Kind != audit.KindJob {
		return ""
	}
	var j struct {
		State   string `json:"state"`
		Reasons []struct {
			Code string `json:"code"`
		} `json:"reasons"`
	}
	if json.Unmarshal(e.Body, &j) != nil {
		return "?"
	}
	var codes []string
	for _, r := range j.Reasons {
		codes = append(codes, r.Code)
	}
	if len(codes) > 0 {
		return j.State + " (" + strings.Join(codes, ", ") + ")"
	}
	return j.State
}

func newAuditShowCmd() *cobra.Command {
	return newJobRecordCmd("show JOB", "Show a job's record: SQL as sent and as run, decision and reasons, digests, counts, timings")
}

// newJobRecordCmd prints a job's record (inviso audit show, inviso job status): whole to an
// auditor, without what stays with auditors to the developer who ran it.
func newJobRecordCmd(use, short string) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			j, err := c.Job(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(cmd, j)
		},
	}
	cf.register(cmd)
	return cmd
}

// verifierFrom reads a pinned verifier key file, or (only if none is given) asks the server.
func verifierFrom(cmd *cobra.Command, c *client.Client, keyFile string) (note.Verifier, string, error) {
	var vkey string
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, "", fmt.Errorf("read verifier key: %w", err)
		}
		vkey = strings.TrimSpace(string(b))
	} else {
		if c == nil {
			return nil, "", errors.New("--key is required: the verifier key you pinned")
		}
		k, err := c.LogKey(cmd.Context())
		if err != nil {
			return nil, "", err
		}
		vkey = strings.TrimSpace(k)
		fmt.Fprintln(cmd.ErrOrStderr(), "warning: using the verifier key the server states; pin it (inviso audit key > log.pub) and pass --key log.pub")
	}
	v, err := audit.ParseVerifierKey(vkey)
	return v, vkey, err
}

func newAuditVerifyCmd() *cobra.Command {
	var cf clientFlags
	var dir, keyFile, trustedFile, saveFile string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify the whole job log: signature, every entry against the tree, consistency with your kept checkpoint",
		Long: `verify re-hashes every entry of the log, checks each against the stored tree, recomputes the root
and checks it against the signed checkpoint. With --trusted (a checkpoint an earlier verify saved)
it also proves the log still holds that tree as its prefix: a rewritten or truncated history fails
even if it was re-signed. It names the first bad entry where the fault can be pinned to one.

Online it reads the log from the server (auditor role); with --dir it verifies an export offline.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var src audit.Source
			var c *client.Client
			if dir != "" {
				src = tclient.FileFetcher{Root: dir}
				if keyFile == "" {
					keyFile = filepath.Join(dir, audit.VerifierKeyFile)
					fmt.Fprintln(cmd.ErrOrStderr(), "warning: using the verifier key shipped in the export; pass --key with the key you pinned")
				}
			} else {
				var err error
				if c, err = cf.client(); err != nil {
					return err
				}
				if src, err = c.LogSource(); err != nil {
					return err
				}
			}
			v, _, err := verifierFrom(cmd, c, keyFile)
			if err != nil {
				return err
			}
			var trusted []byte
			if trustedFile != "" {
				if trusted, err = os.ReadFile(trustedFile); err != nil {
					return fmt.Errorf("read kept checkpoint: %w", err)
				}
			}
			rep, err := audit.Verify(cmd.Context(), src, v, trusted)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "OK: %d entries verified against the checkpoint signed by %s (root %x)\n", rep.Size, v.Name(), rep.Root)
			if trusted != nil {
				fmt.Fprintf(out, "consistent with your checkpoint of %d entries: the log only grew\n", rep.TrustedSize)
			}
			if saveFile != "" {
				if err := os.WriteFile(saveFile, rep.Checkpoint, 0o644); err != nil {
					return fmt.Errorf("save checkpoint: %w", err)
				}
				fmt.Fprintf(out, "checkpoint saved to %s: pass it as --trusted next time\n", saveFile)
			}
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&dir, "dir", "", "verify an exported log directory offline instead of the server's log")
	cmd.Flags().StringVar(&keyFile, "key", "", "the verifier key you pinned (inviso audit key > log.pub)")
	cmd.Flags().StringVar(&trustedFile, "trusted", "", "a checkpoint an earlier verify saved: the log must still hold it")
	cmd.Flags().StringVar(&saveFile, "save", "", "save the verified checkpoint here, for the next --trusted")
	return cmd
}

func newAuditProveCmd() *cobra.Command {
	var cf clientFlags
	var keyFile string
	var size uint64
	cmd := &cobra.Command{
		Use:   "prove INDEX",
		Short: "Fetch and check an inclusion proof: the entry is in the tree the signed checkpoint commits to",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			index, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("INDEX must be a non-negative integer")
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			v, _, err := verifierFrom(cmd, c, keyFile)
			if err != nil {
				return err
			}
			cpRaw, err := c.Checkpoint(cmd.Context())
			if err != nil {
				return err
			}
			cp, _, _, err := log.ParseCheckpoint(cpRaw, v.Name(), v)
			if err != nil {
				return fmt.Errorf("the server's checkpoint does not verify with your key: %w", err)
			}
			if size == 0 {
				size = cp.Size
			}
			if size != cp.Size {
				return fmt.Errorf("proofs are checked against the latest signed checkpoint (%d entries); --size %d differs", cp.Size, size)
			}
			p, err := c.AuditProof(cmd.Context(), index, size)
			if err != nil {
				return err
			}
			leaf := rfc6962.DefaultHasher.HashLeaf(p.Entry)
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leaf, p.Hashes, cp.Hash); err != nil {
				return fmt.Errorf("the inclusion proof of entry %d does not verify: %w", index, err)
			}
			e, _ := audit.Decode(p.Entry)
			fmt.Fprintf(cmd.OutOrStdout(), "OK: entry %d (%s %s by %s) is in the signed tree of %d entries (leaf %x)\n", index, e.Kind, e.Subject, e.Actor, size, leaf)
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&keyFile, "key", "", "the verifier key you pinned")
	cmd.Flags().Uint64Var(&size, "size", 0, "tree size to prove against (default: the latest checkpoint's)")
	return cmd
}

func newAuditExportCmd() *cobra.Command {
	var cf clientFlags
	var keyFile string
	cmd := &cobra.Command{
		Use:   "export DIR",
		Short: "Copy the log as of its latest checkpoint into DIR, to verify offline with only the verifier key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			src, err := c.LogSource()
			if err != nil {
				return err
			}
			v, vkey, err := verifierFrom(cmd, c, keyFile)
			if err != nil {
				return err
			}
			cp, err := audit.Export(cmd.Context(), src, v, vkey, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "exported %d entries to %s; verify with: inviso audit verify --dir %s --key <your pinned key>\n", cp.Size, args[0], args[0])
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&keyFile, "key", "", "the verifier key you pinned")
	return cmd
}

func newAuditReplayCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "replay JOB",
		Short: "Rebuild a released job's inputs, re-run it, and compare the result digest bit for bit",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			r, err := c.Replay(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "job        %s (log entry %d)\nworkspace  recorded %s\n           replayed %s\nresult     recorded %s\n           replayed %s\n",
				r.Job, r.LogIndex, r.RecordedWorkspace, r.ReplayedWorkspace, r.RecordedDigest, r.ReplayedDigest)
			if !r.Match {
				return errors.New("MISMATCH: the replayed result differs from the recorded one")
			}
			fmt.Fprintln(out, "MATCH: the replay reproduces the released result bit for bit")
			return nil
		},
	}
	cf.register(cmd)
	return cmd
}
