#!/usr/bin/env bash
# Writes the first BYTES bytes of the fortunes corpus (the same files, in the same order, as
# `sluice` reads without --input), cut back to the last whole line, to FILE.
#   tools/make_sim_input.sh FILE BYTES
set -euo pipefail
out="$1" bytes="$2" dir=/usr/share/games/fortunes
if [[ ! -d "$dir" ]]; then
  echo "make_sim_input: $dir is missing; install the Debian package 'fortunes' (tools/setup does)" >&2
  exit 1
fi
LC_ALL=C
files=()
for f in $(ls "$dir" | sort); do
  [[ "$f" == *.dat || "$f" == *.u8 || -L "$dir/$f" || ! -f "$dir/$f" ]] && continue
  files+=("$dir/$f")
done
{ cat "${files[@]}" || true; } | head -c "$bytes" | sed '$d' >"$out"  # cat ends on SIGPIPE: fine
echo "make_sim_input: $(wc -l <"$out") lines, $(wc -c <"$out") bytes in $out"
