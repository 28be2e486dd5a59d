#!/usr/bin/env bash
# Does a 2-thread run degrade gracefully when another process keeps one core
# busy? Times `attnlab train` with 1 and 2 threads, interleaved, with and without
# a busy loop pinned to CPU 1, and prints medians and the ratio 2-thread / 1-thread
# (at most about 1 is the goal under load: a second thread may not help then,
# but it must not hurt).
#   usage: bash bench/threads_under_load.sh [REPEATS] [ATTNLAB]
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-5}
ATTNLAB=${2:-build/framework/cli/attnlab}
[[ -x $ATTNLAB ]] || { echo "no $ATTNLAB: build first" >&2; exit 1; }
TRAIN=(train --steps 300 --d-model 64 --heads 4 --layers 2 --ffn 256 --log-every 1000)

seconds() {  # seconds THREADS: wall time of one training run
  local start end
  start=$(date +%s.%N)
  "$ATTNLAB" "${TRAIN[@]}" --threads "$1" > /dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

measure() {  # measure LABEL: REPEATS interleaved pairs
  local one=() two=()
  for ((r = 1; r <= REPEATS; r++)); do
    one+=("$(seconds 1)")
    two+=("$(seconds 2)")
  done
  local m1 m2
  m1=$(printf '%s\n' "${one[@]}" | median)
  m2=$(printf '%s\n' "${two[@]}" | median)
  printf '%-28s 1 thread %6.2f s   2 threads %6.2f s   ratio 2/1 %.2f\n' "$1" "$m1" "$m2" \
    "$(echo "$m2 / $m1" | bc -l)"
}

echo "# $(date -u +%FT%TZ)  $(nproc) CPUs  $ATTNLAB  medians of $REPEATS"
measure "idle machine"
taskset -c 1 sh -c 'while :; do :; done' &
hog=$!
trap 'kill $hog 2>/dev/null || true' EXIT
measure "CPU 1 kept busy"
