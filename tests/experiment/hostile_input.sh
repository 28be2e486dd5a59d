#!/usr/bin/env bash
# Hostile or broken experiment files are refused quickly, with a clear message,
# inside a memory limit: a regression fails this test instead of the machine.
#   hostile_input.sh ATTNLAB [--no-memory-limit]   (sanitizers reserve address space)
set -euo pipefail
attnlab=$1
memory_limit_kib=$((2 * 1024 * 1024))
[ "${2:-}" = --no-memory-limit ] && memory_limit_kib=unlimited
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0

# refused FILE EXPECTED [OPTION...]: `attnlab validate FILE OPTION...` fails within
# 30 s, under the memory limit, printing EXPECTED.
refused() {
  local file=$1 expected=$2 status=0
  shift 2
  (ulimit -v "$memory_limit_kib"; timeout 30 "$attnlab" validate "$file" "$@") > out.txt 2>&1 || status=$?
  if [ "$status" -eq 0 ] || [ "$status" -eq 124 ] || ! grep -qF -- "$expected" out.txt; then
    echo "FAIL: $file: exit $status, expected a refusal saying: $expected" >&2
    sed 's/^/    /' out.txt >&2
    failures=$((failures + 1))
  fi
}
accepted() {
  local file=$1 status=0
  (ulimit -v "$memory_limit_kib"; timeout 30 "$attnlab" validate "$file") > out.txt 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "FAIL: $file: exit $status, expected it to be valid" >&2
    sed 's/^/    /' out.txt >&2
    failures=$((failures + 1))
  fi
}

# A billion-leaf alias bomb in 400 bytes.
{
  echo 'a: &a ["x","x","x","x","x","x","x","x","x","x"]'
  previous=a
  for level in b c d e f g h i j; do
    echo "$level: &$level [$(printf "*$previous,%.0s" 1 2 3 4 5 6 7 8 9)*$previous]"
    previous=$level
  done
} > bomb.yaml
refused bomb.yaml "bomb.yaml:5:4: this anchor's copy takes the document past 200000 values"

# Anchors nested 60 deep around 150000 values: each anchored level is a copy.
/usr/bin/python3 -c "
print('model: ' + ''.join(f'&a{i} [' for i in range(60)) + ', '.join(['1'] * 150000) + ']' * 60)" > anchors.yaml
refused anchors.yaml "this anchor's copy takes the document past 200000 values"

# 60000 keys of one map: read in linear time, refused as unknown keys at once.
/usr/bin/python3 -c "print('\n'.join(f'k{i}: {i}' for i in range(60000)))" > keys.yaml
refused keys.yaml "keys.yaml:1:1: k0: unknown key"

/usr/bin/python3 -c "print('model: ' + '[' * 100 + ']' * 100)" > deep.yaml
refused deep.yaml "deep.yaml:1:71: lists and maps nest deeper than 64 levels"

refused /dev/zero "/dev/zero: is a character device, expected a YAML file"
mkfifo silent.fifo
refused silent.fifo "silent.fifo: a pipe that delivered no end of text within 10 s"
mkfifo fed.fifo
echo 'model: {d_model: 16}' > fed.fifo &
accepted fed.fifo  # read once: a pipe cannot be read twice
wait

/usr/bin/python3 -c "print('description: ' + 'x' * (2 << 20))" > huge.yaml
refused huge.yaml "huge.yaml: is larger than 1024 KiB"

printf 'name: "caf\xc3\xa9 \xf0\x9f\x99\x82"\n' > unicode.yaml
accepted unicode.yaml
printf 'description: ok\nname: "ab\xff"\n' > latin1.yaml
refused latin1.yaml "latin1.yaml:2:10: byte 0xFF is not UTF-8"
printf 'name: "\xc0\xaf"\n' > overlong.yaml
refused overlong.yaml "overlong.yaml:1:8: byte 0xC0 is not UTF-8"
printf 'name: "\xed\xa0\x80"\n' > surrogate.yaml
refused surrogate.yaml "surrogate.yaml:1:8: byte 0xED is not UTF-8"

: > empty.yaml
refused empty.yaml "empty.yaml: the file holds no YAML (empty, or only comments: a truncated save?)"
printf '# model:\n#   d_model: 16\n' > comments.yaml
refused comments.yaml "comments.yaml: the file holds no YAML"
echo '{}' > defaults.yaml
accepted defaults.yaml

echo 'seeds: 1000000' > many_seeds.yaml
refused many_seeds.yaml "seeds: found '1000000', expected a count >= 1 (at most 10000"
/usr/bin/python3 -c "print('seeds: [' + ', '.join(map(str, range(20000))) + ']')" > seed_list.yaml
refused seed_list.yaml "seeds: found a list of 20000 seeds, expected at most 10000"
cat > grid.yaml <<'YAML'
ablation:
  grid:
    model.d_model: [8, 16, 24, 32, 40, 48, 56, 64, 72, 80]
    model.ffn: [8, 16, 24, 32, 40, 48, 56, 64, 72, 80]
    train.lr: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    train.steps: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    train.batch: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    train.warmup: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    eval.batches: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    eval.every: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    model.layers: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
YAML
refused grid.yaml "grid.yaml:2:3: ablation: this block brings the arms to 100000 or more"
/usr/bin/python3 -c "print('ablation:\n  zip:\n    train.seed_unused: [' + ', '.join(map(str, range(20000))) + ']')" > zip.yaml
refused zip.yaml "zip.yaml:2:3: ablation: this block brings the arms to 20000 or more"
cat > arms_times_seeds.yaml <<'YAML'
seeds: 5000
ablation:
  grid:
    heads.count: [1, 2, 4]
YAML
refused arms_times_seeds.yaml "3 arms x 5000 seeds = 15000 trials; an experiment may hold at most 10000"
/usr/bin/python3 -c "print('name: ' + 'n' * 300)" > long_name.yaml
refused long_name.yaml "long_name.yaml:1:7: name: found"
/usr/bin/python3 -c "print('base: ' + 'b' * 300 + '.yaml')" > long_base.yaml
refused long_base.yaml "long_base.yaml:1:7: base: file"

# Well-formed but far too large: refused from an estimate, before anything is allocated.
# (with a limit of its own, so that the verdicts do not depend on this machine's memory)
echo 'eval: {lengths: [20000]}' > long_eval.yaml
refused long_eval.yaml "long_eval.yaml:1:17: eval.lengths: this trial needs about" --memory-limit 8G
printf 'model: {d_model: 24000, ffn: 100000}\n' > wide.yaml
refused wide.yaml "wide.yaml:1:18: model.d_model: this trial needs about" --memory-limit 8G
printf 'task: {length: 100000000}\n' > long_task.yaml
refused long_task.yaml "task.length: this trial needs about" --memory-limit 8G
status=0
"$attnlab" validate --memory-limit 50M > out.txt 2>&1 || status=$?
if [ "$status" -eq 0 ] || ! grep -q "task.length: this trial needs about .* (set by --memory-limit)" out.txt; then
  echo "FAIL: --memory-limit 50M did not refuse the default experiment" >&2
  cat out.txt >&2
  failures=$((failures + 1))
fi

[ "$failures" -eq 0 ] || { echo "$failures hostile inputs were not refused as expected" >&2; exit 1; }
echo "hostile inputs: all refused as expected"
