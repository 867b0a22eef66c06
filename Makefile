# Thin front end over CMake/CTest. Everything real lives in CMakeLists.txt and scripts/.
BUILD      ?= build
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
GENERATOR  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
SOURCES     = $(shell git ls-files '*.cpp' '*.h' '*.cu' '*.cuh' 2>/dev/null)

.PHONY: all setup build test test-slow test-gpu quickstart bench bench-deps format format-check \
        sanitize cuda mpi fuzz clean

all: build

setup:
	bash scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(GENERATOR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# The default suite: what CI runs on every submission.
test: setup build
	cd $(BUILD) && ctest -L fast --output-on-failure -j$(JOBS) --timeout 600

test-slow: setup build
	cd $(BUILD) && ctest -L slow --output-on-failure -j$(JOBS)

test-gpu: setup
	$(MAKE) cuda
	cd build-cuda && ctest -L gpu --output-on-failure

quickstart: setup build
	./$(BUILD)/bin/jenny quickstart

bench-deps:
	bash scripts/setup.sh --bench

bench: setup build
	bash bench/run.sh $(BUILD)

# ASan + UBSan build of the same tests.
sanitize: setup
	cmake -S . -B build-sanitize $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJENNY_SANITIZE=ON -DJENNY_NATIVE=ON
	cmake --build build-sanitize -j$(JOBS)
	cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest -L fast --output-on-failure -j$(JOBS) --timeout 900

# Compile-only check of the CUDA build (nothing needs a GPU to build).
cuda:
	cmake -S . -B build-cuda $(GENERATOR) -DCMAKE_BUILD_TYPE=Release -DJENNY_CUDA=ON
	cmake --build build-cuda -j$(JOBS)

mpi:
	cmake -S . -B build-mpi $(GENERATOR) -DCMAKE_BUILD_TYPE=Release -DJENNY_MPI=ON
	cmake --build build-mpi -j$(JOBS)

# libFuzzer targets (src/*/*_fuzz.cpp), built with clang, each run FUZZ_SECONDS (default 300)
# from the seeds in fuzz/<target>/; crashes land in build-fuzz/crashes/.
FUZZ_SECONDS ?= 300
fuzz: setup
	CC=clang CXX=clang++ cmake -S . -B build-fuzz $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DJENNY_FUZZ=ON -DJENNY_NATIVE=ON
	cmake --build build-fuzz -j$(JOBS)
	bash fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

format:
	clang-format -i $(SOURCES)

format-check:
	clang-format --dry-run --Werror $(SOURCES)

clean:
	rm -rf $(BUILD) build-sanitize build-cuda build-mpi build-fuzz
