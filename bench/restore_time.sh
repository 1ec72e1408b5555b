#!/usr/bin/env bash
# Restore time after a TaskManager loss, with and without local recovery
# (execution.state-recovery.from-local), on real processes.
#
# Usage: bench/restore_time.sh [SLUICE] [KEYS] [RUNS]
#   SLUICE  the sluice binary (default build/tools/sluice)
#   KEYS    distinct words in the input, i.e. keyed state entries (default 8000000: ~44 MB of
#           word-count state over 4 subtasks)
#   RUNS    runs per mode (default 3); the median is printed
#
# Each run is `sluice cluster local wordcount` on 2 TaskManagers (2 slots each) reading KEYS
# distinct words at 1 M records/s with a checkpoint every 2 s; taskmanager-1 is SIGKILLed once
# 60% of the input has been read and a replacement with the same id (and the same working
# directory, so its local state copies survive, as with Flink's process.working-dir) starts at
# once. From the processes' logs (host clock, ms):
#   restart  job.restarting -> job.deployed of the second attempt (the restart strategy's delay,
#            the replacement's registration)
#   restore  that job.deployed -> the last task.running of the second attempt (every subtask
#            has read and rebuilt its state)
#   bytes    state bytes the second attempt read from local copies and from checkpoint storage
# Every run must end with "exactly once: OK"; the script fails otherwise.
set -euo pipefail

sluice=${1:-build/tools/sluice}
keys=${2:-8000000}
runs=${3:-3}
rate=1000000
kill_after=$(awk -v k="$keys" -v r="$rate" 'BEGIN { printf "%.1f", 0.6 * k / r + 0.5 }')

work=$(mktemp -d /tmp/sluice-restore-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
awk -v n="$keys" 'BEGIN { for (i = 0; i < n; ++i) printf "w%09d\n", i }' >"$work/input.txt"

# Milliseconds of day of a log line's "time" (one JSON object per line:
# {"time":"2026-11-29T15:35:08.123Z",...}), and a numeric field's value.
log_awk='function ms(line,   t) { match(line, /"time":"[^"]*"/);
  t = substr(line, RSTART + 19, 12); split(t, p, /[:.]/);
  return ((p[1] * 60 + p[2]) * 60 + p[3]) * 1000 + p[4] }
function field(line, name) { if (!match(line, "\"" name "\":[0-9]+")) return 0;
  return substr(line, RSTART + length(name) + 3, RLENGTH - length(name) - 3) + 0 }'

# One run; prints "restart_ms restore_ms local_bytes remote_bytes".
run_once() {
  local from_local=$1 n=$2 out="$work/out-$1-$2" log="$work/run-$1-$2.txt"
  "$sluice" cluster local wordcount --taskmanagers 2 --input "$work/input.txt" --output "$out" \
    --keep-work-dir --source-rate "$rate" --kill-taskmanager-after "$kill_after" \
    -D execution.checkpointing.interval=2s -D heartbeat.timeout=30s \
    -D execution.state-recovery.from-local="$from_local" >"$log" 2>&1 || {
    cat "$log" >&2
    echo "restore_time: the run failed (from-local=$from_local)" >&2
    exit 1
  }
  grep -q "^exactly once: OK" "$log" || { cat "$log" >&2; exit 1; }
  grep -q "^killed taskmanager" "$log" || {
    echo "restore_time: the job ended before the kill; raise KEYS" >&2
    exit 1
  }
  local dir
  dir=$(sed -n 's/^work directory kept: //p' "$log")
  cat "$dir"/logs/*.log | awk "$log_awk"'
    /"event":"job\.restarting"/ && !restarting { restarting = ms($0) }
    /"event":"job\.deployed","message":"attempt 1000002 / { deployed = ms($0) }
    /"event":"task\.running"/ && /"attempt":1000002[,}]/ { t = ms($0); if (t > running) running = t }
    /"event":"task\.restored"/ && /"attempt":1000002[,}]/ {
      local_bytes += field($0, "local_bytes"); remote_bytes += field($0, "remote_bytes") }
    END {
      if (!restarting || !deployed || !running) { print "incomplete logs" > "/dev/stderr"; exit 1 }
      d = deployed - restarting; if (d < 0) d += 86400000
      r = running - deployed; if (r < 0) r += 86400000
      print d, r, local_bytes + 0, remote_bytes + 0
    }'
  rm -rf "$dir" "$out"
}

echo "restore after a TaskManager loss: $keys keys, kill at ${kill_after} s, $runs runs per mode"
printf '%-12s %10s %10s %14s %14s\n' from-local restart_ms restore_ms local_bytes remote_bytes
for from_local in false true; do
  : >"$work/results-$from_local"
  for n in $(seq 1 "$runs"); do run_once "$from_local" "$n" >>"$work/results-$from_local"; done
  # The run with the median restore time.
  sort -n -k2 "$work/results-$from_local" | awk -v n="$runs" -v mode="$from_local" \
    'NR == int((n + 1) / 2) { printf "%-12s %10d %10d %14d %14d\n", mode, $1, $2, $3, $4 }'
  sed 's/^/  run: /' "$work/results-$from_local" >&2
done
