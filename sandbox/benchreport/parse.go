package benchreport

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CommandMarker starts a line naming the command whose output follows (make bench writes one
// before each go test it runs).
const CommandMarker = "# command: "

// Result is one benchmark line of `go test -bench` output.
type Result struct {
	Pkg        string // import path, from the "pkg:" line before it
	Name       string // without the -GOMAXPROCS suffix, e.g. BenchmarkQueryVsRaw/count_by_district
	Procs      int
	Iterations int64
	// Metrics by unit as printed: "ns/op", "gated-ms", "ratio", …
	Metrics map[string]float64
	Command string // the command the output came from ("" if no marker preceded it)
}

// Run is everything a `go test -bench` output (or several, concatenated) holds.
type Run struct {
	CPU     string // the first "cpu:" line
	GOOS    string
	GOARCH  string
	Results []Result
}

// maxLine bounds one line of input; benchmark lines are far shorter.
const maxLine = 64 << 10

// Parse reads benchmark output. Lines it does not know (PASS, ok, logs, notes) are skipped; a
// line that starts like a benchmark result but is malformed is an error naming its line.
func Parse(r io.Reader) (*Run, error) {
	run := &Run{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var pkg, command string
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("benchreport: line %d is not valid UTF-8", n)
		}
		switch {
		case strings.HasPrefix(line, CommandMarker):
			command = strings.TrimSpace(strings.TrimPrefix(line, CommandMarker))
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimSpace(strings.TrimPrefix(line, "pkg: "))
		case strings.HasPrefix(line, "cpu: "):
			if run.CPU == "" {
				run.CPU = strings.TrimSpace(strings.TrimPrefix(line, "cpu: "))
			}
		case strings.HasPrefix(line, "goos: "):
			run.GOOS = strings.TrimSpace(strings.TrimPrefix(line, "goos: "))
		case strings.HasPrefix(line, "goarch: "):
			run.GOARCH = strings.TrimSpace(strings.TrimPrefix(line, "goarch: "))
		case isResult(line):
			res, err := parseResult(line)
			if err != nil {
				return nil, fmt.Errorf("benchreport: line %d: %w", n, err)
			}
			res.Pkg, res.Command = pkg, command
			run.Results = append(run.Results, res)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("benchreport: %w", err)
	}
	return run, nil
}

// isResult: a result line is "Benchmark<Name>" followed by a tab or spaces and a count; a
// benchmark's own log lines ("--- BENCH:", indented) are not.
func isResult(line string) bool {
	if !strings.HasPrefix(line, "Benchmark") {
		return false
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return false
	}
	_, err := strconv.ParseInt(f[1], 10, 64)
	return err == nil
}

func parseResult(line string) (Result, error) {
	f := strings.Fields(line)
	res := Result{Name: f[0], Procs: 1, Metrics: map[string]float64{}}
	if i := strings.LastIndexByte(res.Name, '-'); i > 0 {
		if p, err := strconv.Atoi(res.Name[i+1:]); err == nil && p > 0 {
			res.Name, res.Procs = res.Name[:i], p
		}
	}
	var err error
	if res.Iterations, err = strconv.ParseInt(f[1], 10, 64); err != nil || res.Iterations <= 0 {
		return Result{}, fmt.Errorf("%s: iterations %q", res.Name, f[1])
	}
	rest := f[2:]
	if len(rest)%2 != 0 {
		return Result{}, fmt.Errorf("%s: a value without its unit", res.Name)
	}
	for i := 0; i < len(rest); i += 2 {
		v, err := strconv.ParseFloat(rest[i], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Result{}, fmt.Errorf("%s: value %q is not a number", res.Name, rest[i])
		}
		res.Metrics[rest[i+1]] = v
	}
	return res, nil
}
