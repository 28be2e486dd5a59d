#!/usr/bin/env bash
# What recording activations costs: experiments/attention_maps.yaml (every
# tensor of 256 examples, 6 snapshots a trial) run as shipped and with
# recording off (-o record.tensors=[]), as 1 and 2 worker processes,
# interleaved REPEATS times (this VM's speed drifts). Prints the median wall
# times, the overhead of recording (recorded / not recorded - 1), the peak
# resident memory of the largest process and the bytes written a trial. About
# 2.5 minutes for 3 repeats; each recorded run writes about 1 GB under $TMPDIR
# (the page cache takes it: a slow or full disk there shows in the figures).
#   usage: bash bench/recording_overhead.sh [REPEATS] [ATTNLAB]
set -euo pipefail
shopt -s inherit_errexit  # a failed run inside $(...) stops the script
ATTNLAB=${2:-$(dirname "$0")/../build/framework/cli/attnlab}
[[ -x $ATTNLAB ]] || { echo "no $ATTNLAB: build first (scripts/attnlab-setup.sh run)" >&2; exit 1; }
ATTNLAB=$(realpath "$ATTNLAB")
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
EXPERIMENT=$(realpath experiments/attention_maps.yaml)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() {  # measure JOBS recorded|off: "seconds peak_kib bytes_per_trial"
  local out=$work/out options=()
  [[ $2 == off ]] && options=(-o "record.tensors=[]")
  rm -rf "$out"
  if ! /usr/bin/time -f "%e %M" -o "$work/time" \
    "$ATTNLAB" run "$EXPERIMENT" -q -j "$1" "${options[@]}" -o output="$out" > /dev/null; then
    echo "attnlab run -j $1 (recording $2) failed: $(cat "$work/time")" >&2
    return 1
  fi
  local trials bytes
  trials=$(ls "$out"/trials/*.h5 | wc -l)
  bytes=$(du -cb "$out"/trials/*.h5 | tail -1 | cut -f1)
  echo "$(cat "$work/time") $((bytes / trials))"
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
median_of() { tr ' ' '\n' <<< "$1" | grep . | median; }
range_of() { tr ' ' '\n' <<< "$1" | grep . | sort -n | sed -n '1p;$p' | paste -sd-; }

declare -A seconds peak bytes
for ((r = 1; r <= REPEATS; r++)); do
  for jobs in 1 2; do
    for mode in off recorded; do
      line=$(measure $jobs $mode) || exit 1
      read -r s m b <<< "$line"
      seconds[$jobs $mode]+="$s "
      peak[$jobs $mode]+="$m "
      bytes[$jobs $mode]=$b
    done
  done
done

"$ATTNLAB" version | tail -1
echo "attention_maps.yaml (3 trials), medians of $REPEATS:"
printf '%-8s %-9s %22s %14s %12s\n' workers recording "wall s [min-max]" "peak RSS MiB" "MB a trial"
for jobs in 1 2; do
  for mode in off recorded; do
    printf '%-8s %-9s %22s %14.0f %12.1f\n' "$jobs" "$mode" \
      "$(median_of "${seconds[$jobs $mode]}") [$(range_of "${seconds[$jobs $mode]}")]" \
      "$(echo "$(median_of "${peak[$jobs $mode]}") / 1024" | bc -l)" \
      "$(echo "${bytes[$jobs $mode]} / 1000000" | bc -l)"
  done
  off=$(median_of "${seconds[$jobs off]}")
  on=$(median_of "${seconds[$jobs recorded]}")
  printf 'RESULT jobs=%s recording_overhead=%.1f%%\n' "$jobs" "$(echo "($on / $off - 1) * 100" | bc -l)"
done
