#!/usr/bin/env bash
# The planted-bug campaign: for every planted bug `sluice sim bugs` lists (or only NAME), a sweep
# of the bug's scenario with the bug switched on must fail, stopping at the first failing seed and
# printing its repro (tools/expect_failure.sh checks both).
#   tools/planted_bug_campaign.sh BUILD/tools/sluice [NAME]
# Environment: SLUICE_CAMPAIGN_SEEDS (default 1..500), SLUICE_CAMPAIGN_JOBS (default 2),
# SLUICE_CAMPAIGN_INPUT (an --input FILE; default: the fortunes corpus), SLUICE_CAMPAIGN_SCENARIO
# (sweep this scenario for every bug, e.g. chaos, instead of each bug's own). With a scenario
# given, the seed that caught a bug is then run again without the bug and must pass, so that the
# bug, not the seed's faults, is what failed it; that scenario runs the job the bug's own scenario
# runs by default (`sim list` names it when it is not wordcount), where the bug can show.
# Exit 0 if every bug checked was caught, 1 if one was not, 2 for bad usage or an unknown NAME.
set -uo pipefail

sluice="${1:?usage: $0 BUILD/tools/sluice [NAME]}"
only="${2:-}"
here="$(cd "$(dirname "$0")" && pwd)"
seeds="${SLUICE_CAMPAIGN_SEEDS:-1..500}"
jobs="${SLUICE_CAMPAIGN_JOBS:-2}"
scenario_override="${SLUICE_CAMPAIGN_SCENARIO:-}"
input_args=()
[[ -n "${SLUICE_CAMPAIGN_INPUT:-}" ]] && input_args=(--input "$SLUICE_CAMPAIGN_INPUT")

if ! bugs="$("$sluice" sim bugs)"; then
  echo "planted_bug_campaign: '$sluice sim bugs' failed" >&2
  exit 2
fi

checked=0
missed=()
while read -r name scenario _; do
  [[ -n "$name" ]] || continue
  [[ -z "$only" || "$name" == "$only" ]] || continue
  checked=$((checked + 1))
  job_args=()
  if [[ -n "$scenario_override" ]]; then
    job="$("$sluice" sim list | awk -v s="$scenario" '$1 == s' |
           sed -n 's/.*(default job: \([^)]*\))$/\1/p')"
    [[ -n "$job" ]] && job_args=(--job "$job")
    scenario="$scenario_override"
  fi
  echo "=== planted bug $name: sluice sim sweep $scenario ${job_args[*]} --seeds $seeds" \
    "--plant-bug $name --fail-fast --jobs $jobs"
  log="$(mktemp "${TMPDIR:-/tmp}/campaign.XXXXXX")"
  if ! "$here/expect_failure.sh" "$sluice" sim sweep "$scenario" "${job_args[@]}" \
      --seeds "$seeds" --plant-bug "$name" --fail-fast --jobs "$jobs" "${input_args[@]}" |
      tee "$log"; then
    missed+=("$name")
  elif [[ -n "$scenario_override" ]]; then
    # The catching seed, without the bug, must pass.
    seed="$(grep -oE -- "sim run [^ ]+ --seed [0-9]+" "$log" | head -1 | grep -oE '[0-9]+$')"
    if [[ -z "$seed" ]] || ! "$sluice" sim run "$scenario" "${job_args[@]}" --seed "$seed" \
        "${input_args[@]}" >"$log.clean" 2>&1; then
      echo "planted_bug_campaign: seed ${seed:-?} of $scenario fails without $name too:"
      tail -5 "$log.clean"
      missed+=("$name(seed ${seed:-?} fails without the bug)")
    else
      echo "planted_bug_campaign: seed $seed of $scenario passes without $name"
    fi
  fi
  rm -f "$log" "$log.clean"
done <<<"$bugs"

if [[ -n "$only" && "$checked" == 0 ]]; then
  echo "planted_bug_campaign: no planted bug named '$only' in \`sluice sim bugs\`:" >&2
  awk '{print "  " $1}' <<<"$bugs" >&2
  exit 2
fi
echo "planted_bug_campaign: caught $((checked - ${#missed[@]})) of $checked planted bug(s)" \
  "in seeds $seeds"
if (( ${#missed[@]} > 0 )); then
  echo "planted_bug_campaign: NOT caught: ${missed[*]}"
  exit 1
fi
