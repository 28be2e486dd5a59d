#!/usr/bin/env bash
# `attnlab status`, `attnlab merge`, `attnlab run PLAN` and `attnlab slurm` from the
# command line, without a cluster: what they say of a partial, a running, a killed
# and a complete sweep; merge's idempotence and its safety beside a running writer;
# and every bad input they refuse (with what was found and what was expected).
#   status_merge.sh ATTNLAB LOCKS_THAT_DO_NOTHING_SHIM
set -euo pipefail
attnlab=$1
no_locks=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
small=$here/../experiment/small.yaml
fail() { echo "FAILED: $*" >&2; exit 1; }
expect_exit() {  # CODE LOG COMMAND...: runs COMMAND, output to LOG, requires exit CODE
  local want=$1 log=$2 got=0
  shift 2
  "$@" > "$log" 2>&1 || got=$?
  [[ $got == "$want" ]] || fail "$* exited $got, expected $want: $(cat "$log")"
}
says() { grep -q -- "$2" "$1" || fail "$1 does not say '$2': $(cat "$1")"; }

# A partial sweep: share 1 of 2. status and merge say what is missing, exit 3.
"$attnlab" run "$small" -q -o output=out --shard 1/2 --no-results > /dev/null
[[ ! -e out/results.csv ]] || fail "--no-results wrote results"
expect_exit 3 status.log "$attnlab" status out
says status.log "finished 3, failed 0, running 0, missing 3 (of 6)"
says status.log "missing: #1, #3, #5"
expect_exit 3 status.json "$attnlab" status out --json
/usr/bin/python3 -c '
import json, sys
status = json.load(open(sys.argv[1]))
assert status["complete"] is False and status["counts"] == {"finished": 3, "diverged": 0, "failed": 0, "running": 0, "missing": 3, "trials": 6}, status
assert [t["state"] for t in status["trials"]] == ["finished", "missing"] * 3, status["trials"]
' status.json || fail "status --json: $(cat status.json)"
expect_exit 3 merge.log "$attnlab" merge out
says merge.log "merged 3 of 6 trials"
says merge.log "3 of 6 trials have not finished"

# The rest through the plan alone (the experiment file is not needed), while merges
# run beside it; then merge is complete, and a second merge writes the same results.
cp "$small" gone.yaml
"$attnlab" run out/plan.yaml -q -j 1 --no-results > writer.log 2>&1 &
writer=$!
while kill -0 $writer 2>/dev/null; do
  code=0
  "$attnlab" merge out -q > /dev/null 2>&1 || code=$?
  [[ $code == 0 || $code == 3 ]] || fail "a merge beside a running writer exited $code"
done
wait $writer || fail "the run of the plan: $(cat writer.log)"
expect_exit 0 merge.log "$attnlab" merge out
says merge.log "merged 6 of 6 trials"
cp out/results.csv first.csv
expect_exit 0 merge2.log "$attnlab" merge out
cmp first.csv out/results.csv || fail "a second merge changed results.csv"
"$attnlab" verify out/results.h5 > /dev/null
expect_exit 0 status.log "$attnlab" status out
says status.log "every trial finished"

# A run killed while it runs: status names its holder while it lives, then says it is gone.
"$attnlab" run "$small" -q -o output=killed -o train.steps=200000 -j 1 > /dev/null 2>&1 &
victim=$!
for _ in $(seq 1 300); do ls killed/trials/*.running > /dev/null 2>&1 && break; sleep 0.05; done
expect_exit 3 running.log "$attnlab" status killed
says running.log "running 1"
says running.log "#0 heads.count=1 seed 0: host $(hostname), pid $victim, since"
kill -9 $victim
wait $victim 2>/dev/null || true
expect_exit 3 killed.log "$attnlab" status killed
says killed.log "running 0"
says killed.log "#0 heads.count=1 seed 0: its run ended while running it (host $(hostname), pid $victim"

# Bad input.
expect_exit 1 e1.log "$attnlab" status nowhere
says e1.log "nowhere: no such directory"
expect_exit 1 e1b.log "$attnlab" status out/plan.yaml
says e1b.log "is a file; status takes the output directory a run wrote: out"
expect_exit 1 e2.log "$attnlab" merge "$small"
says e2.log "is a file; merge takes the output directory"
expect_exit 1 e3.log "$attnlab" merge out --expect-plan 0000000000000000
says e3.log "holds plan .* of experiment 'small', not plan 0000000000000000"
expect_exit 1 e4.log "$attnlab" run out/plan.yaml -o seeds=3
says e4.log "a plan runs as it was planned, and -o seeds=3 would change it"
expect_exit 1 e5.log env PATH=/nonexistent "$attnlab" slurm "$small" -o output=s1 --submit
says e5.log "sbatch is not on PATH"
[[ ! -e s1 ]] || fail "a refused submission wrote its output directory"
expect_exit 1 e6.log "$attnlab" slurm "$small" -o output=s2 --max-array-size 4 --array-size 5
says e6.log "--array-size 5 is above the site's limit: MaxArraySize 4 allows at most 3 tasks"
expect_exit 1 e7.log "$attnlab" slurm "$small" -o output=s3 --max-array-size 4 --trials-per-task 1
says e7.log "makes 6 array tasks, above the site's limit"
expect_exit 1 e8.log "$attnlab" slurm "$small" -o "output=my runs"
says e8.log "holds whitespace"
# Packing to fit, with the limit from the flag when scontrol cannot tell it.
expect_exit 0 packed.log env -u SLURM_CONF "$attnlab" slurm "$small" -o output=s4 --max-array-size 3
says packed.log "6 trials in 2 array tasks of at most 3 (MaxArraySize 3: --max-array-size)"
says s4/slurm/array.sbatch "#SBATCH --array=1-2"
[[ -d s4/slurm/logs ]] || fail "the log folder was not made before submission"

# A filesystem whose locks do nothing is refused before anything runs.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0  # the shim comes first
expect_exit 1 e9.log env LD_PRELOAD="$no_locks" "$attnlab" run "$small" -q -o output=nolocks
says e9.log "file locks do not work there (a second flock of a locked file succeeded)"
[[ ! -e nolocks/plan.yaml ]] || fail "a plan was written where locks do not work"
echo "status and merge: ok"
