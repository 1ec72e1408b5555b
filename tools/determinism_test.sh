#!/usr/bin/env bash
# Runs one seed of a scenario twice (on INPUT, default the corpus) with `sim run
# --check-determinism`, which compares the two runs' traces line by line and prints the first
# divergence, if any. Fails unless the seed passes and both runs agree. Arguments after INPUT
# (e.g. -D state.backend.type=rocksdb) go to `sim run`.
#   tools/determinism_test.sh BUILD/tools/sluice SCENARIO SEED [INPUT [SIM RUN ARGS...]]
set -uo pipefail
sluice="$1" scenario="$2" seed="$3"
input_args=()
[[ -n "${4:-}" ]] && input_args=(--input "$4")
extra=("${@:5}")
"$sluice" sim run "$scenario" --seed "$seed" --check-determinism "${input_args[@]}" "${extra[@]}"
code=$?
if [[ "$code" != 0 ]]; then
  echo "FAIL (exit $code): seed $seed of $scenario failed or is not deterministic; rerun:" \
    "sluice sim run $scenario --seed $seed --check-determinism ${extra[*]}"
  exit 1
fi
echo "OK: seed $seed of $scenario passes and gives the same trace twice"
