#!/usr/bin/env bash
# `attnlab slurm --submit` on a real one-node SLURM (Debian's slurm-wlm and munge,
# started here by local_slurm.sh and stopped by process id at the end):
#   1. the job array and its merge run a small sweep; one array task is cancelled
#      (scancel JOB_TASK) while it runs its second trial: it stops cleanly, the merge
#      after the array says what is missing and exits non-zero;
#   2. `attnlab slurm --submit` again: only the cancelled task is submitted, the sweep
#      completes, no finished trial is computed again (same files, untouched), the
#      merge exits 0;
#   3. every per-trial figure equals a single-process -j 1 run's, bit for bit;
#   4. `attnlab status --slurm` reports the jobs in one query.
#   slurm_sweep.sh ATTNLAB [STEPS]   (STEPS per trial: long enough to cancel one mid-way;
#                                     fewer in the sanitizer build, whose steps are slower)
set -euo pipefail
attnlab=$1
steps=${2:-6000}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
work=$(mktemp -d)
cluster=$work/cluster
stop_cluster() { bash "$here/local_slurm.sh" stop "$cluster" || true; rm -rf "$work"; }
trap stop_cluster EXIT
bash "$here/local_slurm.sh" start "$cluster" > /dev/null
export SLURM_CONF=$cluster/slurm.conf
cd "$work"
experiment=("$here/../experiment/small.yaml" -o train.steps="$steps" -o train.warmup=10)
fail() { echo "FAILED: $*" >&2; exit 1; }

wait_for_job() {  # JOB: until SLURM lists it no more as pending or running (at most 10 min)
  for _ in $(seq 1 1200); do
    [[ -z $(squeue -h -j "$1" -o %T 2>/dev/null) ]] && return 0
    sleep 0.5
  done
  fail "job $1 did not end in 10 minutes"
}
job_state() { scontrol show job "$1" | grep -o 'JobState=[A-Z_]*' | head -1; }
id_of() {  # INDEX: the trial id of plan index INDEX
  awk -v want="$1" '$2 == "index:" && $3 == want { getline; print $2 }' out/plan.yaml
}
field() { grep "^$1=" out/slurm/jobs.txt | tail -1 | sed -E "s/^$1=([0-9]+).*/\1/"; }

# 1. Submit; cancel task 1 while it runs its second trial (plan index 3: share 1 of 3
#    holds indices 0 and 3), after its first finished.
"$attnlab" slurm "${experiment[@]}" -o output=out --trials-per-task 2 --submit > submit.log
grep -q "submitted: array job" submit.log || fail "no submission: $(cat submit.log)"
array=$(field array) merge=$(field merge)
# status while task 1 runs a trial (its first, #0, or already its second, #3)
for _ in $(seq 1 1200); do
  [[ -f out/trials/$(id_of 0).running || -f out/trials/$(id_of 3).running ]] && break
  sleep 0.1
done
"$attnlab" status out --slurm > status_running.log || true
grep -q "#[03] .*SLURM job ${array}_1" status_running.log ||
  fail "status does not say who runs #0 or #3: $(cat status_running.log)"
grep -q "(squeue; sacct: .*accounting storage is disabled" status_running.log ||
  fail "status --slurm did not fall back to squeue: $(cat status_running.log)"
# Cancelled as soon as #3 is seen running: a trial takes only a few seconds.
for _ in $(seq 1 1200); do
  [[ -f out/trials/$(id_of 0).h5 && -f out/trials/$(id_of 3).running ]] && break
  sleep 0.1
done
[[ -f out/trials/$(id_of 3).running ]] || fail "task 1 never ran its second trial"
scancel "${array}_1"
wait_for_job "$merge"
# (A COMPLETED merge, seen twice in CI: #3, under 3 s long, finished while the
# status query ran between seeing it and cancelling it; the logs show it.)
[[ $(job_state "$merge") == "JobState=FAILED" ]] ||
  fail "the merge of an incomplete sweep: $(job_state "$merge"); task 1 of the array:" \
    "$(cat out/slurm/logs/array_${array}_1.out); trial #3: $(tail -5 out/trials/$(id_of 3).log);" \
    "status before scancel: $(cat status_running.log)"
merge_log=out/slurm/logs/merge_$merge.out
# What the cancelled task and its trial said, for a failure below (once in CI
# the trial ended by SIGABRT instead of stopping at its next step).
cancelled_logs() {
  echo "task 1 of the array: $(cat out/slurm/logs/array_${array}_1.out);" \
    "trial #3: $(cat out/trials/$(id_of 3).log 2>/dev/null)"
}
grep -q "merged 5 of 6 trials" "$merge_log" || fail "merge log: $(cat "$merge_log"); $(cancelled_logs)"
grep -q "missing: #3" "$merge_log" || fail "merge log: $(cat "$merge_log"); $(cancelled_logs)"
grep -q "they are in array task(s) 1 of the latest submission" "$merge_log" || fail "no hint: $(cat "$merge_log")"
grep -q "stopping: running trials stop at their next step" out/slurm/logs/array_${array}_1.out ||
  fail "the cancelled task did not stop cleanly: $(cat out/slurm/logs/array_${array}_1.out)"
[[ ! -e out/trials/$(id_of 3).running && ! -e out/trials/$(id_of 3).h5 ]] ||
  fail "the stopped trial left a holder or a file"
! ls out/trials | grep -q '\.tmp' || fail "temporaries left: $(ls out/trials)"
stat -c '%n %i %Y %s' out/trials/*.h5 > finished_before.txt
[[ $(wc -l < finished_before.txt) == 5 ]] || fail "expected 5 finished trials: $(cat finished_before.txt)"

# 2. Resubmit: only task 1 is submitted, and only #3 runs again; the finished files
#    stay as they were.
"$attnlab" slurm "${experiment[@]}" -o output=out --trials-per-task 2 --submit > resubmit.log
grep -q "1 trials are left: this array runs only task(s) 1, which hold them" resubmit.log ||
  fail "resubmission: $(cat resubmit.log)"
grep -q "^#SBATCH --array=1$" out/slurm/array.sbatch || fail "$(cat out/slurm/array.sbatch)"
array2=$(field array) merge2=$(field merge)
[[ $array2 != "$array" ]] || fail "no new submission recorded"
wait_for_job "$merge2"
[[ $(job_state "$merge2") == "JobState=COMPLETED" ]] || fail "final merge: $(job_state "$merge2"): $(cat out/slurm/logs/merge_$merge2.out)"
grep -q "merged 6 of 6 trials" out/slurm/logs/merge_$merge2.out || fail "$(cat out/slurm/logs/merge_$merge2.out)"
for task in 2 3; do
  [[ ! -e out/slurm/logs/array_${array2}_$task.out ]] || fail "task $task, all finished, ran again"
done
grep -q "1 already finished, 1 to run" out/slurm/logs/array_${array2}_1.out ||
  fail "task 1 on resubmission: $(cat out/slurm/logs/array_${array2}_1.out)"
stat -c '%n %i %Y %s' $(awk '{ print $1 }' finished_before.txt) > finished_after.txt
diff finished_before.txt finished_after.txt || fail "a finished trial's file was written again"
"$attnlab" status out > status_done.log || fail "status of a complete sweep: $(cat status_done.log)"

# 3. The same figures as one process running the plan alone, one trial at a time.
"$attnlab" run "${experiment[@]}" -o output=single -j 1 -q > /dev/null
"$python" "$here/../experiment/compare_runs.py" out single
echo "slurm sweep: ok (array $array with task 1 cancelled, then $array2; merges $merge, $merge2)"
