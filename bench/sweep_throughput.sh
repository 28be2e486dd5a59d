#!/usr/bin/env bash
# Trials per hour of a 24-trial sweep (bench/sweep24.yaml) run as 1, 2 and 4
# processes: worker processes of one `attnlab run -j N`, and MPI ranks of
# `mpirun -n N attnlab run -j 1`. Every configuration runs REPEATS times,
# interleaved (this VM's speed drifts), into a fresh directory; medians are
# printed with the efficiency: throughput / (N x the one-process throughput),
# or / the CPUs when N exceeds them (then the processes share CPUs: oversubscribed).
#   usage: bash bench/sweep_throughput.sh [REPEATS] [ATTNLAB]
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
ATTNLAB=$(realpath "${2:-build/framework/cli/attnlab}")
[[ -x $ATTNLAB ]] || { echo "no $ATTNLAB: build first" >&2; exit 1; }
EXPERIMENT=$(realpath bench/sweep24.yaml)
CPUS=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seconds() {  # seconds KIND N: wall time of the whole sweep
  local out=$work/$1-$2-$RANDOM start end
  start=$(date +%s.%N)
  if [[ $1 == workers ]]; then
    "$ATTNLAB" run "$EXPERIMENT" -q -j "$2" -o output="$out" > /dev/null
  else
    mpirun --allow-run-as-root --oversubscribe -n "$2" "$ATTNLAB" run "$EXPERIMENT" -q -j 1 \
      -o output="$out" > /dev/null
  fi
  end=$(date +%s.%N)
  grep -q ",finished," "$out/trials.csv" && ! grep -q ",failed," "$out/trials.csv"
  rm -rf "$out"
  echo "$end - $start" | bc
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

configurations=("workers 1" "workers 2" "workers 4" "mpi 2" "mpi 4")
declare -A times
for ((r = 1; r <= REPEATS; r++)); do
  for configuration in "${configurations[@]}"; do
    times[$configuration]+="$(seconds $configuration) "
  done
done
one=$(tr ' ' '\n' <<< "${times[workers 1]}" | grep . | median)
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(uname -r)"
echo "| processes | how | sweep (s, median of $REPEATS) | trials per hour | efficiency |"
echo "|---|---|---|---|---|"
for configuration in "${configurations[@]}"; do
  read -r kind n <<< "$configuration"
  median_seconds=$(tr ' ' '\n' <<< "${times[$configuration]}" | grep . | median)
  per_hour=$(echo "24 * 3600 / $median_seconds" | bc)
  used=$((n < CPUS ? n : CPUS))
  efficiency=$(echo "scale=2; $one / ($median_seconds * $used)" | bc)
  how=$([[ $kind == workers ]] && echo "attnlab run -j $n" || echo "mpirun -n $n attnlab run -j 1")
  note=""
  ((n > CPUS)) && note=" (oversubscribed: $n on $CPUS CPUs)"
  printf '| %s | `%s`%s | %.1f | %s | %.2f |\n' "$n" "$how" "$note" "$median_seconds" "$per_hour" "$efficiency"
done
