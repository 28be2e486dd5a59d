#!/usr/bin/env bash
# A write that fails is never published as valid. One trial is run again and
# again with a single write of its file failing (ENOSPC, injected by an
# LD_PRELOAD shim), at every write of that file in turn: each run must fail
# naming "No space left on device" (and no HDF5 error dump), publish nothing and
# leave no temporary.
# For the first, a middle and the last write, `attnlab run` with that fault
# fails, and the run resumed without it equals an unfaulted run bit for bit.
# A failed write of recorded activations is reported even when training fails
# before the error could reach it (the writes happen on a thread of their own).
#   failed_write.sh ATTNLAB SHIM
set -euo pipefail
attnlab=$1
shim=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# The shim is not instrumented; a sanitizer build must accept it loaded first.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

faulted() {  # faulted N COMMAND...: runs COMMAND with the N-th write of the trial file failing
  local at=$1; shift
  ATTNLAB_FAIL_WRITE_MATCH="$id.h5.partial-" ATTNLAB_FAIL_WRITE_AT=$at \
    ATTNLAB_FAIL_WRITE_COUNT="$work/count" LD_PRELOAD=$shim "$@"
}

# Training diverges at step 2, while step 1's activations may still be written:
# a write that fails then is named beside the divergence. Whether the writer
# has begun step 1's first write when training fails depends on scheduling, so
# each write is tried up to 5 times, until it is seen once.
"$attnlab" run "$here/diverging_recorded_trial.yaml" -q -o output=diverging > /dev/null 2>&1 || true
ticket=$(ls diverging/trials/*.yaml)
id=$(basename "$ticket" .yaml)
faulted 0 "$attnlab" trial "$ticket" --output "diverging/$id.h5" --log diverging/log 2> /dev/null || true
diverging_writes=$(cat count)
both=0
for ((at = 1; at <= diverging_writes; at++)); do
  for attempt in 1 2 3 4 5; do
    faulted "$at" "$attnlab" trial "$ticket" --output "diverging/$id.h5" --log diverging/log \
      > /dev/null 2> diverging/errors || true
    if [ -e "diverging/$id.h5" ] || ls diverging | grep -q partial; then
      echo "diverging trial, write $at failed: its file was published or left" >&2
      exit 1
    fi
    if grep -q "No space left on device" diverging/errors && grep -q "training diverged" diverging/errors; then
      both=$((both + 1))
      break 2  # seen once is what this asks; the loop below fails every write in turn
    fi
  done
done
if ((both == 0)); then
  echo "no failed write of recorded activations was reported beside the divergence" >&2
  cat diverging/errors >&2
  exit 1
fi

experiment=$here/one_recorded_trial.yaml
"$attnlab" run "$experiment" -q -o output=reference > /dev/null
ticket=$(ls reference/trials/*.yaml)
id=$(basename "$ticket" .yaml)

mkdir trial
faulted 0 "$attnlab" trial "$ticket" --output "trial/$id.h5" --log trial/log > /dev/null
writes=$(cat count)
if ((writes < 10)); then
  echo "only $writes writes of the trial file were seen: the shim does not intercept them" >&2
  exit 1
fi
rm -rf trial
for ((at = 1; at <= writes; at++)); do
  mkdir trial
  status=0
  faulted "$at" "$attnlab" trial "$ticket" --output "trial/$id.h5" --log trial/log \
    > /dev/null 2> trial/errors || status=$?
  # HDF5's own error dump (printed unless each thread that writes switches it
  # off); the error named once (not again as the training's own)
  if ((status == 0)) || [ -e "trial/$id.h5" ] || ls trial | grep -q partial ||
     ! grep -q "No space left on device" trial/errors || grep -q "HDF5-DIAG" trial/errors trial/log ||
     (($(grep -o "No space left on device" trial/errors | wc -l) != 1)); then
    echo "write $at of $writes failed: exit $status (expected non-zero), published:" \
         "$([ -e "trial/$id.h5" ] && echo yes || echo no), left: $(ls trial | tr '\n' ' ')" >&2
    cat trial/errors >&2
    exit 1
  fi
  rm -rf trial
done

for at in 1 $((writes / 2)) "$writes"; do
  rm -rf out
  if faulted "$at" "$attnlab" run "$experiment" -q -o output=out > run.txt 2>&1; then
    echo "attnlab run succeeded although write $at of the trial file failed" >&2
    cat run.txt >&2
    exit 1
  fi
  [ ! -e "out/trials/$id.h5" ] || { echo "write $at: the trial was published" >&2; exit 1; }
  "$attnlab" run "$experiment" -q -o output=out > /dev/null
  /usr/bin/python3 "$here/../experiment/compare_runs.py" out reference
done
echo "every one of $writes writes of a trial file failed in turn: never published, always rerun;" \
  "a failed write was reported beside a divergence"
