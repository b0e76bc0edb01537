# Omnistream. `make run` and `make test` work on a fresh machine with Go,
# Node.js/npm and a C compiler: everything else is fetched here.

GO        ?= go
CHDB_VER  := 26.5.3
CACHE_DIR := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/omnistream
CHDB_LIB  := $(CACHE_DIR)/chdb/$(CHDB_VER)/libchdb.so
BIN       := bin/omnistream
DATA_DIR  ?= data
PKGS      := ./...

export OMNISTREAM_CHDB_LIB ?= $(CHDB_LIB)

.PHONY: all build run test test-race lint bench chdb deps clean fuzz-smoke browser

all: build

## deps: download Go modules
deps:
	$(GO) mod download

## chdb: fetch the embedded ClickHouse library (npm @chdb/lib-linux-x64-gnu, integrity-checked, cached)
chdb: $(CHDB_LIB)

$(CHDB_LIB):
	bash deploy/scripts/fetch-chdb.sh

## build: build the omnistream binary
build: deps
	$(GO) build -o $(BIN) ./cmd/omnistream

## run: start the embedded deployment with demo data
run: build chdb
	$(BIN) run -data-dir $(DATA_DIR) -demo

## browser: Debian's chromium, for the dashboard's headless browser test
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

## test: every test, integration tests included, then a short fuzz of the decoders
test: deps chdb browser
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 40m $(PKGS)
	$(MAKE) --no-print-directory fuzz-smoke

# Decoders and parsers of outside input, each fuzzed briefly past its
# checked-in corpus (which plain `go test` already replays).
FUZZ_TARGETS := ./ingest/event:FuzzDecode ./ingest/event:FuzzDecodeBatch \
	./ingest/webhooks/line:FuzzMapBody ./ingest/webhooks/meta:FuzzMapBody ./ingest/webhooks/whatsapp:FuzzMapBody \
	./ingest/redirect:FuzzDecode ./ingest/pixel:FuzzBuild ./identity/normalize:FuzzPhone ./identity/normalize:FuzzEmail
FUZZ_TIME ?= 4s

## fuzz-smoke: fuzz each decoder for FUZZ_TIME
fuzz-smoke:
	@n=0; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$pkg $$fn"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZ_TIME) $$pkg >/tmp/omnistream-fuzz.log 2>&1 || { cat /tmp/omnistream-fuzz.log; echo "fuzz: 0 passed, 1 failed"; exit 1; }; \
		n=$$((n+1)); \
	done; echo "fuzz: $$n passed, 0 failed"

## test-race: every test under the race detector
test-race: deps chdb browser
	$(GO) test -race -count=1 -timeout 60m $(PKGS)

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## bench: benchmarks (not part of make test)
bench: deps chdb
	$(GO) run ./bench/cmd/omnibench -out bench/results $(BENCH_FLAGS)

clean:
	rm -rf bin
