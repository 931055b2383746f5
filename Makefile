# inviso: `make demo` and `make test` are the two commands a newcomer needs.
GO        ?= go
TAGS      := duckdb_arrow
GOTAGS    := -tags $(TAGS)
BIN       := bin/inviso
PKGS      := ./...
# Benchmarks: rows of the generated citizens table (make bench BENCH_ROWS=10000000 for the issues' reference size, as docs/BENCHMARKS.md was made).
BENCH_ROWS ?= 1000000
FUZZTIME  ?= 20s

.PHONY: build test lint bench fuzz demo clean

build:
	$(GO) build $(GOTAGS) -o $(BIN) ./cmd/inviso

test: lint
	$(GO) test $(GOTAGS) -count=1 -timeout 15m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt: not formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet $(GOTAGS) $(PKGS)

# make bench: every benchmark, each side by side with its baseline in the same run. The raw output
# goes to docs/bench.txt, each command's output after a "# command: …" line; inviso bench report
# then writes docs/BENCHMARKS.md and docs/BENCHMARKS.json from it and the suite's and load run's
# JSON. Nothing in BENCHMARKS.md is typed by hand.
BENCH_TXT := docs/bench.txt
# The long load and fault runs (make test runs short ones): a server of our own on loopback.
LOAD_ARGS  := --memory-limit 1GB --clients 32 --duration 60s --rows 20000
FAULT_ARGS := --kills 3 --clients 16 --rows 20000
bench_run = printf '%s\n' "\# command: $(subst ",\",$(1))" >> $(BENCH_TXT) && $(1) 2>&1 | tee -a $(BENCH_TXT)

bench: SHELL := /bin/bash
bench: .SHELLFLAGS := -o pipefail -c
bench: build
	@mkdir -p docs && : > $(BENCH_TXT)
	@command -v /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || (apt-get update && apt-get install -y postgresql)
	@$(call bench_run,INVISO_BENCH_ROWS=$(BENCH_ROWS) $(GO) test $(GOTAGS) -p 1 -run '^$$' -timeout 90m -benchtime 3x -bench 'ImportVsDuckDB|Materialize|QueryVsRaw' ./sandbox/store/ ./sandbox/workspace/ ./sandbox/)
	@$(call bench_run,$(GO) test $(GOTAGS) -p 1 -run '^$$' -bench '^Benchmark(Gate|Decide)$$' -benchtime 200x ./sandbox/ ./sandbox/sqlgate/ ./policy/)
	@$(call bench_run,$(GO) test $(GOTAGS) -p 1 -run '^$$' -bench 'ConcurrentSmallQueries' -benchtime 4000x -count 3 ./sandbox/)
	@$(call bench_run,$(GO) test -p 1 -run '^$$' -bench 'Append16' -benchtime 20000x ./sandbox/audit/)
	@$(call bench_run,$(GO) test -p 1 -run '^$$' -bench 'Verify' -benchtime 3x ./sandbox/audit/ -args -verify.entries 1000000)
	@$(call bench_run,INVISO_BENCH_ROWS=$(BENCH_ROWS) $(GO) test $(GOTAGS) -p 1 -run '^$$' -timeout 60m -benchtime 5x -bench 'DPVsGated' ./sandbox/)
	@$(call bench_run,$(GO) test -p 1 -run '^$$' -bench 'Sample' ./crypto/noise/)
	@$(call bench_run,$(GO) test $(GOTAGS) -p 1 -run '^$$' -bench 'HEVsDuckDB' -benchtime 3x ./sandbox/)
	@$(call bench_run,$(GO) test -p 1 -run '^$$' -bench . -benchtime 3x ./crypto/he/)
	@$(call bench_run,$(GO) test -p 1 -run '^$$' -bench Identity10M -benchtime 1x ./sandbox/plugin/)
	@$(call bench_run,INVISO_BENCH_ROWS=$(BENCH_ROWS) $(GO) test $(GOTAGS) -p 1 -run '^$$' -timeout 60m -benchtime 3x -bench 'PostgresVsInviso' ./sandbox/)
	./$(BIN) bench suite --rows $(BENCH_ROWS) --postgres --out docs/
	./$(BIN) bench load --spawn $(LOAD_ARGS) --json > docs/load.json
	./$(BIN) bench fault $(FAULT_ARGS) --quiet --json > docs/fault.json
	./$(BIN) bench report --in $(BENCH_TXT) --suite docs/bench-suite.json \
	  --load docs/load.json --load-command "inviso bench load --spawn $(LOAD_ARGS)" \
	  --fault docs/fault.json --fault-command "inviso bench fault $(FAULT_ARGS)" \
	  --command "make bench BENCH_ROWS=$(BENCH_ROWS)" --out docs/

fuzz:
	@for spec in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs grep -H '^func Fuzz' | sed -E 's#^\./([^:]*)/[^/:]*:func (Fuzz[A-Za-z0-9_]*).*#\1:\2#' | sort -u); do \
	  pkg=$${spec%%:*}; fn=$${spec##*:}; \
	  echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
	  $(GO) test $(GOTAGS) -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$pkg || exit 1; \
	done

demo: build
	CGO_ENABLED=0 $(GO) build -o bin/riskscore ./examples/plugins/riskscore
	./$(BIN) demo --plugin bin/riskscore

clean:
	rm -rf bin
