#!/usr/bin/env bash
# build_example.sh BUILD_DIR EXAMPLE_SOURCE: installs attnlab from BUILD_DIR into
# a temporary prefix (checking that char_lm reads the corpus installed with it),
# builds the example plugin against it with find_package, lists its components
# and trains a model with both of them; then builds the abridged example of
# docs/plugins.md exactly as written there and checks it.
set -euo pipefail
build_dir=$1 example=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$example" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
attnlab="$work/prefix/bin/attnlab"
plugin="$work/build/libattnlab_example.so"

# char_lm's built-in corpus is installed, the installed copy is the one read (with
# it gone, the installed attnlab names it and never falls back to the source's),
# and a moved install still finds its own.
corpus="$work/prefix/share/attnlab/data/kjv.txt"
cmp "$corpus" "$example/../../data/kjv.txt"
tiny=(--task char_lm --steps 2 --d-model 16 --heads 1 --ffn 16 --layers 1)
"$attnlab" train "${tiny[@]}" > /dev/null
mv "$corpus" "$corpus.moved"
if "$attnlab" train "${tiny[@]}" 2> "$work/corpus.txt"; then
  echo "the installed attnlab trained without its installed corpus" >&2
  exit 1
fi
grep -q "corpus '$corpus' does not exist" "$work/corpus.txt"
mv "$corpus.moved" "$corpus"
mv "$work/prefix" "$work/moved" && "$work/moved/bin/attnlab" train "${tiny[@]}" > /dev/null
mv "$work/moved" "$work/prefix"
"$attnlab" plugins --plugin "$plugin" | tee "$work/plugins.txt" | grep -E "relu_squared|scaled_sinusoidal"
grep -q "\[$plugin\]" "$work/plugins.txt"  # the origin is the library
"$attnlab" check-plugin "$plugin" | tee "$work/check.txt"  # the installed kit passes it
grep -q "^2 of 2 components pass" "$work/check.txt"
"$attnlab" train --plugin "$plugin" --attention relu_squared --positional scaled_sinusoidal --steps 300 \
  | tee "$work/train.txt" | tail -2
accuracy=$(sed -n 's/.*eval token accuracy \([0-9.]*\)%.*/\1/p' "$work/train.txt")
/usr/bin/python3 -c "import sys; a = float('$accuracy'); print('accuracy', a); sys.exit(0 if a >= 95 else 1)"

# The same plugin named in a YAML experiment, its path relative to the file.
cp "$example/example.yaml" "$work/example.yaml"
(cd "$work" && "$attnlab" run example.yaml -q -o output="$work/runs")
/usr/bin/python3 - "$work/runs/results.csv" <<'PY'
import csv, sys
rows = {row["arm"]: row for row in csv.DictReader(open(sys.argv[1]))}
arm = "attention.variant=relu_squared, positional.kind=scaled_sinusoidal"
assert len(rows) == 4 and all(row["finished"] == "1" for row in rows.values()), rows
accuracy = float(rows[arm]["eval_accuracy_mean"])
print("YAML experiment with the plugin:", arm, "accuracy", accuracy)
sys.exit(0 if accuracy >= 0.95 else 1)
PY

# docs/plugins.md step 2: its CMakeLists.txt and example_plugin.cpp, as written.
docs="$example/../../docs/plugins.md"
mkdir "$work/docs_example"
block() {  # the first fenced block of language $1 in docs/plugins.md
  awk -v lang="$1" '$0 == "```" lang && !done {inside = 1; next} inside && $0 == "```" {inside = 0; done = 1} inside' "$docs"
}
block cmake >"$work/docs_example/CMakeLists.txt"
block cpp >"$work/docs_example/example_plugin.cpp"
grep -q "ATTNLAB_PLUGIN(register_components)" "$work/docs_example/example_plugin.cpp"
cmake -S "$work/docs_example" -B "$work/docs_build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/docs_build" >/dev/null
"$attnlab" check-plugin "$work/docs_build/libattnlab_example.so" | tee "$work/docs_check.txt" | tail -1
grep -q "^1 of 1 components pass" "$work/docs_check.txt"
