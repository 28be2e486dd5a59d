#!/usr/bin/env bash
# check_plugin.sh ATTNLAB BROKEN_PLUGIN CRASHING_PLUGIN: `attnlab check-plugin`
# on a library whose variants break promises they make exits 3 and fails
# exactly the broken checks (each check of the kit fails on one of them); one whose variant crashes its process fails that
# variant (the run goes on to its verdict); a library that cannot be loaded
# exits 1; the built-ins pass (exit 0; 4 cases each here, tests/plugins checks them in full).
set -euo pipefail
attnlab=$1 plugin=$2 crashing=$3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
"$attnlab" check-plugin "$plugin" --cases 8 > "$out" || status=$?  # each breaks its promise at every case
cat "$out"
[ "$status" -eq 3 ] || { echo "exit status $status, expected 3"; exit 1; }
# Each variant fails, and for the promise it breaks.
awk '/^(PASS|FAIL) /{component=$4} /^  FAIL /{print component, $2}' "$out" | sort > "$out.failed"
printf "%s\n" "'test_bias_blind' score_bias" "'test_head_mixing' head_gating" \
  "'test_causal_leak' causal_mask" "'test_causal_leak' cached_generation" \
  "'test_padding_blind' padding_mask" "'test_detached_keys' gradients" \
  "'test_key_count' cached_generation" | sort > "$out.expected"
diff "$out.expected" "$out.failed" || { echo "failed checks differ from the broken promises"; exit 1; }
rm -f "$out.failed" "$out.expected"
grep -q "^0 of 6 components pass$" "$out"
status=0
"$attnlab" check-plugin "$crashing" > "$out" || status=$?
cat "$out"
[ "$status" -eq 3 ] || { echo "a crashing variant: exit status $status, expected 3"; exit 1; }
grep -q "^  FAIL runs  *the checks crashed (signal" "$out"
grep -q "^0 of 1 components pass$" "$out"
status=0
"$attnlab" check-plugin /nonexistent/plugin.so 2> "$out" || status=$?
[ "$status" -eq 1 ] || { echo "a missing library: exit status $status, expected 1"; exit 1; }
grep -q "not found" "$out"
"$attnlab" check-plugin --built-in --cases 4 | tail -1 | grep -q "^\([0-9]*\) of \1 components pass$"
"$attnlab" check-plugin > /dev/null 2>&1 && { echo "no argument must be a usage error"; exit 1; }
echo "check-plugin: broken promises named, built-ins pass"
