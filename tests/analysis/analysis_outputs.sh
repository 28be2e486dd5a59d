#!/usr/bin/env bash
# What the analysis commands write stays in OUTPUT_DIR/analysis/ and is whole:
# analysis/ or analysis/plots/ as a link is refused by every command (C++ and
# Python), a link planted at a picture's name is replaced and not followed,
# temporaries that killed commands left are removed by the next one, a report
# stopped by SIGTERM takes its plotting tool with it, a plan.yaml alias bomb is
# refused at once within a memory limit, patch takes record:'s patterns, and a
# tuned run's report counts every planned trial and shows the tuning table.
#   analysis_outputs.sh ATTNLAB SOURCE_DIR [--no-memory-limit]
set -euo pipefail
attnlab=$1
source=$2
memory_limit_kib=$((2 * 1024 * 1024))
[ "${3:-}" = --no-memory-limit ] && memory_limit_kib=unlimited
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > tiny.yaml <<'YAML'
model: {architecture: decoder, d_model: 8, layers: 1, ffn: 16}
heads: {count: 2}
task: {name: copy, symbols: 6, length: 4}
train: {steps: 6, warmup: 1}
eval: {every: 3, batches: 1}
seeds: 2
YAML
"$attnlab" run tiny.yaml -q -o output=run > /dev/null
expect_refusal() {  # expect_refusal TEXT COMMAND...: exit 1 with TEXT, nothing written elsewhere
  local text=$1; shift
  local status=0
  "$@" > out.txt 2> err.txt || status=$?
  if [ "$status" -eq 0 ] || ! grep -q "$text" out.txt err.txt || [ -n "$(ls elsewhere)" ]; then
    echo "$*: exit $status, expected a refusal with '$text' and nothing in elsewhere/" >&2
    cat out.txt err.txt >&2
    ls elsewhere >&2
    exit 1
  fi
}

mkdir elsewhere
ln -s "$work/elsewhere" run/analysis
for command in analyze ablate "patch --activation **.output" report; do
  # shellcheck disable=SC2086
  expect_refusal "analysis: is a symbolic link" "$attnlab" $command run
done
expect_refusal "analysis: is a symbolic link" \
  $python "$source/analysis/plots/comparison_bars.py" run
rm run/analysis
mkdir run/analysis
ln -s "$work/elsewhere" run/analysis/plots
expect_refusal "plots: is a symbolic link" "$attnlab" report run
expect_refusal "plots: is a symbolic link" $python "$source/analysis/plots/learning_curves.py" run
rm run/analysis/plots
echo "link tests: analysis/ and analysis/plots/ as links are refused"

# A link planted where a picture goes is replaced by the picture; its target is untouched.
mkdir run/analysis/plots
echo "untouched" > victim.txt
ln -s "$work/victim.txt" run/analysis/plots/bars_eval_accuracy.png
$python "$source/analysis/plots/comparison_bars.py" run > /dev/null
[ "$(cat victim.txt)" = "untouched" ]
[ ! -L run/analysis/plots/bars_eval_accuracy.png ]
file run/analysis/plots/bars_eval_accuracy.png | grep -q "PNG image"

# Temporaries of dead processes go; those of a live one stay.
host=$(hostname)
dead=999999
while kill -0 "$dead" 2> /dev/null; do dead=$((dead - 1)); done
touch "run/analysis/head_metrics.h5.partial-$host-$dead" "run/analysis/plots/x.png.partial-$host-$dead"
touch "run/analysis/head_metrics.h5.partial-$host-$$"
"$attnlab" analyze run > /dev/null
"$attnlab" report run > /dev/null
[ ! -e "run/analysis/head_metrics.h5.partial-$host-$dead" ]
[ ! -e "run/analysis/plots/x.png.partial-$host-$dead" ]
[ -e "run/analysis/head_metrics.h5.partial-$host-$$" ]
rm "run/analysis/head_metrics.h5.partial-$host-$$"
# A name that only looks like a temporary (its pid overflows) is none of ours: left alone.
touch "run/analysis/head_metrics.h5.partial-$host-99999999999999999999999"
"$attnlab" analyze run > /dev/null
[ -e "run/analysis/head_metrics.h5.partial-$host-99999999999999999999999" ]
rm "run/analysis/head_metrics.h5.partial-$host-99999999999999999999999"
echo "leftover temporaries of dead processes removed, a live one's kept, a stranger's ignored"

