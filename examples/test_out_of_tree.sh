#!/usr/bin/env bash
# The example_out_of_tree test: installs the build tree's package into a temporary prefix,
# configures and builds the example (its own CMakeLists.txt, find_package(Sluice)) against it and
# runs the program: its job list, its own job's settings checks, and crash and chaos sweeps of
# its own jobs in the simulator (one with event-time windows and timers) and a cluster local run
# with a TaskManager killed, all judged by the reference evaluator.
#   examples/test_out_of_tree.sh BUILD_DIR EXAMPLE_DIR
set -euo pipefail
build="$1" example="$2"
work="$(mktemp -d /tmp/sluice-example.XXXXXX)"
trap 'rm -rf "$work"' EXIT
fail() { echo "example_out_of_tree: FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$example" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$work/build" -j2 >/dev/null
program="$work/build/line-initials"

"$program" jobs >"$work/jobs"
grep -qE '^line-initials [^ ]' "$work/jobs" || fail "its job is not listed: $(cat "$work/jobs")"
grep -qE '^wordcount [^ ]' "$work/jobs" || fail "the built-in job is not listed"

# Its settings are validated like the built-in jobs' (exit 2 naming the key).
set +e
"$program" sim run tm-crash --seed 1 --job line-initials -D no.such.key=1 2>"$work/err"
code=$?
set -e
[[ "$code" == 2 ]] && grep -q "no.such.key" "$work/err" || fail "bad -D: exit $code"

# The simulator runs the program's own job from the out-of-tree binary: a crash sweep and a
# chaos sweep judged by the reference evaluator, and the built-in job for comparison.
input="$build/sim-input.txt"
"$program" sim sweep tm-crash --job line-initials --seeds 1..20 --jobs 2 --input "$input" \
  >"$work/sweep"
grep -q "20 passed" "$work/sweep" || fail "crash sweep of line-initials: $(cat "$work/sweep")"
"$program" sim sweep chaos --job line-initials --seeds 1..10 --jobs 2 --input "$input" \
  >"$work/sweep"
grep -q "10 passed" "$work/sweep" || fail "chaos sweep of line-initials: $(cat "$work/sweep")"
"$program" sim sweep tm-crash --seeds 1..10 --jobs 2 --input "$input" >"$work/sweep"
grep -q "10 passed" "$work/sweep" || fail "crash sweep of wordcount: $(cat "$work/sweep")"

# The event-time job (a window and keyed timers) on events made here: users u0..u6, one event
# every 100 ms, each user skipping stretches so that idle alerts fire.
events="$work/events.txt"
for ((i = 0; i < 3000; i++)); do
  user=$(( (i * i + i / 50) % 7 ))
  (( (i / 100 + user) % 5 == 0 )) && continue
  echo "u$user $(( i * 100 ))"
done >"$events"
"$program" sim sweep tm-crash --job user-activity --seeds 1..20 --jobs 2 --input "$events" \
  >"$work/sweep"
grep -q "20 passed" "$work/sweep" || fail "crash sweep of user-activity: $(cat "$work/sweep")"
"$program" sim run tm-crash --job user-activity --seed 1 --input "$events" --output "$work/ua" \
  >/dev/null || fail "user-activity seed 1"
grep -rqh "^idle u" "$work/ua" || fail "user-activity raised no idle alert"
grep -rqh "^active u" "$work/ua" || fail "user-activity counted no window"

# And on real processes: cluster local with a TaskManager killed mid-run, its committed output
# judged against the reference evaluator.
"$program" cluster local line-initials --taskmanagers 2 --input "$input" --output "$work/out" \
  --source-rate 20000 --kill-taskmanager-after 1 >"$work/cluster" 2>&1 \
  || fail "cluster local: $(cat "$work/cluster")"
grep -q "exactly once: OK" "$work/cluster" || fail "cluster local: $(cat "$work/cluster")"
echo "example_out_of_tree: passed (installed to $work/prefix, built $program)"
