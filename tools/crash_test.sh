#!/usr/bin/env bash
# crash_test.sh: kill -9 crash loop around strata_stress (see docs/stress.md).
#
# Each cycle starts strata_stress with random options on one DB, lets it run for a random time
# (sometimes under half a second, to kill it during recovery), kills it with SIGKILL, then reopens
# the DB with --verify_only, which checks every key against the oracle that survived the kill. The first failure stops the loop; the DB and the oracle are
# kept and the commands to replay are printed.
#
# Usage: crash_test.sh [--cycles N] [--quick] [--stress PATH] [--seed N] [--dir DIR] [--keep]
#                      [--min_run SECONDS] [--max_run SECONDS]
#   --cycles N     cycles to run (default 20; a full run is >= 100)
#   --quick        a short loop for CI: 10 cycles of 1-2 s
#   --stress PATH  the strata_stress binary (default: build/tools/strata_stress of this tree)
#   --seed N       seed of the option choices (default: from the clock; printed)
#   --dir DIR      where the DB lives (default: a new directory under ${TMPDIR:-/tmp})
#   --keep         keep the directory after a successful loop
# Exit status: 0 if every cycle verified, 1 on the first failure, 2 on bad usage.

set -u -o pipefail

cycles=20
min_run=1
max_run=8
stress=""
seed=""
dir=""
keep=0

usage() {
  sed -n '2,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --cycles) cycles="$2"; shift 2 ;;
    --quick) cycles=10; min_run=1; max_run=2; shift ;;
    --stress) stress="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --min_run) min_run="$2"; shift 2 ;;
    --max_run) max_run="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "crash_test: unknown argument $1" >&2; usage ;;
  esac
done

script_dir="$(cd "$(dirname "$0")" && pwd)"
[[ -n "$stress" ]] || stress="$script_dir/../build/tools/strata_stress"
if [[ ! -x "$stress" ]]; then
  echo "crash_test: no strata_stress binary at $stress (build it, or pass --stress)" >&2
  exit 2
fi
[[ -n "$seed" ]] || seed=$(( $(date +%s) % 1000000 ))
RANDOM=$seed
if [[ -z "$dir" ]]; then
  dir="$(mktemp -d "${TMPDIR:-/tmp}/strata_crash.XXXXXX")"
else
  mkdir -p "$dir"
fi
db="$dir/db"

# ---- random choices (RANDOM is read in this shell, never in a subshell, so the seed replays) ----
pick() {  # pick <values...>: sets $picked to one of them
  local args=("$@")
  picked="${args[RANDOM % ${#args[@]}]}"
}

# Compression types this build of strata supports (a probe run on a scratch DB).
compressions=(none)
for c in snappy zstd; do
  if "$stress" --db="$dir/probe" --destroy --compression="$c" --threads=1 --ops=1 --keys=10 \
      --duration=0 >/dev/null 2>&1; then
    compressions+=("$c")
  fi
done
rm -rf "$dir/probe" "$dir/probe.expected"

# Options of the DB that must be the same at every open of it come first; the rest vary freely.
random_options() {
  local cycle=$1
  opts=()
  local sync_modes=(false true mixed)
  opts+=("--sync=${sync_modes[cycle % 3]}")
  pick 1 2 3 4 6 8; opts+=("--threads=$picked")
  pick 50 500 2000 10000 20000; opts+=("--keys=$picked")
  pick 0 16 100 400 2000; opts+=("--value_size_max=$picked")
  pick 4096 16384 65536 262144 1048576; opts+=("--write_buffer_size=$picked")
  pick 2 3 4; opts+=("--max_write_buffer_number=$picked")
  pick 2 4 8; opts+=("--level0_file_num_compaction_trigger=$picked")
  pick 16384 65536 262144; opts+=("--target_file_size_base=$picked")
  pick 65536 262144 1048576; opts+=("--max_bytes_for_level_base=$picked")
  pick 256 1024 4096; opts+=("--block_size=$picked")
  pick 0 10; opts+=("--bloom_bits_per_key=$picked")
  pick 0 65536 1048576; opts+=("--block_cache_size=$picked")
  pick "${compressions[@]}"; opts+=("--compression=$picked")
  pick 0 500 5000; opts+=("--flush_every=$picked")
  pick 0 3000 20000; opts+=("--compact_every=$picked")
  # put delete batch get iterate snapshot
  pick "40 10 10 25 10 5" "60 10 20 5 4 1" "20 5 5 40 20 10" "20 30 30 10 5 5" "10 5 60 10 10 5"
  read -r p d b g i s <<<"$picked"
  opts+=("--put=$p" "--delete=$d" "--batch=$b" "--get=$g" "--iterate=$i" "--snapshot=$s")
  opts+=("--seed=$(( (RANDOM << 15 | RANDOM) + 1 ))")
}

