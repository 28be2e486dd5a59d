#!/usr/bin/env bash
# Batch-run scenarios of `attnlab run`, end to end on real processes.
#   run_scenario.sh ATTNLAB SCENARIO [CRASHING_PLUGIN]
# Scenarios: jobs, shards, resume, interrupt, failures, changed, crash, concurrent,
#            outside_signal, contained, corrupted, stop_in_gemm
set -euo pipefail
attnlab=$1
scenario=$2
crashing_plugin=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
small=$here/small.yaml

run() { "$attnlab" run "$small" -q "$@"; }
count_finished() { ls "$1"/trials/*.h5 2>/dev/null | wc -l; }
wait_for_finished() {  # directory, count: waits until that many trials are finished
  for _ in $(seq 1 600); do
    [ "$(count_finished "$1")" -ge "$2" ] && return 0
    sleep 0.05
  done
  echo "timed out waiting for $2 finished trials in $1" >&2
  exit 1
}

case $scenario in
jobs)  # the same trials with -j 1 and -j 2: identical results
  run -j 1 -o output=one > /dev/null
  run -j 2 -o output=two > /dev/null
  $python "$here/compare_runs.py" one two
  $python "$here/check_results.py" two 6
  h5dump -H -A 0 two/results.h5 > index.txt  # readable without attnlab or Python
  grep -q 'EXTERNAL_LINK' index.txt
  h5dump -H "$(ls two/trials/*.h5 | head -1)" > trial.txt
  grep -q 'DATASET "weights"' trial.txt

  ;;
shards)  # two shares of a job array cover the plan exactly once
  run --shard 1/2 -o output=sharded > shard1.txt
  # Into a file, not grep -q <(...): grep would stop reading at its match, and the run it
  # left behind would still be writing the results while the next one starts.
  "$attnlab" run "$small" --shard 1/2 -o output=sharded > again.txt
  grep -q "share 1/2 = 3 trials" again.txt
  [ "$(count_finished sharded)" -eq 3 ]
  run --shard 2/2 -o output=sharded > /dev/null
  run -o output=whole > /dev/null
  $python "$here/compare_runs.py" sharded whole
  $python "$here/check_results.py" sharded 6
  ;;
resume)  # kill -9 mid-run: finished trials stay valid and are not recomputed
  run -j 1 -o output=reference > /dev/null
  "$attnlab" run "$small" -j 1 -q -o output=killed > /dev/null 2>&1 &
  runner=$!
  wait_for_finished killed 2
  kill -9 $runner
  wait $runner 2>/dev/null || true
  sleep 0.2  # the worker dies with its parent
  before=$(count_finished killed)
  [ "$before" -lt 6 ] || { echo "the run finished before it was killed" >&2; exit 1; }
  for f in killed/trials/*.h5; do  # every file that looks finished is complete
    $python -c "import h5py, sys; f = h5py.File(sys.argv[1]); assert f.attrs['status'] == 'finished'; f['parameters']" "$f"
  done
  # Temporaries of a dead process of this host go; a live one's and another host's stay.
  true & dead=$!
  wait $dead
  host=$(hostname)
  touch "killed/trials/dead.h5.partial-$host-$dead" "killed/trials/live.h5.partial-$host-$$" \
        "killed/trials/other.h5.partial-elsewhere-$dead"
  stat -c '%n %i %Y' killed/trials/*.h5 > kept.txt
  output=$("$attnlab" run "$small" -j 1 -o output=killed)
  grep -q "$before already finished, $((6 - before)) to run" <<< "$output"
  stat -c '%n %i %Y' $(cut -d' ' -f1 kept.txt) | diff kept.txt -  # untouched
  [ "$(cd killed/trials && ls *.partial-* | sort | tr '\n' ' ')" = \
    "live.h5.partial-$host-$$ other.h5.partial-elsewhere-$dead " ]
  $python "$here/compare_runs.py" killed reference
  $python "$here/check_results.py" killed 6
  ;;
interrupt)  # SIGINT stops cleanly with exit 130; the next run completes
  "$attnlab" run "$small" -j 1 -o output=stopped > out.txt 2>&1 &
  runner=$!
  wait_for_finished stopped 1
  kill -INT $runner
  status=0
  wait $runner || status=$?
  [ "$status" -eq 130 ] || { echo "exit status $status, expected 130" >&2; cat out.txt; exit 1; }
  grep -q "re-run the same command to resume" out.txt
  [ -z "$(ls stopped/trials/*.partial* 2>/dev/null)" ]  # the stopped trial removed its partial file
  run -o output=stopped > /dev/null
  $python "$here/check_results.py" stopped 6
  # A finished file emptied behind our back (a power loss) is set aside and its trial runs again.
  emptied=$(ls stopped/trials/*.h5 | head -1)
  : > "$emptied"
  "$attnlab" run "$small" -o output=stopped > again.txt
  grep -q "5 already finished, 1 to run" again.txt
  [ -n "$(ls stopped/trials/unreadable/ | grep "$(basename "$emptied")")" ]
  $python "$here/check_results.py" stopped 6
  ;;
stop_in_gemm)  # a stop that lands inside a matrix product stops the trial, never crashes it
  # A model whose steps are mostly large products (oneDNN's JIT kernels, where a
  # signal delivered to the computing thread once corrupted the heap), stopped
  # at several moments.
  cat > wide.yaml <<YAML
base: $small
model: {d_model: 128, layers: 4, ffn: 512}
task: {length: 24}
train: {steps: 100000, batch: 32}
eval: {every: 10, lengths: []}
record: {tensors: []}
seeds: 1
YAML
  for delay in 1.5 2.1 2.7 3.3; do
    rm -rf wide_out
    "$attnlab" run wide.yaml -j 1 -o output=wide_out > out.txt 2>&1 &
    runner=$!
    sleep "$delay"
    kill -TERM $runner
    status=0
    wait $runner || status=$?
    if [ "$status" -ne 130 ] || grep -q "killed by signal" out.txt; then
      echo "stopped after $delay s: exit $status, expected 130 and no crash" >&2
      cat out.txt >&2
      exit 1
    fi
    grep -q "interrupted; nothing kept" wide_out/trials/*.log
  done
  ;;
failures)  # a crashing arm fails with its reason, is retried, and stops --fail-fast;
           # a diverging arm is a result: not retried, not run again, not a failure
  cat > failing.yaml <<YAML
base: $small
plugins: [$crashing_plugin]
ablation:
  - {name: fine, set: {heads.count: 2}}
  - {name: crashes, set: {attention.variant: test_crash}}
YAML
  status=0
  "$attnlab" run failing.yaml -j 2 --retries 1 -o output=failing > out.txt 2> err.txt || status=$?
  [ "$status" -eq 1 ] || { echo "exit status $status, expected 1" >&2; exit 1; }
  grep -q "killed by signal 6" err.txt
  [ "$(grep -c "(retrying)" err.txt)" -eq 2 ]
  grep -q "failed trials:" err.txt
  grep -q "log: .*failing/trials/.*\.log" err.txt
  grep -q "^fine,2,0," failing/results.csv
  grep -q "^crashes,0,2," failing/results.csv
  $python -c "import h5py, sys; t = h5py.File(sys.argv[1])['trials']; \
assert len(t.attrs['failed']) == 2 and 'killed by signal 6' in t.attrs['failure_reasons'][0]" failing/results.h5
  status=0
  "$attnlab" run failing.yaml -j 1 -o output=failing > out.txt 2> err.txt || status=$?
  [ "$status" -eq 1 ]
  grep -q "2 to run" out.txt  # a failure may not recur: run again
  status=0
  "$attnlab" run failing.yaml -j 1 --fail-fast -o output=fast > out.txt 2> err.txt || status=$?
  [ "$status" -eq 1 ]
  grep -q -- "--fail-fast: stopping" out.txt
  grep -q "^crashes,0,1," fast/results.csv  # its second seed never ran
  grep -q ",pending," fast/trials.csv

  cat > diverging.yaml <<YAML
base: $small
ablation:
  - {name: fine, set: {heads.count: 2}}
  - {name: explodes, set: {train.lr: 1.0e+30, train.clip: 0}}
YAML
  "$attnlab" run diverging.yaml -j 2 --retries 1 -o output=diverging > out.txt 2> err.txt
  if grep -q "(retrying)" err.txt; then echo "a diverged trial was retried" >&2; exit 1; fi
  grep -q "warning: every trial of arm explodes diverged (2 of 2)" err.txt
  grep -q "^diverged trials (a result" out.txt
  grep -q "2 of 4 trials finished, 2 diverged" out.txt
  grep -q "DIVERGED: training diverged" diverging/trials/*.log
  grep -q "^explodes,0,0,2," diverging/results.csv  # finished, failed, diverged
  grep -q "| explodes | 0 | 2 | 0 |" diverging/results.md  # finished, diverged, failed
  grep -q ",explodes,0,diverged," diverging/trials.csv
  $python -c "import h5py, sys; t = h5py.File(sys.argv[1])['trials']; \
assert len(t.attrs['failed']) == 0 and len(t.attrs['diverged']) == 2 and \
'training diverged' in t.attrs['divergence_reasons'][0]" diverging/results.h5
  "$attnlab" run diverging.yaml -o output=diverging > out.txt  # nothing left to run
  grep -q "2 already finished, 2 diverged (not run again), 0 to run" out.txt
  "$attnlab" status diverging > out.txt
  grep -q "finished 2, diverged 2, failed 0" out.txt
  grep -q "nothing left to run: 2 finished, 2 diverged" out.txt
  grep -q "marker: .*diverging/trials/.*\.failed" out.txt
  rm "$(ls diverging/trials/*.failed | head -1)"  # how a user asks for one to run again
  "$attnlab" run diverging.yaml -o output=diverging > out.txt
  grep -q "1 diverged (not run again), 1 to run" out.txt
  ;;
changed)  # another plan in the same directory is refused; --force sets the old one aside
  run -o output=shared -o train.steps=20 > /dev/null
  status=0
  run -o output=shared -o train.steps=30 2> err.txt || status=$?
  [ "$status" -eq 1 ]
  grep -q "holds the results of another plan" err.txt
  run -o output=shared -o train.steps=30 --force > /dev/null
  [ "$(ls shared/superseded/*/trials/*.h5 | wc -l)" -eq 6 ]
  $python "$here/check_results.py" shared 6
  ;;
crash)  # a worker killed by a signal (here abort) fails alone; the run goes on
  cat > crashing.yaml <<YAML
base: $small
plugins: [$crashing_plugin]
ablation:
  - {name: fine, set: {heads.count: 2}}
  - {name: crashes, set: {attention.variant: test_crash}}
YAML
  status=0
  "$attnlab" run crashing.yaml -j 2 -o output=crashing > out.txt 2> err.txt || status=$?
  [ "$status" -eq 1 ] || { echo "exit status $status, expected 1" >&2; cat err.txt; exit 1; }
  grep -q "killed by signal 6" err.txt
  grep -q "^fine,2,0," crashing/results.csv
  grep -q "^crashes,0,2," crashing/results.csv
  ;;
concurrent)  # one writer per plan: another plan is refused, the same plan shares the work
  plan=(-o output=together -o train.steps=600)  # long enough to be running through the checks
  "$attnlab" run "$small" -j 1 -q "${plan[@]}" > first.txt 2>&1 &
  first=$!
  for _ in $(seq 1 200); do [ -f together/plan.yaml ] && break; sleep 0.05; done
  status=0
  "$attnlab" run "$small" -q -o output=together -o train.steps=30 2> other.txt || status=$?
  [ "$status" -eq 1 ]
  grep -q "another attnlab run is working there on another plan" other.txt
  status=0
  "$attnlab" run "$small" -q -o output=together -o train.steps=30 --force 2> other.txt || status=$?
  [ "$status" -eq 1 ]
  grep -q "another attnlab run is working there on another plan" other.txt
  kill -0 $first  # the checks above ran while the first run was still working
  "$attnlab" run "$small" -j 1 "${plan[@]}" > second.txt 2>&1  # the same plan: shares
  wait $first
  grep -q "this run takes the trials none has started" second.txt
  # Every trial was trained exactly once between the two runs.
  [ "$(cat together/trials/*.log | grep -c '^finished in')" -eq 6 ]
  grep -q "6 of 6 trials finished" second.txt
  $python "$here/check_results.py" together 6
  ;;
outside_signal)  # a worker stopped from outside: the run says so and exits non-zero
  # Long enough to be stopped while training; one seed, so that two trials
  # run on after the stop.
  long=(-o output=signalled -o train.steps=1500 -o seeds=1)
  "$attnlab" run "$small" -j 1 "${long[@]}" > out.txt 2> err.txt &
  runner=$!
  for _ in $(seq 1 400); do
    worker=$(pgrep -f "attnlab trial .*signalled" | head -1 || true)
    [ -n "$worker" ] && break
    sleep 0.025
  done
  kill -TERM "$worker"
  status=0
  wait $runner || status=$?
  [ "$status" -eq 1 ] || { echo "exit status $status, expected 1" >&2; cat out.txt err.txt; exit 1; }
  grep -q "stopped by a signal from outside this run" err.txt
  grep -q "1 of the 3 trials of this run did not finish" err.txt
  # A failure marker beside a finished file (a worker killed right after it
  # published its file) is removed, and the trial counts as finished.
  run -j 2 "${long[@]}" > /dev/null
  finished_id=$(basename "$(ls signalled/trials/*.h5 | head -1)" .h5)
  echo "the trial's process was killed by signal 9 (Killed)" > "signalled/trials/$finished_id.failed"
  run "${long[@]}" > again.txt
  [ ! -e "signalled/trials/$finished_id.failed" ]
  ! grep -q "failed trials" again.txt
  grep -q "^[^,]*,1,0," signalled/results.csv
  ;;
contained)  # outputs stay where the user said; nothing is written through a link
  mkdir mine && echo "precious" > mine/notes.txt
  status=0
  run -o output=mine 2> err.txt || status=$?
  [ "$status" -eq 1 ]
  grep -q "holds files attnlab did not write (notes.txt)" err.txt
  [ "$(ls mine)" = "notes.txt" ]
  for name in ../../escaped /absolute ..; do
    status=0
    run -o "name=$name" 2> err.txt || status=$?
    [ "$status" -eq 1 ]
    grep -q "expected a plain name" err.txt
  done
  [ ! -e runs ]
  [ ! -e ../escaped ]
  run -o output=linked > /dev/null
  victim_id=$(basename "$(ls linked/trials/*.h5 | head -1)" .h5)
  echo "untouched" > target.txt
  rm "linked/trials/$victim_id.h5" "linked/trials/$victim_id.log"
  ln -s "$work/target.txt" "linked/trials/$victim_id.log"
  status=0
  run -o output=linked > out.txt 2> err.txt || status=$?
  [ "$status" -eq 1 ]
  grep -q "it is a symbolic link, and logs are never written through one" err.txt
  [ "$(cat target.txt)" = "untouched" ]
  # A log hard-linked to a file elsewhere: that file keeps its text, the log begins anew.
  rm "linked/trials/$victim_id.log"
  ln target.txt "linked/trials/$victim_id.log"
  run -o output=linked > /dev/null
  [ "$(cat target.txt)" = "untouched" ]
  [ "$(stat -c %h "linked/trials/$victim_id.log")" -eq 1 ]
  # trials/unreadable as a link: a damaged file is never moved out of the output directory.
  mkdir outside
  ln -s "$work/outside" linked/trials/unreadable
  echo "not HDF5" > "linked/trials/$victim_id.h5"
  status=0
  run -o output=linked > out.txt 2> err.txt || status=$?
  [ "$status" -eq 1 ]
  grep -q "unreadable: is a symbolic link" err.txt
  [ -z "$(ls outside)" ]
  [ "$(cat "linked/trials/$victim_id.h5")" = "not HDF5" ]
  ;;
corrupted)  # damaged or misplaced trial files are set aside and rerun, never averaged
  run -o output=damaged > /dev/null
  cp damaged/results.csv expected.csv
  victim=$(ls damaged/trials/*.h5 | head -1)
  cp "$victim" pristine.h5
  for seed in $(seq 1 12); do  # a random bit flipped: detected and rerun, or harmless
    cp pristine.h5 "$victim"
    $python - "$victim" "$seed" <<'PY'
import random, sys
data = bytearray(open(sys.argv[1], "rb").read())
bit = random.Random(int(sys.argv[2])).randrange(len(data) * 8)
data[bit // 8] ^= 1 << (bit % 8)
open(sys.argv[1], "wb").write(data)
PY
    run -o output=damaged > /dev/null 2>&1
    diff expected.csv damaged/results.csv
  done
  # The figure a results table shows, changed behind attnlab's back (as one flip did: 1.0833).
  $python -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r+'); f['final'].attrs['eval_accuracy'] = 1.0833" "$victim"
  run -o output=damaged > out.txt 2> err.txt
  grep -q "damaged: its attributes do not match the seal" err.txt
  diff expected.csv damaged/results.csv
  # A valid file of another trial copied under this one's name.
  other=$(ls damaged/trials/*.h5 | sed -n 2p)
  cp "$other" "$victim"
  run -o output=damaged > out.txt 2> err.txt
  grep -q "not trial $(basename "$victim" .h5): copied or renamed" err.txt
  diff expected.csv damaged/results.csv
  [ "$(ls damaged/trials/unreadable | wc -l)" -ge 2 ]
  ;;
*)
  echo "unknown scenario $scenario" >&2
  exit 2
  ;;
esac
echo "scenario $scenario: ok"
