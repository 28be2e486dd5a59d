#!/usr/bin/env bash
# Sweep throughput before and after a change: experiments/heads.yaml (100
# trials, about 1.5 minutes each run here) run by two builds of attnlab, alternately (this VM's speed drifts),
# REPEATS times each, with `-j 2`, into fresh directories. Prints each run's
# wall time and trials per hour, and the median after/before ratio.
#   usage: bash bench/heads_before_after.sh OLD_ATTNLAB NEW_ATTNLAB [REPEATS]
# An old build beside the tree, e.g. of 82815e7 (before issue 19):
#   git worktree add /tmp/before 82815e7
#   cmake -S /tmp/before -B /tmp/before/build -DCMAKE_BUILD_TYPE=Release -DATTNLAB_BUILD_TESTS=OFF
#   make -C /tmp/before/build attnlab_cli        # then OLD_ATTNLAB=/tmp/before/build/framework/cli/attnlab
set -euo pipefail
shopt -s inherit_errexit
(($# >= 2)) || { echo "usage: $0 OLD_ATTNLAB NEW_ATTNLAB [REPEATS]" >&2; exit 2; }
declare -A build=([old]=$1 [new]=$2)
for which in old new; do
  [[ -x ${build[$which]} ]] || { echo "no attnlab at ${build[$which]}" >&2; exit 1; }
  build[$which]=$(realpath "${build[$which]}")
done
REPEATS=${3:-2}
cd "$(dirname "$0")/.."
EXPERIMENT=$(realpath experiments/heads.yaml)
# (sed reads the whole listing: a reader that stops early would fail the pipe)
trials=$("${build[new]}" plan "$EXPERIMENT" | sed -n '1s/.*: \([0-9]*\) trials.*/\1/p')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seconds() {  # seconds ATTNLAB: wall time of the whole sweep
  local out=$work/out start end
  rm -rf "$out"
  start=$(date +%s.%N)
  "$1" run "$EXPERIMENT" -q -j 2 -o output="$out" > /dev/null
  end=$(date +%s.%N)
  ! grep -q ",failed," "$out/trials.csv"
  echo "$end - $start" | bc
}

ratios=()
printf '%-7s %-4s %10s %16s\n' repeat build "wall s" "trials per hour"
for ((r = 1; r <= REPEATS; r++)); do
  declare -A wall=()
  for which in old new; do
    wall[$which]=$(seconds "${build[$which]}")
    printf '%-7s %-4s %10.1f %16.0f\n' "$r" "$which" "${wall[$which]}" \
      "$(echo "$trials * 3600 / ${wall[$which]}" | bc -l)"
  done
  ratios+=("$(echo "${wall[old]} / ${wall[new]}" | bc -l)")
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n |
  awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
printf 'RESULT heads.yaml after/before (old wall / new wall), median of %d: %.2fx\n' "$REPEATS" "$median"
