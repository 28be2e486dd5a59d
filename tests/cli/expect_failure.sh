#!/usr/bin/env bash
# expect_failure.sh EXPECTED_MESSAGE COMMAND... : passes when COMMAND exits
# non-zero (but not by a signal) and its stderr contains EXPECTED_MESSAGE.
expected=$1; shift
stderr_file=$(mktemp)
trap 'rm -f "$stderr_file"' EXIT
"$@" >/dev/null 2>"$stderr_file"
status=$?
if ((status == 0 || status > 128)); then
  echo "expected a clean failure, got exit status $status"; cat "$stderr_file"; exit 1
fi
if ! grep -qF -- "$expected" "$stderr_file"; then
  echo "stderr lacks: $expected"; cat "$stderr_file"; exit 1
fi
echo "failed as expected ($status): $(head -c 300 "$stderr_file")"
