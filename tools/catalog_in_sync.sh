#!/usr/bin/env bash
# Fails when a catalog and the list of names tools/CMakeLists.txt keeps (one ctest per name) have
# drifted apart: the first column of `sluice sim bugs` (or `sluice sim list`) must be exactly
# NAME... (order ignored).
#   tools/catalog_in_sync.sh BUILD/tools/sluice bugs|list NAME...
set -uo pipefail

sluice="${1:?usage: $0 BUILD/tools/sluice bugs|list NAME...}"
what="${2:?usage: $0 BUILD/tools/sluice bugs|list NAME...}"
shift 2
case "$what" in
  bugs) variable=SLUICE_PLANTED_BUG_NAMES source=scenarios/planted_bugs.cc ;;
  list) variable=SLUICE_SCENARIO_NAMES source=scenarios/catalog.cc ;;
  *) echo "catalog_in_sync: unknown catalog '$what' (bugs or list)" >&2; exit 2 ;;
esac

if ! output="$("$sluice" sim "$what")"; then
  echo "catalog_in_sync: '$sluice sim $what' failed" >&2
  exit 2
fi
actual="$(awk 'NF {print $1}' <<<"$output" | sort)"
expected="$(printf '%s\n' "$@" | awk 'NF' | sort)"
if [[ "$actual" == "$expected" ]]; then
  echo "catalog_in_sync: \`sluice sim $what\` and $variable agree ($(wc -l <<<"$actual") names)"
  exit 0
fi
echo "catalog_in_sync: \`sluice sim $what\` ($source) and $variable in tools/CMakeLists.txt differ:"
comm -23 <(echo "$actual") <(echo "$expected") | sed 's/^/  only in the catalog: /'
comm -13 <(echo "$actual") <(echo "$expected") | sed 's/^/  only in CMakeLists: /'
echo "update $variable in tools/CMakeLists.txt (one ctest per name)"
exit 1
