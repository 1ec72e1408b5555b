#!/usr/bin/env bash
# Runs one seed of a scenario twice (on the default corpus) and fails unless both runs pass and
# report the same trace hash.   tools/determinism_test.sh BUILD/tools/sluice SCENARIO SEED
set -euo pipefail
sluice="$1" scenario="$2" seed="$3"
first="$("$sluice" sim run "$scenario" --seed "$seed" --json | tail -n 1)"
second="$("$sluice" sim run "$scenario" --seed "$seed" --json | tail -n 1)"
hash() { sed -n 's/.*"trace_hash":"\([0-9a-f]*\)".*/\1/p' <<<"$1"; }
echo "run 1: $(hash "$first")"
echo "run 2: $(hash "$second")"
if [[ -z "$(hash "$first")" || "$(hash "$first")" != "$(hash "$second")" ]]; then
  echo "FAIL: seed $seed of $scenario is not deterministic; rerun: sluice sim run $scenario --seed $seed --json"
  exit 1
fi
echo "OK: seed $seed gives trace hash $(hash "$first") twice"
