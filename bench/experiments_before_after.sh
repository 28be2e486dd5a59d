#!/usr/bin/env bash
# Sweep throughput before and after a change: shipped experiments run by two
# builds of attnlab, alternately (this VM's speed drifts; which goes first
# swaps with each repeat and each experiment), REPEATS times each, with `-j 2`,
# into fresh directories. Prints each run's wall time and trials per hour, each
# experiment's median speed-up (old wall time / new; above 1: the new build is
# faster), and the total wall time of all of them (sum of each build's medians).
#   usage: bash bench/experiments_before_after.sh OLD_ATTNLAB NEW_ATTNLAB [REPEATS [EXPERIMENT.yaml...]]
# With no experiments named, every experiments/*.yaml (about an hour for one
# repeat of both builds here). An old build beside the tree, e.g. of 82815e7
# (before issue 19):
#   git worktree add /tmp/before 82815e7
#   cmake -S /tmp/before -B /tmp/before/build -DCMAKE_BUILD_TYPE=Release -DATTNLAB_BUILD_TESTS=OFF
#   make -C /tmp/before/build attnlab_cli        # then OLD_ATTNLAB=/tmp/before/build/framework/cli/attnlab
set -euo pipefail
shopt -s inherit_errexit
(($# >= 2)) || { echo "usage: $0 OLD_ATTNLAB NEW_ATTNLAB [REPEATS [EXPERIMENT.yaml...]]" >&2; exit 2; }
declare -A build=([old]=$1 [new]=$2)
for which in old new; do
  [[ -x ${build[$which]} ]] || { echo "no attnlab at ${build[$which]}" >&2; exit 1; }
  build[$which]=$(realpath "${build[$which]}")
done
REPEATS=${3:-1}
((REPEATS >= 1)) || { echo "REPEATS must be at least 1, got $REPEATS" >&2; exit 2; }
experiments=()
for named in "${@:4}"; do
  [[ -f $named ]] || { echo "no experiment file $named" >&2; exit 1; }
  experiments+=("$(realpath "$named")")
done
cd "$(dirname "$0")/.."
((${#experiments[@]} > 0)) || experiments=("$PWD"/experiments/*.yaml)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() {  # median of the numbers on standard input
  sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

seconds() {  # seconds WHICH EXPERIMENT: wall time of the whole sweep by build WHICH
  local out=$work/out start end status=0
  rm -rf "$out"
  start=$(date +%s.%N)
  "${build[$1]}" run "$2" -q -j 2 -o output="$out" > "$work/run.txt" 2>&1 || status=$?
  end=$(date +%s.%N)
  if ((status != 0)) || grep -q ",failed," "$out/trials.csv"; then
    local kept
    kept=$(mktemp -d "${TMPDIR:-/tmp}/experiments_before_after.XXXXXX")
    [[ ! -e $out ]] || mv "$out" "$kept/output"
    mv "$work/run.txt" "$kept/"
    echo "$(basename "$2"), $1 build (${build[$1]}): the run failed (exit $status);" \
      "its output and messages are kept in $kept" >&2
    exit 1
  fi
  rm -rf "$out"
  echo "$end - $start" | bc
}

declare -A total=([old]=0 [new]=0)
printf '%-26s %-7s %-4s %10s %16s\n' experiment repeat build "wall s" "trials per hour"
for e in "${!experiments[@]}"; do
  experiment=${experiments[$e]}
  name=$(basename "$experiment")
  # (sed reads the whole listing: a reader that stops early would fail the pipe)
  trials=$("${build[new]}" plan "$experiment" | sed -n '1s/.*: \([0-9]*\) trials.*/\1/p')
  declare -A walls=([old]="" [new]="")
  ratios=()
  for ((r = 1; r <= REPEATS; r++)); do
    order=(old new)  # swapped on every other repeat and every other experiment
    (((r + e) % 2 == 1)) || order=(new old)
    declare -A wall=()
    for which in "${order[@]}"; do
      wall[$which]=$(seconds "$which" "$experiment")
      walls[$which]+="${wall[$which]}"$'\n'
      printf '%-26s %-7s %-4s %10.1f %16.0f\n' "$name" "$r" "$which" "${wall[$which]}" \
        "$(echo "$trials * 3600 / ${wall[$which]}" | bc -l)"
    done
    ratios+=("$(echo "${wall[old]} / ${wall[new]}" | bc -l)")
  done
  for which in old new; do
    total[$which]=$(echo "${total[$which]} + $(printf '%s' "${walls[$which]}" | median)" | bc -l)
  done
  printf 'RESULT %s speed-up (old wall / new wall), median of %d: %.2fx\n' "$name" "$REPEATS" \
    "$(printf '%s\n' "${ratios[@]}" | median)"
done
printf 'RESULT all %d experiments: old %.0f s, new %.0f s, speed-up (old / new) %.2fx\n' \
  "${#experiments[@]}" "${total[old]}" "${total[new]}" "$(echo "${total[old]} / ${total[new]}" | bc -l)"
