#!/usr/bin/env bash
# `mpirun -n 3 attnlab run` (Debian's OpenMPI, oversubscribed on this machine's CPUs):
#   1. a sweep across 3 ranks equals a single-process -j 1 run, bit for bit;
#   2. one rank killed (SIGKILL) mid-sweep loses no finished trial, and running the
#      same command again completes the sweep without computing a finished one again.
# With a build without MPI (HAVE_MPI = OFF): mpirun of it is refused with what to do.
#   3. --fail-fast stops every rank at a crashing trial; a diverging one is a
#      result, which ends the run with exit 0.
#   mpi_sweep.sh ATTNLAB HAVE_MPI CRASHING_PLUGIN
set -euo pipefail
attnlab=$1
have_mpi=$2
crashing_plugin=$3
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
work=$(mktemp -d)
launcher=
cleanup() { [[ -n $launcher ]] && kill -9 "$launcher" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
fail() { echo "FAILED: $*" >&2; exit 1; }
command -v mpirun > /dev/null || fail "mpirun not found: install Debian's openmpi-bin"
mpi=(mpirun --allow-run-as-root --oversubscribe -n 3)
experiment=("$here/../experiment/small.yaml" -o train.steps=4000 -o train.warmup=10)

if [[ $have_mpi != ON ]]; then
  code=0
  "${mpi[@]}" "$attnlab" run "${experiment[@]}" -o output=refused > refused.log 2>&1 || code=$?
  [[ $code != 0 ]] || fail "a build without MPI ran under mpirun"
  grep -q "this build has no MPI: each would run the whole plan" refused.log ||
    fail "no clear refusal: $(cat refused.log)"
  [[ ! -e refused/trials ]] || fail "a refused run wrote trials"
  echo "mpi: a build without MPI refuses mpirun: ok"
  exit 0
fi

# 1. Three ranks against one process.
"${mpi[@]}" "$attnlab" run "${experiment[@]}" -o output=ranks > ranks.log 2>&1 ||
  fail "mpirun: $(cat ranks.log)"
grep -q "across 3 MPI ranks (-j 1 on rank 0: its share of its node.s CPUs), longest trials first" ranks.log || fail "$(cat ranks.log)"
"$attnlab" run "${experiment[@]}" -o output=single -j 1 -q > /dev/null
"$python" "$here/../experiment/compare_runs.py" ranks single

# Errors reach the user under mpirun, and --fail-fast stops every rank.
code=0
"${mpi[@]}" "$attnlab" run missing.yaml -o output=nothing > missing.log 2>&1 || code=$?
[[ $code != 0 ]] && grep -q "attnlab: error: .*missing.yaml" missing.log ||
  fail "an error under mpirun: exit $code: $(cat missing.log)"
cat > crashing.yaml <<YAML
name: crashing
plugins: [$crashing_plugin]
model: {d_model: 8, layers: 1, ffn: 16}
task: {name: copy, symbols: 5, length: 4}
train: {steps: 2000, warmup: 1}
eval: {every: 0, batches: 1}
ablation:  # the crashing trials are planned longest, so rank 0 hands them out first
  - {name: crashes, set: {attention.variant: test_crash, train.steps: 4000}}
  - {name: fine, set: {}}
seeds: 6
YAML
code=0
"${mpi[@]}" "$attnlab" run crashing.yaml -o output=failfast --fail-fast > failfast.log 2>&1 || code=$?
[[ $code != 0 ]] || fail "--fail-fast under mpirun exited 0"
finished=$(find failfast/trials -name '*.h5' | wc -l)
((finished < 6)) || fail "--fail-fast: every fine trial still ran ($finished): $(cat failfast.log)"
cat > diverging.yaml <<'YAML'
name: diverging
model: {d_model: 8, layers: 1, ffn: 16}
task: {name: copy, symbols: 5, length: 4}
train: {steps: 50, warmup: 1}
eval: {every: 0, batches: 1}
ablation:
  - {name: explodes, set: {train.lr: 1.0e+30, train.clip: 0}}
  - {name: fine, set: {}}
seeds: 6
YAML
"${mpi[@]}" "$attnlab" run diverging.yaml -o output=diverging --fail-fast > diverging.log 2>&1 ||
  fail "a diverging arm under mpirun is a result, not a failure: $(cat diverging.log)"
grep -q "6 of 12 trials finished, 6 diverged" diverging.log || fail "$(cat diverging.log)"

# 2. Kill rank 1 while it runs a trial, after some trial has finished.
"${mpi[@]}" "$attnlab" run "${experiment[@]}" -o output=killed > killed.log 2>&1 &
launcher=$!
victim=
for _ in $(seq 1 1200); do
  holder=$(grep -l "MPI rank 1" killed/trials/*.running 2>/dev/null | head -1 || true)
  if [[ -n $holder ]] && ls killed/trials/*.h5 > /dev/null 2>&1; then
    victim=$(awk '$1 == "pid:" { print $2 }' "$holder" 2> /dev/null || true)  # it may just have gone
    [[ -n $victim ]] && break
  fi
  sleep 0.1
done
[[ -n $victim ]] || fail "rank 1 never ran a trial after one finished: $(cat killed.log)"
kill -9 "$victim"
code=0
wait "$launcher" || code=$?
launcher=
[[ $code != 0 ]] || fail "mpirun succeeded although a rank was killed"
finished=$(ls killed/trials/*.h5 | wc -l)
((finished >= 1 && finished < 6)) || fail "$finished trials finished before the kill"
stat -c '%n %i %Y %s' killed/trials/*.h5 > before.txt
"${mpi[@]}" "$attnlab" run "${experiment[@]}" -o output=killed > rerun.log 2>&1 ||
  fail "the rerun: $(cat rerun.log)"
grep -q "$finished already finished, $((6 - finished)) to run" rerun.log || fail "$(head -3 rerun.log)"
stat -c '%n %i %Y %s' $(awk '{ print $1 }' before.txt) > after.txt
diff before.txt after.txt || fail "a finished trial was computed again"
"$python" "$here/../experiment/compare_runs.py" killed single
echo "mpi: 3 ranks equal one process; a killed rank lost nothing and the rerun completed: ok"
