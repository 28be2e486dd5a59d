#!/bin/bash
# analysis/worked_example.py on a real (briefly trained) run of the shipped
# experiment: the query split per head, the concatenation and W_O recomputed
# from the recorded input and the saved weights match what the model recorded.
set -euo pipefail
cli=$1 source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cli" run "$source/experiments/worked_example.yaml" -q -o seeds=1 -o train.steps=5 \
  -o train.warmup=1 -o eval.every=0 -o output="$work/run" >/dev/null
for token in 0 3 7; do
  /usr/bin/python3 "$source/analysis/worked_example.py" "$work/run" --example 1 --token "$token" |
    tee "$work/out"
  [[ $(grep -c ' matches (largest' "$work/out") == 6 ]]  # q and b per head, concat, output
done
if message=$(/usr/bin/python3 "$source/analysis/worked_example.py" "$work/run" --token 99 2>&1); then
  echo "a token outside the recording was accepted" >&2
  exit 1
fi
[[ $message == *"recorded are examples 0..1 and tokens 0..7"* ]] || { echo "$message" >&2; exit 1; }
