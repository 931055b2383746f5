# inviso: `make demo` and `make test` are the two commands a newcomer needs.
GO        ?= go
TAGS      := duckdb_arrow
GOTAGS    := -tags $(TAGS)
BIN       := bin/inviso
PKGS      := ./...
# Benchmarks: rows of the generated citizens table (10,000,000 is the issue's reference size).
BENCH_ROWS ?= 10000000
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

bench:
	@mkdir -p docs
	INVISO_BENCH_ROWS=$(BENCH_ROWS) $(GO) test $(GOTAGS) -p 1 -run '^$$' -timeout 90m -benchtime 3x \
	  -bench 'ImportVsDuckDB|Materialize|QueryVsRaw' ./sandbox/store/ ./sandbox/workspace/ ./sandbox/ | tee docs/bench.txt
	$(GO) test $(GOTAGS) -p 1 -run '^$$' -bench 'Gate|Decide' -benchtime 200x ./sandbox/ ./policy/ | tee -a docs/bench.txt
	$(GO) test $(GOTAGS) -p 1 -run '^$$' -bench 'ConcurrentSmallQueries' -benchtime 2000x ./sandbox/ | tee -a docs/bench.txt
	$(GO) test -p 1 -run '^$$' -bench 'Append16' -benchtime 20000x ./sandbox/audit/ | tee -a docs/bench.txt
	$(GO) test -p 1 -run '^$$' -bench 'Verify' -benchtime 3x ./sandbox/audit/ -args -verify.entries 1000000 | tee -a docs/bench.txt
	INVISO_BENCH_ROWS=$(BENCH_ROWS) $(GO) test $(GOTAGS) -p 1 -run '^$$' -timeout 60m -benchtime 5x -bench 'DPVsGated' ./sandbox/ | tee -a docs/bench.txt
	$(GO) test -p 1 -run '^$$' -bench 'Sample' ./crypto/noise/ | tee -a docs/bench.txt
	$(GO) test $(GOTAGS) -p 1 -run '^$$' -bench 'HEVsDuckDB' -benchtime 3x ./sandbox/ | tee -a docs/bench.txt
	$(GO) test -p 1 -run '^$$' -bench . -benchtime 3x ./crypto/he/ | tee -a docs/bench.txt
	$(GO) test -p 1 -run '^$$' -bench Identity10M -benchtime 1x ./sandbox/plugin/ | tee -a docs/bench.txt
	@command -v /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || (apt-get update && apt-get install -y postgresql)
	INVISO_BENCH_ROWS=$(BENCH_ROWS) $(GO) test $(GOTAGS) -p 1 -run '^$$' -timeout 60m -benchtime 3x -bench 'PostgresVsInviso' ./sandbox/ | tee -a docs/bench.txt
	$(MAKE) build
	./$(BIN) bench suite --rows $(BENCH_ROWS) --out docs/ | tee -a docs/bench.txt

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
