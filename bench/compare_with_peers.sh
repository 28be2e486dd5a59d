#!/usr/bin/env bash
# attnlab against its two peers, LibTorch (C++) and PyTorch, on the reference
# workload (../shared/bench/peer_torch.py), the small model experiments use and a
# sweep of sizes: every workload run by the three, interleaved, REPEATS times, then
# medians [min-max] and attnlab's speed ratio (the better peer's ms/step divided by
# attnlab's; above 1 means attnlab is faster). A benchmark: never part of a test.
#   usage: bash bench/compare_with_peers.sh [REPEATS] [BUILD_DIR] [WORKLOADS]
#   WORKLOADS: all (default) | reference | small | sweep
# Needs a Release build (BUILD_DIR/bench/attnlab_bench), python3-torch with
# libopenblas0-pthread, and ../shared/bench beside the repository (its
# run_peer_libtorch.sh installs libtorch-dev and builds the LibTorch peer once).
# The peers run with their official settings (OpenBLAS picks its own kernel).
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
BUILD=${2:-build}
WHICH=${3:-all}
PEERS=${ATTNLAB_PEERS:-../shared/bench}
BENCH=$BUILD/bench/attnlab_bench
[[ -x $BENCH ]] || { echo "no $BENCH: build first (cmake --build $BUILD)" >&2; exit 1; }
[[ -f $PEERS/peer_torch.py && -f $PEERS/run_peer_libtorch.sh ]] ||
  { echo "no peers in $PEERS (set ATTNLAB_PEERS to shared/bench)" >&2; exit 1; }

# label|flags (every flag is understood by all three programs)
REFERENCE=(
  "reference train, 2 threads|--mode train --threads 2"
  "reference train, 1 thread|--mode train --threads 1"
  "reference forward, 2 threads|--mode forward --threads 2"
  "attention B32 T64 D128 H1, 2 threads|--mode attention --threads 2 --batch 32 --seq 64 --d-model 128 --heads 1"
  "attention B32 T64 D128 H4, 2 threads|--mode attention --threads 2 --batch 32 --seq 64 --d-model 128 --heads 4"
  "attention B8 T256 D256 H8, 2 threads|--mode attention --threads 2 --batch 8 --seq 256 --d-model 256 --heads 8")
SMALL=("small train (D32 H4 L2 F64 T32 B32 V18), 1 thread|--mode train --threads 1 --d-model 32 --heads 4 --layers 2 --ffn 64 --seq 32 --batch 32 --vocab 18 --steps 200")
sweep() {  # label flags: D, T, L around D64 T64 L2; heads 4, FFN 4D, batch 32, vocab 32, 1 thread
  local d=$1 t=$2 l=$3 steps=$4
  echo "sweep D$d T$t L$l, 1 thread|--mode train --threads 1 --d-model $d --seq $t --layers $l --heads 4 --ffn $((4 * d)) --batch 32 --vocab 32 --steps $steps"
}
SWEEP=("$(sweep 16 64 2 200)" "$(sweep 64 64 2 100)" "$(sweep 256 64 2 30)" "$(sweep 64 16 2 200)"
       "$(sweep 64 256 2 30)" "$(sweep 64 64 1 100)" "$(sweep 64 64 4 50)")
case $WHICH in
  all) WORKLOADS=("${REFERENCE[@]}" "${SMALL[@]}" "${SWEEP[@]}") ;;
  reference) WORKLOADS=("${REFERENCE[@]}") ;;
  small) WORKLOADS=("${SMALL[@]}") ;;
  sweep) WORKLOADS=("${SWEEP[@]}") ;;
  *) echo "WORKLOADS must be all, reference, small or sweep, not '$WHICH'" >&2; exit 2 ;;
esac

LOG=$(mktemp -t attnlab_peers.XXXXXX)
echo "# $(date -u +%FT%TZ)  $(lscpu | grep 'Model name' | tr -s ' ')  $(nproc) CPUs  Linux $(uname -r)"
echo "# attnlab: $("$BUILD/framework/cli/attnlab" version | tail -n +2)"
echo "# raw log: $LOG (errors: $LOG.errors)"
ms() { grep '^RESULT' | grep -o 'ms_per_step=[0-9.]*' | cut -d= -f2; }
for ((r = 1; r <= REPEATS; r++)); do
  for entry in "${WORKLOADS[@]}"; do
    label=${entry%%|*}; read -ra flags <<<"${entry#*|}"
    echo "$label|attnlab|$("$BENCH" "${flags[@]}" 2>>"$LOG.errors" | ms || true)"
    echo "$label|LibTorch|$(bash "$PEERS/run_peer_libtorch.sh" "${flags[@]}" 2>>"$LOG.errors" | ms || true)"
    echo "$label|PyTorch|$(/usr/bin/python3 "$PEERS/peer_torch.py" --openblas-core auto "${flags[@]}" 2>>"$LOG.errors" | ms || true)"
  done
done > "$LOG"

/usr/bin/python3 - "$LOG" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, impl, ms = line.rstrip("\n").split("|")
    values = rows.setdefault(label, {}).setdefault(impl, [])
    if ms:  # empty: that program printed no RESULT line (it failed: see the raw log)
        values.append(float(ms))
def median(values):
    return statistics.median(values) if values else None
def cell(values):
    if not values:
        return "failed"
    return f"{statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]"
print("| workload | attnlab ms/step | LibTorch ms/step | PyTorch ms/step | attnlab speed ratio (best peer) |")
print("|---|---|---|---|---|")
for label, impls in rows.items():
    ours = median(impls["attnlab"])
    peers = [m for m in (median(impls["LibTorch"]), median(impls["PyTorch"])) if m is not None]
    ratio = f"**{min(peers) / ours:.2f}x**" if ours and peers else "n/a"
    print(f"| {label} | {cell(impls['attnlab'])} | {cell(impls['LibTorch'])} | "
          f"{cell(impls['PyTorch'])} | {ratio} |")
PY
