#!/usr/bin/env bash
# Installs the Debian 12 packages strata needs to build, test and benchmark — only those missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libxxhash-dev libsnappy-dev libzstd-dev          # library: checksums (header-only), compression
  libgtest-dev libgmock-dev librapidcheck-dev      # tests
  libgflags-dev libbenchmark-dev                   # tools and micro-benchmarks
  libleveldb-dev librocksdb-dev                    # strata_bench side-by-side engines
  clang libclang-rt-14-dev                         # thread-safety analysis, fuzzers
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "deps: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
