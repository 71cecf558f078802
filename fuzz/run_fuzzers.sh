#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for a fixed time each, one after the other, on a
# copy of its seed corpus (fuzz/corpus/<target>) plus its saved regression inputs
# (fuzz/regressions/<target>), and prints the executions per target.
#
# Usage: fuzz/run_fuzzers.sh <dir holding the *_fuzzer binaries> <seconds per target> [target...]
#   e.g. fuzz/run_fuzzers.sh build-fuzz/fuzz 60
#        fuzz/run_fuzzers.sh build-fuzz/fuzz 600 table_fuzzer block_fuzzer
#
# Exits non-zero if any target crashes, leaks, times out (-timeout=10 per input) or exceeds
# -rss_limit_mb=2048; the reproducer is left in <binary dir>/artifacts/<target>/ (or
# $FUZZ_ARTIFACT_DIR/<target>/) and its path printed. Replay it with
#   <binary dir>/<target> <reproducer>
# and see docs/testing.md for turning it into a regression test.
# New inputs the fuzzer finds go to a temporary copy of the corpus and are discarded. Extra
# libFuzzer flags: for one target in fuzz/<target>.flags, for all in $FUZZ_FLAGS.
set -uo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 <fuzzer binary dir> <seconds per target> [target...]" >&2
  exit 2
fi
bin_dir=$1
seconds=$2
shift 2
src_dir=$(cd "$(dirname "$0")" && pwd)
artifact_root=${FUZZ_ARTIFACT_DIR:-$bin_dir/artifacts}

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in "$src_dir"/*_fuzzer.cc; do targets+=("$(basename "$f" .cc)"); done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/strata-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=()
summary=()
for t in "${targets[@]}"; do
  bin=$bin_dir/$t
  if [ ! -x "$bin" ]; then
    echo "run_fuzzers: $bin not found (build with -DSTRATA_BUILD_FUZZ=ON and clang)" >&2
    exit 2
  fi
  corpus=$work/$t
  mkdir -p "$corpus" "$artifact_root/$t"
  if [ -d "$src_dir/corpus/$t" ]; then cp -r "$src_dir/corpus/$t/." "$corpus/"; fi
  seeds=("$corpus")
  if [ -d "$src_dir/regressions/$t" ]; then seeds+=("$src_dir/regressions/$t"); fi
  log=$work/$t.log
  target_flags=""
  if [ -f "$src_dir/$t.flags" ]; then target_flags=$(grep -v '^#' "$src_dir/$t.flags"); fi
  echo "== $t: ${seconds}s ${target_flags}"
  # shellcheck disable=SC2086  # the flag variables are lists of flags
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifact_root/$t/" $target_flags ${FUZZ_FLAGS:-} "${seeds[@]}" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    echo "!! $t FAILED (exit $rc); the end of its output:"
    tail -n 60 "$log"
    grep -E 'Test unit written to|artifact_prefix' "$log" || true
    status=FAILED
  else
    status=ok
  fi
  summary+=("$(printf '%-22s %-7s %12s execs %8s/s  %s' "$t" "$status" "${execs:-?}" \
    "${rate:-?}" "${cov:-}")")
done

echo
echo "== fuzzing summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run_fuzzers: ${#failed[@]} target(s) failed: ${failed[*]}; reproducers in $artifact_root/"
  exit 1
fi
