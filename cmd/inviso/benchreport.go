package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox/benchreport"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/load"
)

func newBenchReportCmd() *cobra.Command {
	var (
		in, suite, loadFile, loadCmd, faultFile, faultCmd, out, command string
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write BENCHMARKS.md and BENCHMARKS.json from one make bench run's outputs",
		Long: `report reads the concatenated output of a run's go test -bench commands (each preceded by a
"# command: …" line, as make bench writes them), and optionally the JSON of inviso bench suite
and inviso bench load and fault from the same run, and writes BENCHMARKS.md (a table per section: figure,
baseline, ratio, with the machine, date and command) and BENCHMARKS.json into --out. Nothing in
the report is typed in by hand; a section whose benchmarks did not run says so.`,
		Example: "  inviso bench report --in docs/bench.txt --suite docs/bench-suite.json --load docs/load.json --out docs/",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := os.Open(in)
			if err != nil {
				return fmt.Errorf("benchmark output: %w", err)
			}
			run, err := benchreport.Parse(bufio.NewReader(f))
			f.Close()
			if err != nil {
				return err
			}
			inputs := benchreport.Inputs{Date: time.Now().UTC().Format("2006-01-02"), Machine: machine(cmd), Command: command, LoadCmd: loadCmd}
			if suite != "" {
				inputs.Suite = &load.SuiteReport{}
				if err := readJSON(suite, inputs.Suite); err != nil {
					return err
				}
			}
			if loadFile != "" {
				inputs.Load = &load.Report{}
				if err := readJSON(loadFile, inputs.Load); err != nil {
					return err
				}
			}
			if faultFile != "" {
				inputs.Fault, inputs.FaultCmd = &load.FaultReport{}, faultCmd
				if err := readJSON(faultFile, inputs.Fault); err != nil {
					return err
				}
			}
			rep := benchreport.Build(run, inputs)
			var md, js bytes.Buffer
			if err := rep.WriteMarkdown(&md); err != nil {
				return err
			}
			if err := rep.WriteJSON(&js); err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			for name, b := range map[string][]byte{"BENCHMARKS.md": md.Bytes(), "BENCHMARKS.json": js.Bytes()} {
				if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
					return err
				}
			}
			n := 0
			for _, t := range rep.Sections {
				n += len(t.Rows)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s and BENCHMARKS.json: %d sections, %d figures\n", filepath.Join(out, "BENCHMARKS.md"), len(rep.Sections), n)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in, "in", "docs/bench.txt", "the run's go test -bench output")
	f.StringVar(&suite, "suite", "", "inviso bench suite's JSON (bench-suite.json) from the same run")
	f.StringVar(&loadFile, "load", "", "inviso bench load --json output from the same run")
	f.StringVar(&loadCmd, "load-command", "inviso bench load", "the load run's command, as shown in the report")
	f.StringVar(&faultFile, "fault", "", "inviso bench fault --json output from the same run")
	f.StringVar(&faultCmd, "fault-command", "inviso bench fault", "the fault run's command, as shown in the report")
	f.StringVar(&command, "command", "make bench", "what produced the run, as shown in the report")
	f.StringVar(&out, "out", "docs", "directory for BENCHMARKS.md and BENCHMARKS.json")
	return cmd
}

// readJSON decodes one JSON document from a file, refusing unknown shapes loudly.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s does not exist (did that part of the run fail?)", path)
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// machine describes this machine (the report is written at the end of the run, on it).
func machine(cmd *cobra.Command) benchreport.Machine {
	m := benchreport.Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			var kb int64
			if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
				m.Memory = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
			}
		}
	}
	if db, err := duck.Open(cmd.Context(), "", duck.Config{Threads: 1}); err == nil {
		var v string
		if db.QueryRowContext(cmd.Context(), "SELECT version()").Scan(&v) == nil {
			m.DuckDB = "DuckDB " + v
		}
		db.Close()
	}
	return m
}
