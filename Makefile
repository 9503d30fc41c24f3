# xtars: the two commands (make demo, make test) and friends, wrapping CMake.
# `make demo` installs only what the demo needs (DEMO_PACKAGES) and builds only
# the three programs it runs; `make deps` (and with it `make test` and the other
# targets) installs everything: DEMO_PACKAGES and TEST_PACKAGES.

BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
BUILD_VALGRIND ?= build-valgrind
# Seconds each fuzz target runs in `make test-fuzz` (CI: the default; the
# longer run recorded in docs/reliability.md: FUZZ_SECONDS=300).
FUZZ_SECONDS ?= 15
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

# Building xtars and running the demo on Debian 12: the compiler and CMake, the
# libraries, a headless X server (xvfb, with xkbcomp and the keymaps), xsetroot
# for the demo's background and the fixed fonts the demo app draws with.
DEMO_PACKAGES := \
	build-essential cmake pkg-config \
	libx11-dev libxext-dev libxtst-dev libxrandr-dev libxfixes-dev \
	libpng-dev zlib1g-dev libjpeg62-turbo-dev libisal-dev \
	libcurl4-openssl-dev libcjson-dev libmicrohttpd-dev \
	xvfb xauth x11-xserver-utils x11-xkb-utils xkb-data xfonts-base
# What the tests, the fuzzers, valgrind runs and the benchmarks need on top:
# clang (fuzzers), the apps the tests drive and compare with (xterm, openbox,
# xdotool, scrot, imagemagick, x11-utils), chromium (the report rendered),
# openssl (a TLS endpoint), valgrind. A package missing here and found missing
# only in CI is a bug.
TEST_PACKAGES := \
	clang x11-utils xdotool scrot imagemagick chromium fonts-dejavu-core valgrind xterm \
	openssl openbox xclip
PACKAGES := $(DEMO_PACKAGES) $(TEST_PACKAGES)
# The programs examples/demo/run.sh runs.
DEMO_TARGETS := xtars xtars-demo-app xtars-model-server

.PHONY: all build deps deps-demo test test-asan test-fuzz test-valgrind demo bench install clean print-packages print-demo-packages

all: build

build:
	@cmake -S . -B $(BUILD) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

print-packages:
	@echo $(PACKAGES)

print-demo-packages:
	@echo $(DEMO_PACKAGES)

# Installs the packages of $(1) that are missing (as root), or prints the
# apt-get command that would.
define install_missing
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "xtars: missing Debian packages:$$missing"; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "xtars: run as root: apt-get update && apt-get install -y --no-install-recommends$$missing"; \
	  exit 1; \
	fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q && apt-get install -y -q --no-install-recommends $$missing
endef

deps:
	$(call install_missing,$(PACKAGES))

deps-demo:
	$(call install_missing,$(DEMO_PACKAGES))

test: deps
	@cmake -S . -B $(BUILD) -DXTARS_WERROR=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DXTARS_SANITIZE=ON -DXTARS_WERROR=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS)

# libFuzzer targets (clang, ASan+UBSan) for every parser of untrusted input,
# FUZZ_SECONDS each, two at a time (docs/reliability.md).
test-fuzz: deps
	@cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang -DXTARS_FUZZ=ON -DXTARS_WERROR=ON -DXTARS_FUZZ_SECONDS=$(FUZZ_SECONDS) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzzers
	cd $(BUILD_FUZZ) && ctest --output-on-failure -j $(JOBS) -L fuzz

# The whole suite (fuzzers aside) with each test and every xtars it starts
# under memcheck: an error or a definite or possible leak fails the test
# (docs/reliability.md). 5 to 9 minutes on 2 cores.
test-valgrind: deps
	@cmake -S . -B $(BUILD_VALGRIND) -DXTARS_VALGRIND=ON -DXTARS_WERROR=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD_VALGRIND) -j $(JOBS)
	rm -f $(BUILD_VALGRIND)/valgrind/*.log
	cd $(BUILD_VALGRIND) && ctest --output-on-failure -j $(JOBS) -LE fuzz
	@echo "valgrind: $$(ls $(BUILD_VALGRIND)/valgrind | wc -l) processes checked, $$(find $(BUILD_VALGRIND)/valgrind -name '*.log' -size +0 | wc -l) with a report"

# Only the demo's programs: the library and the three executables, not the tests
# and benchmarks (under a minute on 2 cores from an empty build directory).
demo: deps-demo
	@cmake -S . -B $(BUILD) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target $(DEMO_TARGETS)
	@examples/demo/run.sh $(BUILD)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(BUILD_VALGRIND)

# Benchmarks print each figure next to its peer measured in the same run, and
# the ratio (docs/performance.md); they never fail on slowness. The node peers
# (bench/package.json) are installed into bench/node_modules first when npm is
# there (NO_NPM=1: skip them; they print "not measured"). Parser (against
# @ui-tars/action-parser), executor (xdotool, the nut-js operator), capture
# pipeline (scrot, import, nut-js + jimp), the loop's own overhead per step, an MCP tool call
# (against an xdotool+scrot MCP server), and a 200-step report in headless Chromium (against
# Midscene's report of the same screenshots).
bench: deps build
	@bench/npm_peers.sh
	@uptime
	./$(BUILD)/bench/bench_parse tests/data/parse
	./$(BUILD)/bench/bench_exec
	BUILD=$(BUILD) bench/capture.sh
	./$(BUILD)/bench/bench_loop
	BUILD=$(BUILD) bench/mcp.sh
	BUILD=$(BUILD) bench/report.sh
	@uptime
