// Package benchreport turns one `make bench` run into docs/BENCHMARKS.md and
// docs/BENCHMARKS.json: every table is generated from what the run measured, nothing is typed
// in by hand.
//
// Its input is the output of the run's `go test -bench` commands concatenated (the Makefile
// writes a "# command: …" line before each, so every table names the command that produced
// it), plus the JSON reports of `inviso bench suite` and `inviso bench load`. Each Section
// says which benchmarks it reads and which of their reported metrics are inviso's figure, the
// baseline measured in the same run, and their ratio. A benchmark that ran more than once
// (-count) is reported as the median of its runs.
package benchreport
