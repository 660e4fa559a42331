# nncert — the two README commands (`make test`, `make demo`) and a few helpers.
# Every target first installs missing Debian packages, then configures and builds incrementally.

BUILD      ?= build
BUILD_SAN  ?= build-sanitize
BUILD_FUZZ ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 60
GENERATOR  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
PACKAGES   := scripts/debian-packages.txt
PACKAGES_TARGETS := scripts/debian-packages-targets.txt

.PHONY: all deps deps-targets build test demo test-sanitize fuzz clean

all: build

deps:
	@scripts/install-deps.sh $(PACKAGES)

# Cross toolchains and emulators for `nncert conform --target armv7|riscv64|cortex-m3|cortex-m4|cortex-m55`.
deps-targets:
	@scripts/install-deps.sh $(PACKAGES_TARGETS)

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(GENERATOR) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build deps-targets
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	scripts/demo.sh $(BUILD)

test-sanitize: deps
	cmake -S . -B $(BUILD_SAN) $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNNCERT_SANITIZE=ON
	cmake --build $(BUILD_SAN) -j $(JOBS)
	cd $(BUILD_SAN) && ctest --output-on-failure -j $(JOBS)

# libFuzzer targets for every reader; each runs FUZZ_SECONDS (make fuzz FUZZ_SECONDS=600).
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(BUILD_FUZZ) $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNNCERT_FUZZ=ON
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzzers
	scripts/run-fuzzers.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ)
