#!/usr/bin/env bash
# Runs attnlab's reference workload and PyTorch's (shared/bench/peer_torch.py)
# side by side, interleaved, REPEATS times each, and prints medians and the
# attnlab/PyTorch throughput ratio per mode.
#   usage: bash bench/compare_with_torch.sh [REPEATS] [BUILD_DIR]
# Needs: a Release build (bench/attnlab_bench), python3-torch with OpenBLAS
# (libopenblas0-pthread), and ../shared/bench/peer_torch.py beside the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
BUILD=${2:-build}
PEER=${ATTNLAB_PEER:-../shared/bench/peer_torch.py}
BENCH=$BUILD/bench/attnlab_bench
THREADS=2
[[ -x $BENCH ]] || { echo "no $BENCH: build first (cmake --build $BUILD)" >&2; exit 1; }
[[ -f $PEER ]] || { echo "no peer script at $PEER (set ATTNLAB_PEER)" >&2; exit 1; }

SHAPES=("train|" "forward|" "attention|--batch 32 --seq 64 --d-model 128 --heads 1"
        "attention|--batch 32 --seq 64 --d-model 128 --heads 4" "attention|--batch 8 --seq 256 --d-model 256 --heads 8")
LOG=$(mktemp -t attnlab_compare.XXXXXX)
echo "# $(date -u +%FT%TZ)  $(lscpu | grep 'Model name' | tr -s ' ')  raw log: $LOG"
for ((r = 1; r <= REPEATS; r++)); do
  for entry in "${SHAPES[@]}"; do
    mode=${entry%%|*}; shape=${entry#*|}
    # shellcheck disable=SC2086
    /usr/bin/python3 "$PEER" --mode "$mode" --threads $THREADS --openblas-core auto $shape | grep '^RESULT' | sed 's/^RESULT /RESULT impl=torch-auto /'
    # shellcheck disable=SC2086
    /usr/bin/python3 "$PEER" --mode "$mode" --threads $THREADS $shape | grep '^RESULT' | sed 's/^RESULT /RESULT impl=torch-env /'
    # shellcheck disable=SC2086
    "$BENCH" --mode "$mode" --threads $THREADS $shape | grep '^RESULT'
  done
done > "$LOG"

/usr/bin/python3 - "$LOG" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    kv = dict(f.split("=", 1) for f in line.split()[1:])
    key = (kv["mode"], kv["B"], kv["T"], kv["D"], kv["H"])
    impl = kv["impl"] + (f" ({kv['blas']})" if "blas" in kv else "")
    rows.setdefault(key, {}).setdefault(impl, []).append(float(kv["ms_per_step"]))
print(f"{'workload':<34} {'implementation':<26} {'ms/step median [min-max]':<28} {'attnlab speed ratio'}")
for (mode, B, T, D, H), impls in rows.items():
    ours = statistics.median(next(v for k, v in impls.items() if k.startswith("attnlab")))
    for impl, ms in impls.items():
        med = statistics.median(ms)
        ratio = "" if impl.startswith("attnlab") else f"{med / ours:.2f}x"
        print(f"{mode + f' B{B} T{T} D{D} H{H}':<34} {impl:<26} {med:7.2f} [{min(ms):.2f}-{max(ms):.2f}]{'':<8} {ratio}")
PY
