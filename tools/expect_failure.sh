#!/usr/bin/env bash
# Runs a command that must fail the way a caught bug does, for tests that pass only when a bug is
# found (the planted-bug campaign): the command must exit 1 (not 0; not 2, bad usage; not a crash)
# and print a repro line `... sim run SCENARIO --seed N ...`, which must carry `--plant-bug NAME`
# when the command planted one. The command's output is passed through.
#   tools/expect_failure.sh CMD [ARGS...]
# Exit 0 when both hold, 1 otherwise.
set -uo pipefail

(( $# > 0 )) || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }
out="$(mktemp "${TMPDIR:-/tmp}/expect-failure.XXXXXX")"
trap 'rm -f "$out"' EXIT

"$@" 2>&1 | tee "$out"
code="${PIPESTATUS[0]}"

bug=""
args=("$@")
for ((i = 0; i + 1 < ${#args[@]}; i++)); do
  [[ "${args[i]}" == "--plant-bug" ]] && bug="${args[i + 1]}"
done

if [[ "$code" != 1 ]]; then
  echo "expect_failure: FAIL: exit $code, want 1 (a failing seed) from: $*"
  exit 1
fi
repro_pattern='sim run [^ ]+ --seed [0-9]+'
if ! grep -qE -- "$repro_pattern" "$out"; then
  echo "expect_failure: FAIL: exit 1 but no repro line ('... sim run SCENARIO --seed N') printed"
  exit 1
fi
if [[ -n "$bug" ]] && ! grep -E -- "$repro_pattern" "$out" | grep -qF -- "--plant-bug $bug"; then
  echo "expect_failure: FAIL: the repro line lacks '--plant-bug $bug'"
  exit 1
fi
echo "expect_failure: OK: exit 1 with a repro line"
