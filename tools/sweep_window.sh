#!/usr/bin/env bash
# Sweeps a window of seeds chosen from the commit id, besides CI's fixed seeds, so that each
# change explores seeds no earlier run has while every run stays reproducible: the window is
# printed with the command that reruns it.
#   tools/sweep_window.sh BUILD/tools/sluice SCENARIO INPUT [COUNT]
# The window starts at 1,000,001 + (the commit id's first 8 hex digits mod 1,000,000,000) and
# holds COUNT seeds (default 300; environment SLUICE_SEED_WINDOW_COMMIT overrides the commit id,
# e.g. to rerun another commit's window). Exit status as `sluice sim sweep`.
set -euo pipefail

sluice="${1:?usage: $0 BUILD/tools/sluice SCENARIO INPUT [COUNT]}"
scenario="${2:?usage: $0 BUILD/tools/sluice SCENARIO INPUT [COUNT]}"
input="${3:?usage: $0 BUILD/tools/sluice SCENARIO INPUT [COUNT]}"
count="${4:-300}"
here="$(cd "$(dirname "$0")" && pwd)"

commit="${SLUICE_SEED_WINDOW_COMMIT:-$(git -C "$here" rev-parse HEAD 2>/dev/null || true)}"
if [[ ! "$commit" =~ ^[0-9a-f]{8} ]]; then
  echo "sweep_window: no commit id (not a git checkout?); set SLUICE_SEED_WINDOW_COMMIT" >&2
  exit 2
fi
first=$(( 1000001 + (16#${commit:0:8} % 1000000000) ))
last=$(( first + count - 1 ))
echo "sweep_window: commit ${commit:0:12}: $scenario seeds $first..$last"
echo "sweep_window: rerun: $sluice sim sweep $scenario --seeds $first..$last --jobs 2 --input $input"
exec "$sluice" sim sweep "$scenario" --seeds "$first..$last" --jobs 2 --input "$input"
