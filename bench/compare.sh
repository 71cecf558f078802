#!/usr/bin/env bash
# compare.sh — runs strata_bench's standard suite against strata, LevelDB and RocksDB and prints
# a side-by-side table of medians over several repeats.
#
# Engines are interleaved within each repeat (strata, leveldb, rocksdb, strata, ...) so that all
# of them see the same machine conditions; the medians then hide one-off noise. See
# docs/benchmarks.md for what each benchmark does and how the settings are matched.
#
# Usage: bench/compare.sh [--10m] [-n NUM] [-r REPEATS] [-e "ENGINES"] [-- extra strata_bench flags]
#
# Environment (flags win):
#   NUM=1000000          keys (16-byte keys, 100-byte values); --10m sets 10000000
#   REPEATS=3            repeats; the table shows medians
#   ENGINES="strata leveldb rocksdb"
#   STRATA_BENCH=build/tools/strata_bench
#   SEEKNEXT_READS=NUM/20    seeks of "seekrandom + 100 next" (each reads 100 entries)
#   FILLSYNC_NUM=NUM/100     synced writes of fillsync
#   RWW_READS=NUM/4          reads of readwhilewriting's reader (the writer runs meanwhile)
#   DB_ROOT=(a new /tmp/strata_compare.XXXXXX)   where the DBs live; removed at the end
#   LOG_DIR=/tmp/strata_compare-logs-<date>      every strata_bench output, kept
#   KEEP_DBS=0               1: leave the DBs in DB_ROOT
#   SETTLE_SECONDS=60        after each write benchmark, wait (at most this long) until the DB
#                            directory stops changing; write amp and space are measured then, so
#                            they include the flushes and compactions the benchmark left behind
#
# Duration with the defaults (1M keys, 3 repeats, 3 engines): about 12 minutes on a 2-core cloud
# VM, up to twice that when the machine is busy; 10M keys takes more than ten times as long.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$script_dir")

NUM=${NUM:-1000000}
REPEATS=${REPEATS:-3}
ENGINES=${ENGINES:-"strata leveldb rocksdb"}
STRATA_BENCH=${STRATA_BENCH:-$repo_dir/build/tools/strata_bench}
EXTRA_FLAGS=()

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --10m) NUM=10000000 ;;
    -n) NUM=$2; shift ;;
    -r) REPEATS=$2; shift ;;
    -e) ENGINES=$2; shift ;;
    -h|--help) usage 0 ;;
    --) shift; EXTRA_FLAGS=("$@"); break ;;
    *) echo "compare.sh: unknown argument '$1'" >&2; usage 2 ;;
  esac
  shift
done

SEEKNEXT_READS=${SEEKNEXT_READS:-$(( NUM / 20 > 0 ? NUM / 20 : 1 ))}
FILLSYNC_NUM=${FILLSYNC_NUM:-$(( NUM / 100 > 0 ? NUM / 100 : 1 ))}
RWW_READS=${RWW_READS:-$(( NUM / 4 > 0 ? NUM / 4 : 1 ))}
LOG_DIR=${LOG_DIR:-/tmp/strata_compare-logs-$(date +%Y%m%d-%H%M%S)}
KEEP_DBS=${KEEP_DBS:-0}
SETTLE_SECONDS=${SETTLE_SECONDS:-60}

if [[ ! -x "$STRATA_BENCH" ]]; then
  echo "compare.sh: $STRATA_BENCH not found; build it first:" >&2
  echo "  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build strata_bench" >&2
  exit 2
fi

if [[ -z "${DB_ROOT:-}" ]]; then
  DB_ROOT=$(mktemp -d /tmp/strata_compare.XXXXXX)
  created_db_root=1
else
  mkdir -p "$DB_ROOT"
  created_db_root=0
fi
cleanup() {
  if [[ "$KEEP_DBS" != 1 ]]; then
    for engine in $ENGINES; do rm -rf "${DB_ROOT:?}/$engine"; done
    [[ $created_db_root == 1 ]] && rmdir "$DB_ROOT" 2>/dev/null || true
  fi
}
trap cleanup EXIT
mkdir -p "$LOG_DIR"
results="$LOG_DIR/results.tsv"
: > "$results"

