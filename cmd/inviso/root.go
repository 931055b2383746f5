package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox/client"
	"github.com/inviso/inviso/sandbox/fault"
)

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		printError(stderr, err)
		return 1
	}
	return 0
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "inviso",
		Short: "inviso: a data sandbox where public data is usable but invisible (数据可用不可见)",
		Long: `inviso keeps raw public data inside its domain. Source agencies load datasets, developers
work under one grant per scenario, and only gated aggregates leave.

Client commands talk to a server: --server (INVISO_SERVER, default ` + client.DefaultServer + `)
and --token (INVISO_TOKEN) or --token-file (INVISO_TOKEN_FILE).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newDemoCmd(), newGenCmd(), newWhoamiCmd(), newAgencyCmd(),
		newPrincipalCmd(), newDatasetCmd(), newRulesCmd(), newConsentsCmd(), newScenarioCmd(), newGrantCmd(), newQueryCmd(),
		newAuditCmd(), newDiscloseCmd(), newReportCmd(), newHECmd(), newJobCmd(), newPluginCmd(), newBenchCmd())
	return root
}

// printError shows an error as a person should read it: code, message, reasons.
func printError(w io.Writer, err error) {
	var f *fault.Error
	if errors.As(err, &f) {
		fmt.Fprintf(w, "error (%s): %s\n", f.Code, f.Message)
		for _, r := range f.Reasons {
			if r.Message != f.Message {
				fmt.Fprintf(w, "  - %s: %s\n", r.Code, r.Message)
			}
		}
		return
	}
	fmt.Fprintf(w, "error: %v\n", err)
}

// clientFlags are the connection flags of every client command.
type clientFlags struct {
	server, token, tokenFile string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.server, "server", envOr("INVISO_SERVER", client.DefaultServer), "server address (INVISO_SERVER)")
	cmd.Flags().StringVar(&f.token, "token", os.Getenv("INVISO_TOKEN"), "bearer token (INVISO_TOKEN)")
	cmd.Flags().StringVar(&f.tokenFile, "token-file", os.Getenv("INVISO_TOKEN_FILE"), "file holding the bearer token, e.g. inviso-data/admin.token (INVISO_TOKEN_FILE)")
}

func (f *clientFlags) client() (*client.Client, error) {
	tok := f.token
	if tok == "" && f.tokenFile != "" {
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("read token file: %w", err)
		}
		tok = strings.TrimSpace(string(b))
	}
	if tok == "" {
		return nil, errors.New("no token: pass --token or --token-file, or set INVISO_TOKEN (the admin token is in <data>/admin.token)")
	}
	return client.New(f.server, tok, nil)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
