#!/usr/bin/env bash
# Sweeps seeds of every scenario in `sluice sim list` with one job and its settings, as CI does for
# each Nexmark query (ctest -L sim -R sim_job_): a failing seed names the scenario and prints the
# sweep's rerun line for it.
#   tools/job_sweeps.sh SLUICE JOB SEEDS [-D key=value]...
#   e.g. tools/job_sweeps.sh build/tools/sluice nexmark-q5 1..40 -D nexmark.events.num=6000
set -uo pipefail
sluice="$1" job="$2" seeds="$3"
shift 3
failed=0
for scenario in $("$sluice" sim list | cut -d' ' -f1); do
  if ! "$sluice" sim sweep "$scenario" --job "$job" --seeds "$seeds" --jobs 2 "$@"; then
    echo "FAIL: $scenario with $job; rerun: $sluice sim sweep $scenario --job $job --seeds $seeds $*"
    failed=1
  fi
done
exit "$failed"