describe_machine() {
  echo "Machine:   $(uname -srm), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "Memory:    $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "Storage:   $(df -T "$DB_ROOT" | awk 'NR == 2 {print $2 " on " $1}') ($DB_ROOT)"
  echo "Load:      $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at start)"
  echo "Settings:  NUM=$NUM REPEATS=$REPEATS ENGINES=\"$ENGINES\" SEEKNEXT_READS=$SEEKNEXT_READS" \
       "SETTLE_SECONDS=$SETTLE_SECONDS" \
       "FILLSYNC_NUM=$FILLSYNC_NUM RWW_READS=$RWW_READS ${EXTRA_FLAGS[*]:-}"
  echo "Logs:      $LOG_DIR"
}

# Extracts the results of one strata_bench log as "engine repeat key metric value" lines.
# key is "<group>/<benchmark>"; a benchmark's second run in one log is "<benchmark>#2".
parse_log() {
  local engine=$1 repeat=$2 group=$3 log=$4
  awk -v e="$engine" -v r="$repeat" -v g="$group" '
    # The field after the "label :" of a cost line.
    function after_colon(   i) {
      for (i = 1; i < NF; i++) if ($i ~ /:$/) return $(i + 1)
      return ""
    }
    /^[a-z]+ *: +[0-9.]+ micros\/op [0-9]+ ops\/sec;/ {
      name = $1
      seen[name]++
      if (seen[name] > 1) name = name "#" seen[name]
      for (i = 1; i <= NF; i++) if ($i == "ops/sec;") print e, r, g "/" name, "ops", $(i - 1)
    }
    /^  write amp \(process I\/O\) *:/ { print e, r, g "/" name, "wamp_end", after_colon() }
    /^  space \(DB directory\) *:/ { print e, r, g "/" name, "size_mb_end", after_colon() }
    /^  write amp \(settled\) *:/ { print e, r, g "/" name, "wamp", after_colon() }
    /^  space \(settled\) *:/ { print e, r, g "/" name, "size_mb", after_colon() }
    /^  write amp \(strata\.stats\) *:/ { print e, r, g "/" name, "engine_wamp", after_colon() }
    /^Writer percentiles:/ {
      for (i = 1; i <= NF; i++) if ($i == "P99:") print e, r, g "/" name, "writer_p99", $(i + 1)
    }
  ' "$log" >> "$results"
}

failures=0
unavailable=" "
# run_group ENGINE REPEAT GROUP FLAGS...: one strata_bench invocation, logged and parsed.
run_group() {
  local engine=$1 repeat=$2 group=$3
  shift 3
  [[ "$unavailable" == *" $engine "* ]] && return 0
  local log="$LOG_DIR/$engine-r$repeat-$group.log"
  printf '  %-8s %-10s ' "$engine" "$group"
  local start=$SECONDS rc=0
  "$STRATA_BENCH" --engine="$engine" --db="$DB_ROOT/$engine" --num="$NUM" \
    --settle_seconds="$SETTLE_SECONDS" "$@" \
    ${EXTRA_FLAGS[@]+"${EXTRA_FLAGS[@]}"} > "$log" 2>&1 || rc=$?
  if (( rc == 0 )); then
    printf '%4ds\n' $(( SECONDS - start ))
  elif (( rc == 2 )); then
    # Usage error: bad flags, or an engine this strata_bench was built without.
    printf 'not run: %s\n' "$(tail -n 1 "$log")"
    unavailable="$unavailable$engine "
    failures=$(( failures + 1 ))
  else
    printf 'FAILED (see %s)\n' "$log"
    tail -n 5 "$log" | sed 's/^/      /'
    failures=$(( failures + 1 ))
  fi
  parse_log "$engine" "$repeat" "$group" "$log"
}

run_suite() {
  local engine=$1 repeat=$2
  run_group "$engine" "$repeat" seq --benchmarks=fillseq
  run_group "$engine" "$repeat" rand \
    --benchmarks=fillrandom,readrandom,compact,readrandom,readmissing,seekrandom,readseq,readreverse
  run_group "$engine" "$repeat" seeknext --use_existing_db --benchmarks=seekrandomnext \
    --seek_nexts=100 --reads="$SEEKNEXT_READS"
  run_group "$engine" "$repeat" over --use_existing_db --benchmarks=overwrite
  run_group "$engine" "$repeat" rww --use_existing_db --benchmarks=readwhilewriting --histogram \
    --reads="$RWW_READS"
  run_group "$engine" "$repeat" sync --benchmarks=fillsync --fillsync_num="$FILLSYNC_NUM"
  run_group "$engine" "$repeat" t2 --benchmarks=fillrandom --threads=2
}

