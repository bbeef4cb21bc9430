# bitprobe: `make run` starts bitprobe with its embedded defaults; `make test` runs every test.
# Both install what they need first (scripts/install-deps).

SWIFT ?= swift
BUILD_FLAGS ?=
RELEASE_BIN := .build/release/bitprobe

.PHONY: all deps build release run test bench clean

all: build

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

release: deps
	$(SWIFT) build -c release $(BUILD_FLAGS)

# Until the agent exists this runs the default probe suite once.
run: release
	$(RELEASE_BIN) bench

test: deps
	$(SWIFT) build $(BUILD_FLAGS)
	BITPROBE_BIN=$(CURDIR)/.build/debug/bitprobe $(SWIFT) test $(BUILD_FLAGS)

# Side-by-side with numpy/OpenBLAS; prints ratios (see docs/benchmarks.md).
bench: release
	scripts/bench-cpu

clean:
	rm -rf .build
