#!/usr/bin/env bash
# End-to-end checks of the `sluice` command-line contract that README.md documents: exit codes,
# error messages naming the problem, the --json line, replay of a seed, and (mode "cluster") a
# small real local cluster whose output must be exactly once.
#   tools/cli_contract_test.sh BUILD/tools/sluice [contract|cluster]
set -uo pipefail

sluice="$1"
mode="${2:-contract}"
work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-cli-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run EXPECTED_EXIT CMD...: runs CMD, output in $work/out and $work/err, checks the exit code.
run() {
  local want="$1"; shift
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [[ "$got" != "$want" ]]; then
    fail "exit $got (want $want): $*"
    sed 's/^/  stderr: /' "$work/err" | head -5
  fi
}

# expect_in FILE TEXT: FILE contains TEXT (fixed string).
expect_in() { grep -qF -- "$2" "$1" || fail "'$2' not in $(basename "$1") of the last command"; }

printf 'the quick brown fox\njumps over the lazy dog\nThe DOG sleeps, the fox runs.\n' \
  >"$work/input.txt"

contract_checks() {
  run 2 "$sluice"
  run 0 "$sluice" --help
  run 2 "$sluice" no-such-command

  run 0 "$sluice" sim list
  local scenario
  scenario="$(head -1 "$work/out" | awk '{print $1}')"
  [[ -n "$scenario" ]] || { fail "sim list printed no scenario"; return; }

  run 2 "$sluice" sim run no-such-scenario --seed 1
  expect_in "$work/err" "no-such-scenario"
  expect_in "$work/err" "$scenario"
  run 2 "$sluice" sim run "$scenario"
  run 2 "$sluice" sim run "$scenario" --seed abc
  expect_in "$work/err" "abc"
  run 2 "$sluice" sim run "$scenario" --seed -1
  run 2 "$sluice" sim run "$scenario" --seed 1 --input "$work/missing.txt"
  expect_in "$work/err" "missing.txt"
  run 2 "$sluice" sim sweep "$scenario" --seeds 5..1
  run 2 "$sluice" sim sweep "$scenario" --seeds 1-3
  run 2 "$sluice" sim sweep no-such-scenario --seeds 1..2

  "$sluice" sim run "$scenario" --seed 7 --input "$work/input.txt" --json --output "$work/o1" \
    >"$work/run1" 2>"$work/err"
  local code=$?
  [[ "$code" == 0 || "$code" == 1 ]] || fail "sim run --json exit $code"
  local json
  json="$(tail -1 "$work/run1")"
  for field in '"scenario":' '"seed":7' '"verdict":' '"simulated_ms":' '"wall_ms":' \
      '"faults":[' '"checkpoints_completed":' '"restarts":' '"records_in":' '"records_out":' \
      '"failure":'; do
    [[ "$json" == *"$field"* ]] || fail "--json line lacks $field: $json"
  done
  [[ "$json" =~ \"trace_hash\":\"[0-9a-f]{16}\" ]] || fail "--json trace_hash not 16 hex: $json"
  [[ ( "$code" == 0 && "$json" == *'"verdict":"pass"'* ) ||
     ( "$code" == 1 && "$json" == *'"verdict":"fail"'* ) ]] || fail "exit $code vs $json"

  # Replay: the same seed gives the same trace and the same committed output.
  "$sluice" sim run "$scenario" --seed 7 --input "$work/input.txt" --json --output "$work/o2" \
    >"$work/run2" 2>/dev/null
  local hash1 hash2
  hash1="$(tail -1 "$work/run1" | grep -o '"trace_hash":"[0-9a-f]*"')"
  hash2="$(tail -1 "$work/run2" | grep -o '"trace_hash":"[0-9a-f]*"')"
  [[ "$hash1" == "$hash2" ]] || fail "seed 7 replayed with a different trace: $hash1 vs $hash2"
  diff -r "$work/o1" "$work/o2" >/dev/null || fail "seed 7 replayed with different output"

  run 2 "$sluice" cluster local wordcount --taskmanagers 0 --output "$work/c"
  run 2 "$sluice" cluster local wordcount --taskmanagers 1 --output "$work/c"
  expect_in "$work/err" "--taskmanagers 2"
  run 2 "$sluice" cluster local nosuchjob --taskmanagers 2 --output "$work/c"
  expect_in "$work/err" "nosuchjob"
  run 2 "$sluice" cluster local wordcount --taskmanagers 2 --output "$work/c" \
    --input "$work/missing.txt"
  expect_in "$work/err" "missing.txt"
}

cluster_checks() {
  run 0 timeout 300 "$sluice" cluster local wordcount --taskmanagers 2 --input "$work/input.txt" \
    --output "$work/cluster-out"
  expect_in "$work/out" "exactly once: OK (15 records)"
  cat "$work/out"
}

case "$mode" in
  contract) contract_checks ;;
  cluster) cluster_checks ;;
  *) echo "unknown mode $mode"; exit 2 ;;
esac
if (( failures > 0 )); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all $mode checks passed"
