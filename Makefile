# crmsync build, test and demo targets. Every target works on a fresh clone
# with Go 1.26 and ../shared beside the repository.

GO      ?= go
BIN     := bin/crmsync
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
FUZZTIME ?= 30s

.PHONY: build test demo fuzz vet bench clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/crmsync

# The default test run: unit, contract, end-to-end and the fuzz seed corpora.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

# Enrich the 11 Salesforce leads of the Easy Spaces sample app against the
# local emulator; outputs go to out/.
demo: build
	CRMSYNC_OUT=$(CURDIR)/out $(BIN) run pipelines/examples/salesforce-leads.yaml --emulator --summary out/salesforce-leads.summary.json
	@echo "outputs: out/salesforce-leads.parquet out/salesforce-leads.csv out/salesforce-leads.summary.json"

# Run each fuzz target for FUZZTIME.
fuzz:
	$(GO) test ./connectors/csv -run '^$$' -fuzz '^FuzzCSV$$' -fuzztime $(FUZZTIME)
	$(GO) test ./connectors/json -run '^$$' -fuzz '^FuzzJSON$$' -fuzztime $(FUZZTIME)
	$(GO) test ./connectors/jsonl -run '^$$' -fuzz '^FuzzJSONL$$' -fuzztime $(FUZZTIME)

vet:
	$(GO) vet ./...

# Benchmarks against DuckDB live in their own module (bench/), so DuckDB's
# cgo build stays out of the product and its tests.
bench:
	cd bench && $(GO) run . -out ../docs/benchmarks.md

clean:
	rm -rf bin out
