# bitprobe: `make run` starts bitprobe with its embedded defaults; `make test` runs every test.
# Both install what they need first (scripts/install-deps).

SWIFT ?= swift
BUILD_FLAGS ?=
RELEASE_BIN := .build/release/bitprobe

.PHONY: all deps test-deps build release run test bench fuzz clean

all: build

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

release: deps
	$(SWIFT) build -c release $(BUILD_FLAGS)

# The agent in the foreground with its embedded default config.
run: release
	@echo "bitprobe agent: metrics at http://localhost:9961/metrics (Ctrl-C stops)"
	$(RELEASE_BIN) agent

test-deps:
	@scripts/install-deps --test

# Swift unit and end-to-end tests, then the integration tests against real Prometheus and friends.
test: test-deps
	$(SWIFT) build $(BUILD_FLAGS)
	BITPROBE_BIN=$(CURDIR)/.build/debug/bitprobe $(SWIFT) test $(BUILD_FLAGS)
	BITPROBE_BIN=$(CURDIR)/.build/debug/bitprobe python3 -m pytest -q Tests/Integration

# Side-by-side with numpy/OpenBLAS, wrk against node_exporter; prints ratios (docs/benchmarks.md).
bench: release
	@scripts/install-deps --bench
	scripts/bench-cpu
	scripts/bench-agent
	scripts/bench-tracing

# Malformed HTTP, YAML and baselines against a live agent for FUZZ_SECONDS (docs/faults.md).
FUZZ_SECONDS ?= 600
fuzz: test-deps
	$(SWIFT) build $(BUILD_FLAGS)
	scripts/fuzz --binary $(CURDIR)/.build/debug/bitprobe --seconds $(FUZZ_SECONDS)

clean:
	rm -rf .build
