#!/usr/bin/env bash
# Builds and runs the whole test suite, the way CI does:
#   1. Release-with-asserts build (g++, warnings are errors): every test.
#   2. clang build: thread-safety analysis (-Wthread-safety, errors) and the fuzz targets, each
#      fuzzed for a short time (FUZZ_SECONDS, default 60).
#   3. AddressSanitizer + UndefinedBehaviorSanitizer build: every test.
#   4. ThreadSanitizer build: every test.
# Usage: scripts/test.sh [--quick]   (--quick: step 1 only)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

jobs=$(nproc)
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; fi

run_suite() {  # <build dir> <label>
  echo "== tests: $2"
  (cd "$1" && ctest --output-on-failure -j "$jobs" --timeout 1200)
}

step() { echo; echo "######## $* ########"; }

step "release build (g++ -Werror)"
cmake -S . -B build/ci-release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_WERROR=ON \
  -DSTRATA_BUILD_BENCH=ON
cmake --build build/ci-release -j "$jobs"
run_suite build/ci-release release
if [ "$quick" = 1 ]; then exit 0; fi

step "clang build: thread-safety analysis and fuzzers"
CC=clang CXX=clang++ cmake -S . -B build/ci-clang -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSTRATA_WERROR=ON -DSTRATA_BUILD_TESTS=OFF -DSTRATA_BUILD_FUZZ=ON
cmake --build build/ci-clang -j "$jobs"
if [ -x fuzz/run_fuzzers.sh ]; then
  fuzz/run_fuzzers.sh build/ci-clang/fuzz "${FUZZ_SECONDS:-60}"
fi

step "ASan + UBSan build"
cmake -S . -B build/ci-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_WERROR=ON \
  -DSTRATA_SANITIZE=address,undefined
cmake --build build/ci-asan -j "$jobs"
# Sanitized runs are several times slower: STRATA_TEST_SCALE < 1 shortens the heavy loops (tests
# that try every byte offset step over some; see tests/testutil.h). The release stage runs them
# in full.
STRATA_TEST_SCALE=0.34 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_suite build/ci-asan asan+ubsan

step "TSan build"
cmake -S . -B build/ci-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_WERROR=ON \
  -DSTRATA_SANITIZE=thread
cmake --build build/ci-tsan -j "$jobs"
STRATA_TEST_SCALE=0.2 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  run_suite build/ci-tsan tsan

echo
echo "all test stages passed"
