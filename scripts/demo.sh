#!/usr/bin/env bash
# Builds strata in Release, runs the example and a short benchmark.
#   scripts/demo.sh            (build dir: build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_BUILD_TESTS=OFF
cmake --build build/release -j "$(nproc)"

echo "== examples/basic_usage"
build/release/examples/basic_usage "${TMPDIR:-/tmp}/strata_demo_basic_usage"

if [ -x build/release/tools/strata_bench ]; then
  echo "== strata_bench (200k keys)"
  db="${TMPDIR:-/tmp}/strata_demo_bench"
  rm -rf "$db"
  build/release/tools/strata_bench --db="$db" --num=200000 \
    --benchmarks=fillseq,fillrandom,overwrite,readrandom,seekrandom,readseq,readreverse
  rm -rf "$db"
fi
