# Nexus: thin wrapper around Meson. `make test` is the command CI runs.
#   make          build (debug, sanitizers) into build/
#   make test     every test under ASan + UBSan, then each fuzz target briefly
#   make run      boot Nexus in the foreground from the optimised build (build-release/;
#                 Ctrl-C stops); make run-debug: the same from the sanitizer build (build/)
#   make install  nx, nexus-init, the daemons, libnexus (headers, nexus.pc), the default
#                 policy, man pages and bash completion under PREFIX (default /usr/local),
#                 staged under DESTDIR if given; built from INSTALL_BUILD (build-release)
#   make example  the example service and client: a call, a capability, a VMO
#   make bench    benchmarks, optimised build, figures printed beside their baselines
#   make fuzz     every libFuzzer target for FUZZ_SECONDS each (default 60)
#   make fuzz-merge  the same, then minimise each corpus into tests/fuzz/corpus/<target>/
#   make fuzz-campaign  every target until it has used FUZZ_CPU_SECONDS of CPU (default 1200),
#                 FUZZ_JOBS at a time (default: the cores), then minimise into its corpus
#   make lint     clang-format check, clang-tidy, cppcheck, the safe-C gate for userspace/
#   make golden   refresh the code generator's expected outputs (review the diff)

BUILD        ?= build
BUILD_REL    ?= build-release
BUILD_FUZZ   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CPU_SECONDS ?= 1200
FUZZ_JOBS    ?= $(shell nproc)
MESON        ?= meson
PREFIX       ?= /usr/local
DESTDIR      ?=
INSTALL_BUILD ?= $(BUILD_REL)

.PHONY: all deps build test run run-debug install example bench fuzz fuzz-merge fuzz-campaign lint format golden clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	$(MESON) setup $(BUILD) -Db_sanitize=address,undefined -Db_lundef=false

$(BUILD_REL)/build.ninja: | deps
	$(MESON) setup $(BUILD_REL) --buildtype=release -Db_ndebug=false -Db_lto=true

$(BUILD_FUZZ)/build.ninja: | deps
	CC=clang-14 CXX=clang++-14 $(MESON) setup $(BUILD_FUZZ) -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

test: build $(BUILD_FUZZ)/build.ninja
	ninja -C $(BUILD_FUZZ)
	@status=0; \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		$(MESON) test -C $(BUILD) --print-errorlogs --no-suite bench || status=1; \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(MESON) test -C $(BUILD_FUZZ) --suite fuzz --print-errorlogs || status=1; \
	scripts/test-summary.sh $(BUILD) $(BUILD_FUZZ); \
	exit $$status

run: deps $(BUILD_REL)/build.ninja
	ninja -C $(BUILD_REL)
	@scripts/run-system.sh $(BUILD_REL)

run-debug: build
	@scripts/run-system.sh $(BUILD)

install: deps $(INSTALL_BUILD)/build.ninja
	@scripts/install.sh $(INSTALL_BUILD) "$(PREFIX)" "$(DESTDIR)"

example: build
	@scripts/run-example.sh $(BUILD)

bench: deps $(BUILD_REL)/build.ninja
	ninja -C $(BUILD_REL)
	@scripts/bench.sh $(BUILD_REL)

fuzz: deps $(BUILD_FUZZ)/build.ninja
	ninja -C $(BUILD_FUZZ)
	@scripts/fuzz.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

fuzz-merge: deps $(BUILD_FUZZ)/build.ninja
	ninja -C $(BUILD_FUZZ)
	@FUZZ_MERGE=1 scripts/fuzz.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

fuzz-campaign: deps $(BUILD_FUZZ)/build.ninja
	ninja -C $(BUILD_FUZZ)
	@scripts/fuzz-campaign.sh $(BUILD_FUZZ) $(BUILD_FUZZ)/campaign $(FUZZ_JOBS) \
		$$(scripts/fuzz-targets.sh $(BUILD_FUZZ) | xargs -n1 basename | sed 's/$$/=$(FUZZ_CPU_SECONDS)/')

lint: build
	@scripts/lint.sh $(BUILD)

golden: build
	ninja -C $(BUILD) capnpc-c-golden
	git diff --stat tests/unit/capnpc-c/golden/expected

format:
	@git ls-files '*.c' '*.h' '*.cpp' | grep -v '^tests/golden/' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(BUILD_REL) $(BUILD_FUZZ)
