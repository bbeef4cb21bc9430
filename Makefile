# bitprobe: `make run` starts bitprobe with its embedded defaults; `make test` runs every test.
# Both install what they need first (scripts/install-deps).

SWIFT ?= swift
BUILD_FLAGS ?=
RELEASE_BIN := .build/release/bitprobe

.PHONY: all deps test-deps build release run test lint bench fuzz clean
.PHONY: package-deps dist install uninstall deb image

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
	scripts/format-check
	$(SWIFT) build $(BUILD_FLAGS)
	BITPROBE_BIN=$(CURDIR)/.build/debug/bitprobe $(SWIFT) test $(BUILD_FLAGS)
	BITPROBE_BIN=$(CURDIR)/.build/debug/bitprobe python3 -m pytest -q Tests/Integration

# swift format lint --strict against .swift-format (scripts/format-check; the first step of `test`).
lint:
	scripts/format-check

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

# --- Install and packaging (docs/deployment.md) ---------------------------------------------------
# `make install PREFIX=/usr DESTDIR=/tmp/root`, `make uninstall` with the same variables.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/bitprobe
UNITDIR ?= $(PREFIX)/lib/systemd/system
# What install, deb and image ship: a release build with the Swift runtime linked in (no Debian
# package provides it) and no $ORIGIN run path. PACKAGE_BIN=FILE ships that file instead and skips
# the build (the tests build it once per session).
DIST_BIN := .build/static/release/bitprobe
PACKAGE_BIN ?=
SHIP_BIN := $(or $(PACKAGE_BIN),$(DIST_BIN))
SHIP_DEPS := $(if $(PACKAGE_BIN),,dist)

package-deps:
	@scripts/install-deps --package

dist: deps
	$(SWIFT) build -c release --static-swift-stdlib --disable-local-rpath --scratch-path .build/static $(BUILD_FLAGS)

# The config is written only where none exists (an edited one is kept), and removed by uninstall
# only while it is still the shipped default.
install: package-deps $(SHIP_DEPS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/bitprobe $(DESTDIR)$(DATADIR)/bitprobe/alerts \
		$(DESTDIR)$(DATADIR)/bitprobe/dashboards $(DESTDIR)$(DATADIR)/bitprobe/systemd $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR)
	install -m 0755 -s $(SHIP_BIN) $(DESTDIR)$(BINDIR)/bitprobe
	[ -e $(DESTDIR)$(SYSCONFDIR)/bitprobe/agent.yml ] || install -m 0644 deploy/agent.yml $(DESTDIR)$(SYSCONFDIR)/bitprobe/agent.yml
	install -m 0644 alerts/*.rules.yml alerts/alertmanager.example.yml $(DESTDIR)$(DATADIR)/bitprobe/alerts/
	install -m 0644 dashboards/*.json $(DESTDIR)$(DATADIR)/bitprobe/dashboards/
	install -m 0644 deploy/systemd/nvidia.conf $(DESTDIR)$(DATADIR)/bitprobe/systemd/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	sed -e 's#/usr/share/#$(DATADIR)/#g' -e 's#/etc/bitprobe/#$(SYSCONFDIR)/bitprobe/#g' deploy/bitprobe.h2m > $(DESTDIR)$(DOCDIR)/.bitprobe.h2m
	help2man --no-info --section=1 --include=$(DESTDIR)$(DOCDIR)/.bitprobe.h2m \
		--version-string="bitprobe $$($(SHIP_BIN) --version | cut -d' ' -f1)" \
		--name="verified performance probes for low-bit inference nodes" $(SHIP_BIN) \
		| gzip -9n > $(DESTDIR)$(MANDIR)/man1/bitprobe.1.gz
	rm -f $(DESTDIR)$(DOCDIR)/.bitprobe.h2m
	sed -e 's#/usr/bin/bitprobe#$(BINDIR)/bitprobe#' -e 's#/etc/bitprobe/#$(SYSCONFDIR)/bitprobe/#' \
		-e 's#/usr/share/doc/bitprobe/#$(DOCDIR)/#' deploy/systemd/bitprobe.service > $(DESTDIR)$(UNITDIR)/bitprobe.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/bitprobe.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/bitprobe $(DESTDIR)$(UNITDIR)/bitprobe.service $(DESTDIR)$(MANDIR)/man1/bitprobe.1.gz
	rm -rf $(DESTDIR)$(DATADIR)/bitprobe $(DESTDIR)$(DOCDIR)
	! cmp -s deploy/agent.yml $(DESTDIR)$(SYSCONFDIR)/bitprobe/agent.yml || rm -f $(DESTDIR)$(SYSCONFDIR)/bitprobe/agent.yml
	! [ -d $(DESTDIR)$(SYSCONFDIR)/bitprobe ] || rmdir --ignore-fail-on-non-empty $(DESTDIR)$(SYSCONFDIR)/bitprobe

# $(DEBDIR)/bitprobe_VERSION_ARCH.deb (scripts/build-deb).
DEBDIR ?= dist
deb: package-deps $(SHIP_DEPS)
	PACKAGE_BIN=$(abspath $(SHIP_BIN)) scripts/build-deb $(DEBDIR)

# OCI image bitprobe:VERSION from scratch with podman (scripts/build-image).
image: package-deps $(SHIP_DEPS)
	scripts/build-image $(SHIP_BIN)