# SIGTERM to report while a plotting tool runs: the tool goes too.
caught=""
for attempt in $(seq 1 20); do
  "$attnlab" report run > /dev/null 2>&1 &
  report=$!
  tool=""
  for _ in $(seq 1 400); do
    tool=$(pgrep -P "$report" -f plots/ || true)
    [ -n "$tool" ] && break
    kill -0 "$report" 2> /dev/null || break
    sleep 0.01
  done
  if [ -n "$tool" ]; then
    kill -TERM "$report"
    wait "$report" 2> /dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$tool" 2> /dev/null || { caught=$tool; break; }
      sleep 0.05
    done
    [ -n "$caught" ] || { echo "plotting tool $tool outlived its report" >&2; exit 1; }
    break
  fi
  wait "$report" 2> /dev/null || true
done
[ -n "$caught" ] || { echo "never caught a plotting tool running in 20 reports" >&2; exit 1; }
echo "a report stopped by SIGTERM took its plotting tool ($caught) with it"

# A plotting tool killed by a signal: the report names the signal.
mkdir killing_tools
cp "$source"/analysis/plots/*.py killing_tools/
printf 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n' > killing_tools/comparison_bars.py
status=0
ATTNLAB_PLOT_TOOLS=$work/killing_tools "$attnlab" report run > out.txt 2> err.txt || status=$?
if [ "$status" -eq 0 ] || ! grep -q "comparison_bars.py failed: killed by signal 9 (Killed)" err.txt; then
  echo "a plotting tool killed by SIGKILL: exit $status" >&2
  cat out.txt err.txt >&2
  exit 1
fi
echo "a plotting tool killed by a signal is reported with the signal"

# A plan.yaml alias bomb: refused at once, within a memory limit.
cp -r run bomb
{
  echo "experiment: bomb"
  echo "fingerprint: x"
  echo "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"
  for i in $(seq 1 12); do
    echo "a$i: &a$i [*a$((i - 1)), *a$((i - 1)), *a$((i - 1)), *a$((i - 1)), *a$((i - 1)), *a$((i - 1)), *a$((i - 1)), *a$((i - 1)), *a$((i - 1)), *a$((i - 1))]"
  done
  echo "trials: *a12"
} > bomb/plan.yaml
for command in compare analyze report run; do
  status=0
  target=bomb
  expected="an alias (\*name), which attnlab never writes"
  if [ "$command" = run ]; then  # run takes it for a user's file, and will not touch it
    target="tiny.yaml -o output=bomb"
    expected="plan.yaml (not an attnlab plan)"
  fi
  # shellcheck disable=SC2086
  (ulimit -v "$memory_limit_kib"; timeout 30 "$attnlab" $command $target) > out.txt 2>&1 ||
    status=$?
  if [ "$status" -ne 1 ] || ! grep -q "$expected" out.txt; then
    echo "$command on a plan.yaml alias bomb: exit $status" >&2
    cat out.txt >&2
    exit 1
  fi
done
echo "a plan.yaml alias bomb is refused by compare, analyze, report and run"

# patch takes record:'s patterns: '**' spans segments.
"$attnlab" patch run --activation '**.weights' > patch.txt
grep -q "decoder.layers.0.self_attn.weights" patch.txt
echo "patch --activation '**.weights' patches every attention module's weights"

# A tuned run's report counts every planned trial, a diverged one as such, and
# shows the tuning table results.md has.
cat > tuned.yaml <<'YAML'
model: {architecture: decoder, d_model: 8, layers: 1, ffn: 16}
heads: {count: 2}
task: {name: copy, symbols: 6, length: 4}
train: {steps: 6, warmup: 1, clip: 0}
eval: {every: 3, batches: 1}
tune: {train.lr: [0.001, 1.0e+30], select: loss}
seeds: 2
YAML
"$attnlab" run tuned.yaml -q -o output=tuned > /dev/null
"$attnlab" report tuned > /dev/null
html=tuned/analysis/report.html
grep -q "2 finished and 2 diverged of 4 planned, 1 arm; 2 of them reported" "$html"
grep -q "<h3>Tuning: every arm at every value</h3>" "$html"
grep -q "| 0.001 | 2 | 0 | 0 | " "$html"  # finished, diverged, failed
grep -q "| 1.0e+30 | 0 | 2 | 0 | – |" "$html"
echo "a tuned run's report counts diverged trials and shows the tuning table"
