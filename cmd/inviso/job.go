package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox/catalog"
)

func newJobCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "job", Short: "Jobs of any kind: run one from a JSON request, see its record, fetch its result"}

	var rf, resf clientFlags
	var grant, out, accept string
	run := &cobra.Command{
		Use:   "run REQUEST.json",
		Short: `Run a job from its JSON request ({"kind": "sql"|"he"|"plugin", …}); the result goes to --out`,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rf.client()
			if err != nil {
				return err
			}
			b, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var req catalog.JobRequest
			if err := json.Unmarshal(b, &req); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			w, closeOut, err := output(cmd, out)
			if err != nil {
				return err
			}
			id, err := c.SubmitJob(cmd.Context(), grant, req, accept, w)
			if cerr := closeOut(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "job %s released\n", id)
			return nil
		},
	}
	rf.register(run)
	run.Flags().StringVar(&grant, "grant", "", "grant id")
	run.Flags().StringVar(&out, "out", "", "file for the result (default: standard output)")
	run.Flags().StringVar(&accept, "accept", "application/json", "result type: application/json, text/csv or application/vnd.apache.arrow.stream")
	run.MarkFlagRequired("grant")

	status := newJobRecordCmd("status JOB", "A job's record: kind, state, decision and reasons, digests")

	var rout, raccept string
	result := &cobra.Command{
		Use:   "result JOB",
		Short: "Fetch a released job's result again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := resf.client()
			if err != nil {
				return err
			}
			w, closeOut, err := output(cmd, rout)
			if err != nil {
				return err
			}
			err = c.JobResult(cmd.Context(), args[0], raccept, w)
			if cerr := closeOut(); err == nil {
				err = cerr
			}
			return err
		},
	}
	resf.register(result)
	result.Flags().StringVar(&rout, "out", "", "file for the result (default: standard output)")
	result.Flags().StringVar(&raccept, "accept", "application/json", "result type: application/json, text/csv or application/vnd.apache.arrow.stream")

	cmd.AddCommand(run, status, result)
	return cmd
}

// output is the named file (created, never overwritten) or standard output.
func output(cmd *cobra.Command, path string) (w io.Writer, closeOut func() error, err error) {
	if path == "" {
		return cmd.OutOrStdout(), func() error { return nil }, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}