describe_machine
echo
suite_start=$SECONDS
for (( repeat = 1; repeat <= REPEATS; repeat++ )); do
  echo "Repeat $repeat of $REPEATS"
  for engine in $ENGINES; do run_suite "$engine" "$repeat"; done
done
echo "Total time: $(( (SECONDS - suite_start) / 60 )) min $(( (SECONDS - suite_start) % 60 )) s"
echo

# ---- Report: medians over repeats ----------------------------------------------------------------
# Rows: "key metric label better", better = "high" (throughput) or "low" (cost).
rows='seq/fillseq ops fillseq high
rand/fillrandom ops fillrandom high
over/overwrite ops overwrite high
rand/readrandom ops readrandom_(fresh) high
rand/readrandom#2 ops readrandom_(compacted) high
rand/readmissing ops readmissing high
rand/seekrandom ops seekrandom high
seeknext/seekrandomnext ops seekrandom_+_100_next high
rand/readseq ops readseq high
rand/readreverse ops readreverse high
sync/fillsync ops fillsync high
t2/fillrandom ops fillrandom_(2_threads) high
rww/readwhilewriting ops readwhilewriting_(reads) high
rww/readwhilewriting writer_p99 readwhilewriting_writer_p99_us low
seq/fillseq wamp write_amp_fillseq low
rand/fillrandom wamp write_amp_fillrandom low
over/overwrite wamp write_amp_overwrite low
t2/fillrandom wamp write_amp_fillrandom_(2_threads) low
over/overwrite engine_wamp strata.stats_write_amp_overwrite low
rand/fillrandom size_mb db_MB_after_fillrandom low
rand/compact size_mb_end db_MB_after_compact low
over/overwrite size_mb db_MB_after_overwrite low'

awk -v engines="$ENGINES" -v rows="$rows" -v num="$NUM" -v repeats="$REPEATS" '
  function median(list,    n, v, i, j, t) {
    n = split(list, v, " ")
    for (i = 2; i <= n; i++) {  # insertion sort: a handful of values
      t = v[i] + 0
      for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]
      v[j + 1] = t
    }
    if (n == 0) return ""
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  function fmt(x, metric) {
    if (x == "") return "-"
    if (metric == "ops") return sprintf("%d", x + 0.5)
    return sprintf("%.2f", x)
  }
  { vals[$1 SUBSEP $3 SUBSEP $4] = vals[$1 SUBSEP $3 SUBSEP $4] " " $5 }
  END {
    ne = split(engines, eng, " ")
    printf "Medians of %d repeat(s), %d keys, 16-byte keys, 100-byte values\n\n", repeats, num
    line = sprintf("%-36s", "benchmark (ops/sec)")
    for (i = 1; i <= ne; i++) line = line sprintf(" %12s", eng[i])
    print line sprintf(" %14s", "strata / best")
    nr = split(rows, row, "\n")
    for (k = 1; k <= nr; k++) {
      split(row[k], f, " ")
      key = f[1]; metric = f[2]; label = f[3]; better = f[4]
      gsub("_", " ", label)
      if (metric != "ops" && !printed_sep) {
        print "\nLatency and costs (lower is better; write amp = bytes written to storage / logical bytes;"
        print "write amp and space measured once the DB directory stopped changing after the benchmark)"
        printed_sep = 1
      }
      line = sprintf("%-36s", label)
      best = ""; strata = ""; any = 0
      for (i = 1; i <= ne; i++) {
        m = median(vals[eng[i] SUBSEP key SUBSEP metric])
        if (m != "") any = 1
        line = line sprintf(" %12s", fmt(m, metric))
        if (eng[i] == "strata") { strata = m; continue }
        if (m == "") continue
        if (best == "" || (better == "high" ? m + 0 > best + 0 : m + 0 < best + 0)) best = m
      }
      if (!any) continue
      ratio = (strata != "" && best != "" && best + 0 > 0) ? sprintf("%.2fx", strata / best) : "-"
      print line sprintf(" %14s", ratio)
    }
    print "\nstrata / best: strata divided by the best of the other engines (throughput: > 1 is"
    print "better for strata; costs and latency: < 1 is better for strata)."
  }
' "$results"

if (( failures > 0 )); then
  echo
  echo "compare.sh: $failures strata_bench run(s) failed; see the logs in $LOG_DIR" >&2
  exit 1
fi
