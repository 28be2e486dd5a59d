#!/bin/bash
# analysis/eval_curves.py on a real (tiny) run: one row per finished trial with
# its evaluated steps, a clear error for a length the run did not evaluate.
set -euo pipefail
cli=$1 source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/tiny.yaml" <<'YAML'
model: {architecture: decoder, d_model: 8, layers: 1, ffn: 0}
heads: {count: 2}
task: {name: induction, symbols: 8, length: 4}
train: {steps: 6, warmup: 1}
eval: {every: 2, batches: 1}
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
[[ $message == *"no metrics/eval/length_9/accuracy; lengths here: [4]"* ]] || { echo "$message" >&2; exit 1; }
