#!/usr/bin/env bash
# A full disk is a clear error, never a crash: every finished trial stays
# intact, and the run completes after space is freed, equal to a run on a
# roomy disk. The disk is a small tmpfs (mounting needs root; without it the
# test is skipped with exit 77, and says why).
#   full_disk.sh ATTNLAB
set -euo pipefail
attnlab=$1
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
work=$(mktemp -d)
disk=$work/disk
mkdir "$disk"
cleanup() { umount "$disk" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
if ! mount -t tmpfs -o size=2M tmpfs "$disk" 2> "$work/mount.txt"; then
  echo "skipped: cannot mount a small tmpfs to fill ($(cat "$work/mount.txt"))"
  exit 77
fi
cd "$work"
small=$here/small.yaml
options=(-j 1 -o record.tensors=[])
"$attnlab" run "$small" "${options[@]}" -q -o output=reference > /dev/null

for free_kib in 150 90 40 20 8; do  # the disk fills at different moments of a trial
  rm -rf "$disk"/*
  available=$(df --output=avail -k "$disk" | tail -1)
  fallocate -l $(((available - free_kib) * 1024)) "$disk/filler"
  status=0
  "$attnlab" run "$small" "${options[@]}" -o output="$disk/out" > out.txt 2> err.txt || status=$?
  if [ "$status" -ne 1 ] || ! grep -q "No space left on device" out.txt err.txt ||
     grep -q "killed by signal" out.txt err.txt; then
    echo "with $free_kib KiB free: exit $status, expected 1 with 'No space left on device' and no crash" >&2
    cat out.txt err.txt >&2
    exit 1
  fi
  # The first trial that found the disk full was the last to start.
  if grep -q "No space left on device" err.txt && ! grep -q "no further trial starts" out.txt err.txt; then
    echo "with $free_kib KiB free: trials went on starting on a full disk" >&2
    cat out.txt err.txt >&2
    exit 1
  fi
  for trial in "$disk"/out/trials/*.h5; do  # whatever looks finished is complete
    [ -e "$trial" ] || continue
    $python -c "import h5py, sys; f = h5py.File(sys.argv[1]); assert f.attrs['status'] == 'finished'; f['parameters']" "$trial"
  done
  rm "$disk/filler"  # space freed: the same command resumes and completes
  "$attnlab" run "$small" "${options[@]}" -q -o output="$disk/out" > /dev/null
  $python "$here/compare_runs.py" "$disk/out" reference
done
echo "full disk: clear errors, finished trials intact, resumed runs equal the reference"
