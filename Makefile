# docflow: common tasks.  `make help` lists them.
#
# Connection settings come from the environment (DOCFLOW_POSTGRES_URL,
# DOCFLOW_MARIADB_DSN, ...) and pass through to every command; see
# scripts/setup.sh for their defaults.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Go lives in /usr/local/go on our machines; tools go install'ed in ~/go/bin.
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin

# A go.work file in a parent folder (say /tmp) must not change our build.
export GOWORK := off

GO            ?= go
BIN           ?= bin/docflow
PKGS          ?= ./...
TEST_TIMEOUT  ?= 30m
TEST_FLAGS    ?=
BENCH         ?= .
BENCH_TIMEOUT ?= 60m
BENCH_FLAGS   ?=

# Go files to format/check: not vendored code, test data or local data.
GO_FILES_CMD = find . -name '*.go' -type f -not -path './.git/*' -not -path './vendor/*' \
	-not -path '*/testdata/*' -not -path './tmp/*' -not -path './data/*' -print0

EVAL_DATASET  ?= evals/testdata/dataset
EVAL_BASELINE ?= evals/baseline/rules.json

BENCH_SCALE   ?= 1k,10k
FUZZTIME      ?= 30s
FUZZ          ?= .

.PHONY: help setup build run test eval eval-baseline bench fuzz vulncheck chaos fmt lint clean

help: ## List the targets
	@echo "Usage: make <target>   (environment: DOCFLOW_POSTGRES_URL, DOCFLOW_MARIADB_DSN, ...)"
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z_-]+:.*## / { printf "  %-7s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

setup: ## Install/start what is missing: PostgreSQL+pgvector, MariaDB, poppler, tesseract
	@scripts/setup.sh

build: ## Build bin/docflow
	$(GO) build -o $(BIN) ./cmd/docflow

run: setup build ## Set up, build, migrate, then serve (creates and prints a demo tenant on first start)
	$(BIN) migrate
	$(BIN) serve --demo

test: setup build ## Set up, then go vet, all tests (database tests fail instead of skipping) and the evaluation gate
	$(GO) vet $(PKGS)
	scripts/govulncheck.sh
	DOCFLOW_TEST_REQUIRE_DB=1 DOCFLOW_TEST_REQUIRE_TOOLS=1 $(GO) test -count=1 -p 2 -timeout $(TEST_TIMEOUT) $(TEST_FLAGS) $(PKGS)
	$(BIN) eval --dataset $(EVAL_DATASET) --config rules -q --md /dev/null --baseline $(EVAL_BASELINE)

eval: build ## Evaluate the project's dataset (EVAL_DATASET=DIR, EVAL_FLAGS=...): reports in tmp/eval/
	@mkdir -p tmp/eval
	$(BIN) eval --dataset $(EVAL_DATASET) $(EVAL_FLAGS) --json tmp/eval/report.json --md tmp/eval/report.md --html tmp/eval/report.html --baseline $(EVAL_BASELINE)
	@echo "reports: tmp/eval/report.{json,md,html}"

eval-baseline: build ## Record the evaluation baseline again, after a change that is meant to move the figures
	$(BIN) eval --dataset $(EVAL_DATASET) --config rules -q --json $(EVAL_BASELINE) --md $(basename $(EVAL_BASELINE)).md

fuzz: ## Run every fuzz target in turn for FUZZTIME each (FUZZ=regexp picks targets, PKGS narrows)
	FUZZTIME=$(FUZZTIME) FUZZ='$(FUZZ)' scripts/fuzz.sh $(PKGS)

vulncheck: ## govulncheck against a pinned, offline vulnerability database (DOCFLOW_VULN_STRICT=1: fail on the standard library's too)
	scripts/govulncheck.sh

bench: setup ## Set up, run the benchmarks and write the latest-run section of docs/benchmarks.md (BENCH=regexp, PKGS=./api/... to narrow, BENCH_SCALE=1k,10k,100k)
	DOCFLOW_BENCH_SCALE=$(BENCH_SCALE) $(GO) test -run='^$$' -bench='$(BENCH)' -benchmem -timeout $(BENCH_TIMEOUT) $(BENCH_FLAGS) $(PKGS) 2>&1 | \
		$(GO) run ./scripts/benchreport -command "make bench BENCH='$(BENCH)' BENCH_SCALE=$(BENCH_SCALE)"

chaos: ## Fault injection against real processes; reports in docs/chaos/ (CHAOS_DOCS=1000, CHAOS_SCENARIOS=regexp)
	scripts/chaos.sh

fmt: ## Format the Go code with gofmt
	@$(GO_FILES_CMD) | xargs -0 -r gofmt -w

lint: ## Check formatting (gofmt -l) and run go vet
	@out=$$($(GO_FILES_CMD) | xargs -0 -r gofmt -l); \
	if [ -n "$$out" ]; then echo "gofmt needed (run make fmt):"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

clean: ## Remove build output (bin/) and test binaries/profiles
	rm -rf bin/
	rm -f ./*.test ./*.out
