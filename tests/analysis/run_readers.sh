#!/bin/bash
# The run readers in analysis/ on a real (tiny) run: eval_curves.py gives one row
# per finished trial with its evaluated steps, results_columns.py the cells of
# results.md for the figures asked; each names what it cannot find.
set -euo pipefail
cli=$1 source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/tiny.yaml" <<'YAML'
model: {architecture: decoder, d_model: 8, layers: 1, ffn: 0}
heads: {count: 2}
task: {name: induction, symbols: 8, length: 4}
train: {steps: 6, warmup: 1}
eval: {every: 2, batches: 1, lengths: [3], settings: [{min_repeat: 3}]}
ablation: {grid: {model.layers: [1, 2]}}
seeds: 2
YAML
"$cli" run "$work/tiny.yaml" -q -o output="$work/run" >/dev/null
curves=$(/usr/bin/python3 "$source/analysis/eval_curves.py" "$work/run")
echo "$curves"
[[ $(echo "$curves" | head -1) == $'arm\tseed\tstep 2\tstep 4\tstep 6' ]]
[[ $(echo "$curves" | grep -c '^model.layers=') == 4 ]]
# every value is a number in [0, 1]
echo "$curves" | tail -n +2 | cut -f3- | tr '\t' '\n' |
  /usr/bin/python3 -c 'import sys; v=[float(x) for x in sys.stdin]; assert len(v) == 12 and all(0 <= x <= 1 for x in v), v'
if message=$(/usr/bin/python3 "$source/analysis/eval_curves.py" "$work/run" --length 9 2>&1); then
  echo "an unevaluated length was accepted" >&2
  exit 1
fi
[[ $message == *"no /metrics/eval/length_9/accuracy; lengths here: [3, 4]"* ]] || { echo "$message" >&2; exit 1; }
# the training length (4) by default, though a shorter one (3) was evaluated too
trained=$(/usr/bin/python3 "$source/analysis/eval_curves.py" "$work/run" --metric loss | sed -n 2p)
[[ $trained == "$(/usr/bin/python3 "$source/analysis/eval_curves.py" "$work/run" --metric loss --length 4 | sed -n 2p)" ]]
[[ $trained != "$(/usr/bin/python3 "$source/analysis/eval_curves.py" "$work/run" --metric loss --length 3 | sed -n 2p)" ]]
# an eval.settings curve, and a setting the run did not evaluate
[[ $(/usr/bin/python3 "$source/analysis/eval_curves.py" "$work/run" --setting min_repeat=3 | grep -c '^model.layers=') == 4 ]]
if message=$(/usr/bin/python3 "$source/analysis/eval_curves.py" "$work/run" --setting length=5 2>&1); then
  echo "an unevaluated setting was accepted" >&2
  exit 1
fi
[[ $message == *"no eval.settings evaluation 'length=5'; settings here: ['min_repeat=3']"* ]] || { echo "$message" >&2; exit 1; }
# results_columns.py: the same cells as results.md, for the columns asked
columns=$(/usr/bin/python3 "$source/analysis/results_columns.py" "$work/run" eval_accuracy parameters)
echo "$columns"
[[ $(echo "$columns" | head -1) == "| arm | finished | failed | eval_accuracy | parameters |" ]]
for arm in "model.layers=1" "model.layers=2"; do
  expected=$(grep "^| $arm |" "$work/run/results.md" | cut -d'|' -f2-5)
  [[ $(echo "$columns" | grep "^| $arm |" | cut -d'|' -f2-5) == "$expected" ]] ||
    { echo "$arm: differs from results.md: $expected" >&2; exit 1; }
done
if message=$(/usr/bin/python3 "$source/analysis/results_columns.py" "$work/run" eval_acuracy 2>&1); then
  echo "an unknown figure was accepted" >&2
  exit 1
fi
[[ $message == *"no figure 'eval_acuracy'; the figures are: eval_accuracy,"* ]] || { echo "$message" >&2; exit 1; }
