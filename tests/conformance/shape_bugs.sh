#!/usr/bin/env bash
# shape_bugs.sh ATTNLAB SHAPE_BUGS_PLUGIN: `attnlab check-plugin` on components
# that are each wrong only outside the kit's old single shape (plugin/shape_bugs.cpp)
# exits 3, fails exactly the checks each bug breaks, and shrinks each failure
# to its smallest case; `--replay` of the reported case fails the same way,
# other seeds catch the bugs too, and usage errors exit 2.
set -euo pipefail
attnlab=$1 plugin=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
"$attnlab" check-plugin "$plugin" > "$out/check.txt" || status=$?
cat "$out/check.txt"
[ "$status" -eq 3 ] || { echo "exit status $status, expected 3"; exit 1; }

# Each failing check of each component, with the smallest case it was shrunk to.
failures() {
  awk '/^(PASS|FAIL) /{match($0, /'"'"'[^'"'"']*'"'"'/); c=substr($0, RSTART, RLENGTH)}
       /^  FAIL /{check=$2} /^    at /{sub(/^    at /, ""); print c, check, "at", $0}' "$1"
}
failures "$out/check.txt" > "$out/found.txt"
cat > "$out/expected.txt" <<'LIST'
'bug_late_causal_leak' causal_mask at batch 1, heads 1, queries 10, keys 10, width 1
'bug_late_causal_leak' cached_generation at 1 prompt(s) of 1 token(s), 10 generated, heads 1, d_model 4
'bug_wide_head_mixing' head_gating at batch 1, heads 4, queries 1, keys 1, width 1
'bug_long_overflow' finite at batch 1, heads 1, queries 1, keys 33, width 1
'bug_long_overflow' deterministic at batch 1, heads 1, queries 1, keys 33, width 1
'bug_long_overflow' batch_independent at batch 2, heads 1, queries 1, keys 33, width 1
'bug_long_overflow' causal_mask at batch 1, heads 1, queries 33, keys 33, width 1
'bug_long_overflow' padding_mask at batch 1, heads 1, queries 1, keys 33, width 1
'bug_long_overflow' score_bias at batch 1, heads 1, queries 1, keys 33, width 1
'bug_long_overflow' head_gating at batch 1, heads 2, queries 1, keys 33, width 1
'bug_long_overflow' cached_generation at 1 prompt(s) of 4 token(s), 30 generated, heads 1, d_model 2
'bug_batch_coupled' batch_independent at batch 3, heads 1, queries 1, keys 1, width 1
'bug_unseeded' deterministic at batch 1, heads 1, queries 1, keys 1, width 5
'bug_wide_detached_keys' gradients at batch 1, heads 3, queries 1, keys 3, width 1
'bug_short_bias_only' score_bias at batch 1, heads 1, queries 1, keys 17, width 1
'bug_wide_output_cut' shapes at batch 1, heads 7, queries 1, keys 1, width 1
'bug_first_items_padding' batch_independent at batch 3, heads 1, queries 1, keys 2, width 1
'bug_first_items_padding' padding_mask at batch 3, heads 1, queries 1, keys 2, width 1
'bug_far_nan' positions at offset 0, stride 2, length 96, heads 1, head width 1
'bug_far_nan' extrapolates at length 195, heads 1, head width 1
'bug_offset_drift' positions at offset 17, stride 1, length 1, heads 1, head width 2
'bug_offset_drift' cached_generation at 1 prompt(s) of 1 token(s), 18 generated, heads 1, d_model 2
'bug_ignores_gaps' positions at offset 0, stride 2, length 2, heads 1, head width 2
'bug_wide_bias_shape' declared_channels at length 1, heads 5, head width 1
'bug_late_embedding' declared_channels at length 20, heads 1, head width 2
'bug_late_embedding' positions at offset 5, stride 2, length 7, heads 1, head width 2
'bug_late_embedding' cached_generation at 1 prompt(s) of 1 token(s), 20 generated, heads 1, d_model 2
'bug_far_detached_slope' gradients at length 6, heads 1, head width 1
'bug_group_mismatch' dimensions at heads 6, d_model 6 (= heads x 1)
'bug_long_vocabulary' decoder at batch 1, length 13
'bug_setting_off_by_one' decoder at batch 1, length 1, with symbols=16
LIST
diff "$out/expected.txt" "$out/found.txt" || { echo "failed checks or shrunk cases differ"; exit 1; }
grep -q "^0 of 18 components pass$" "$out/check.txt"

# The replay the report prints reproduces that failure alone.
replay=$(awk '/^(PASS|FAIL) /{on = index($0, "bug_wide_head_mixing") > 0} on' "$out/check.txt" |
  grep -o "replay with --seed [0-9]* --replay [0-9]*" | head -1 | sed 's/replay with //')
[ -n "$replay" ] || { echo "no replay printed"; exit 1; }
status=0
# shellcheck disable=SC2086
"$attnlab" check-plugin "$plugin" --component bug_wide_head_mixing $replay > "$out/replay.txt" ||
  status=$?
cat "$out/replay.txt"
[ "$status" -eq 3 ] || { echo "replay: exit status $status, expected 3"; exit 1; }
grep -q "^  FAIL head_gating" "$out/replay.txt"
grep -q "^    at batch 1, heads 4, queries 1, keys 1, width 1$" "$out/replay.txt"
grep -q "^0 of 1 components pass$" "$out/replay.txt"

# Another seed draws other cases, and still catches every bug.
status=0
"$attnlab" check-plugin "$plugin" --seed 7 > "$out/seed7.txt" || status=$?
[ "$status" -eq 3 ] || { echo "seed 7: exit status $status, expected 3"; exit 1; }
grep -q "^0 of 18 components pass$" "$out/seed7.txt"

# Usage errors: exit 2, with what was wrong.
for bad in "--cases -1" "--replay -3" "--seed x" "--seed=-1" "--no-such-option"; do
  status=0
  # shellcheck disable=SC2086
  "$attnlab" check-plugin "$plugin" $bad 2> "$out/usage.txt" > /dev/null || status=$?
  [ "$status" -eq 2 ] || { echo "check-plugin $bad: exit $status, expected 2"; exit 1; }
  [ -s "$out/usage.txt" ] || { echo "check-plugin $bad: no message"; exit 1; }
done
status=0
"$attnlab" check-plugin "$plugin" --component no_such_component 2> "$out/usage.txt" || status=$?
[ "$status" -eq 1 ] || { echo "an unknown component: exit $status, expected 1"; exit 1; }
grep -q "no component named 'no_such_component'" "$out/usage.txt"
echo "check-plugin: every shape bug caught and shrunk to its smallest case"