# ---- the loop -------------------------------------------------------------------------------
kills=0
clean_exits=0
failed_reopens=0
lost=0
keys_checked=0
pending_total=0
pending_applied=0
failed=""

summary() {
  echo "crash_test: cycles=$1 kills=$kills clean_exits=$clean_exits failed_reopens=$failed_reopens" \
       "lost_acknowledged_writes=$lost keys_checked=$keys_checked" \
       "in_flight_at_kill=$pending_total in_flight_applied=$pending_applied"
}

field() {  # field <name> <file>: value of name=<n> on the file's "verify:" line
  sed -n "s/^verify: .*\\b$1=\\([0-9]*\\).*/\\1/p" "$2" | tail -1
}

fail() {
  failed="$1"
  echo "crash_test: FAILED at cycle $cycle: $failed" >&2
  echo "crash_test: loop seed $seed; DB and oracle kept in $dir" >&2
  echo "crash_test: stress command: $stress_cmd" >&2
  echo "crash_test: verify command: $verify_cmd" >&2
  echo "crash_test: replay the loop: $0 --seed $seed --cycles $cycles --min_run $min_run" \
       "--max_run $max_run --stress $stress" >&2
  for log in "$dir/stress.log" "$dir/verify.log"; do
    if [[ -s "$log" ]]; then
      echo "---- tail of $log" >&2
      tail -n 25 "$log" >&2
    fi
  done
}

echo "crash_test: seed=$seed cycles=$cycles run=${min_run}-${max_run}s dir=$dir stress=$stress"
cycle=0
for (( cycle = 1; cycle <= cycles; cycle++ )); do
  random_options "$cycle"
  [[ $cycle -eq 1 ]] && opts+=("--destroy")
  # Now and then a run ends by itself instead of being killed: clean shutdown and reopen.
  clean=$(( RANDOM % 10 == 0 ))
  run_ms=$(( min_run * 1000 + RANDOM % ((max_run - min_run) * 1000 + 1) ))
  # Now and then a kill within half a second, while the DB is still opening and recovering (and
  # the oracle resolving what the last kill left in flight): recovery must survive a crash too.
  if (( ! clean && RANDOM % 8 == 0 )); then
    run_ms=$(( 20 + RANDOM % 480 ))
  fi
  if (( clean )); then
    opts+=("--duration=$(( (run_ms + 999) / 1000 ))")
  else
    opts+=("--duration=0")
  fi
  stress_cmd="$stress --db=$db ${opts[*]}"
  verify_cmd="$stress --db=$db --verify_only --write_buffer_size=1048576"

  "$stress" --db="$db" "${opts[@]}" >"$dir/stress.log" 2>&1 &
  pid=$!
  if (( clean )); then
    wait "$pid"; rc=$?
    if [[ $rc -ne 0 ]]; then fail "strata_stress exited with status $rc"; break; fi
    clean_exits=$(( clean_exits + 1 ))
  else
    sleep "$(( run_ms / 1000 )).$(printf '%03d' $(( run_ms % 1000 )))"
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid"
      wait "$pid" 2>/dev/null
      kills=$(( kills + 1 ))
    else
      wait "$pid"; rc=$?
      fail "strata_stress ended before the kill, with status $rc"; break
    fi
  fi

  "$stress" --db="$db" --verify_only --write_buffer_size=1048576 >"$dir/verify.log" 2>&1
  rc=$?
  keys_checked=$(( keys_checked + $(field keys "$dir/verify.log") + 0 ))
  pending_total=$(( pending_total + $(field pending "$dir/verify.log") + 0 ))
  pending_applied=$(( pending_applied + $(field pending_applied "$dir/verify.log") + 0 ))
  if [[ $rc -ne 0 ]]; then
    lost=$(( lost + $(field lost "$dir/verify.log") + 0 ))
    if grep -q "DB::Open" "$dir/verify.log"; then
      failed_reopens=$(( failed_reopens + 1 ))
      fail "the DB did not reopen after the kill"
    else
      fail "verification after the kill failed with status $rc"
    fi
    break
  fi
  printf 'crash_test: cycle %d/%d ok: %s, %s\n' "$cycle" "$cycles" \
    "$( (( clean )) && echo "clean exit" || echo "killed after ${run_ms} ms")" \
    "$(grep '^verify:' "$dir/verify.log" | tail -1 | sed 's/ (after reopen)//')"
done

if [[ -n "$failed" ]]; then
  summary "$(( cycle ))"
  exit 1
fi
summary "$cycles"
echo "crash_test: PASSED"
if (( ! keep )); then rm -rf "$dir"; fi
exit 0
