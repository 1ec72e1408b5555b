#!/usr/bin/env bash
# End-to-end checks of the `sluice` command-line contract that README.md documents: exit codes,
# error messages naming the problem, the --json line, replay of a seed and of a fault schedule,
# traces, shards and JUnit reports, and (mode "cluster") small real local clusters (a plain one,
# and one whose leading JobManager is killed mid-job) whose output must be exactly once.
#   tools/cli_contract_test.sh BUILD/tools/sluice [contract|cluster|session]
set -uo pipefail

sluice="$1"
mode="${2:-contract}"
# Absolute, as the execution.checkpointing.dir under it must be.
work="$(realpath "$(mktemp -d "${TMPDIR:-/tmp}/sluice-cli-test.XXXXXX")")"
trap '[[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"' EXIT
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

# start_etcd HOST CLIENT_PORT DIR: a one-member etcd on HOST (peer port CLIENT_PORT + 1), its data
# in DIR/etcd and its log in DIR/etcd.log; sets $etcd_pid.
start_etcd() {
  local host="$1" port="$2" dir="$3"
  etcd --name sluice --data-dir "$dir/etcd" \
    --listen-client-urls "http://$host:$port" --advertise-client-urls "http://$host:$port" \
    --listen-peer-urls "http://$host:$((port + 1))" \
    --initial-advertise-peer-urls "http://$host:$((port + 1))" \
    --initial-cluster "sluice=http://$host:$((port + 1))" >"$dir/etcd.log" 2>&1 &
  etcd_pid=$!
}

printf 'the quick brown fox\njumps over the lazy dog\nThe DOG sleeps, the fox runs.\n' \
  >"$work/input.txt"

contract_checks() {
  run 2 "$sluice"
  run 0 "$sluice" --help
  run 2 "$sluice" no-such-command

  # sluice input and sluice verify: a run's files before and after.
  local files="$work/files"
  mkdir -p "$files/in" "$files/out/committed"
  printf 'a b a\n' >"$files/in/part-0"
  printf 'b\n' >"$files/in/part-1"
  printf 'a\t1\nb\t1\na\t2\n' >"$files/out/committed/part-0-1"
  printf 'b\t2\n' >"$files/out/committed/part-1-1"
  run 0 "$sluice" verify wordcount --input "$files/in" --output "$files/out"
  expect_in "$work/out" "exactly once: OK (4 records in 2 files)"
  printf 'b\t2\n' >"$files/out/committed/part-1-2"  # a duplicate
  run 1 "$sluice" verify wordcount --input "$files/in" --output "$files/out"
  expect_in "$work/out" "exactly once: FAILED"
  run 2 "$sluice" verify wordcount --input "$files/missing" --output "$files/out"
  run 2 "$sluice" verify wordcount --input "$files/in" --output "$files/missing"
  expect_in "$work/err" "--output"
  run 0 "$sluice" input nexmark-q8 "$files/nexmark" --splits 3 -D nexmark.events.num=300
  [[ -s "$files/nexmark/part-2" && ! -e "$files/nexmark/part-3" ]] \
    || fail "sluice input --splits 3 did not write part-0..2"
  mkdir -p "$files/nexmark-out/committed"
  run 1 "$sluice" verify nexmark-q8 --input "$files/nexmark" --output "$files/nexmark-out" \
    -D nexmark.events.num=300
  expect_in "$work/out" "records committed"
  run 2 "$sluice" verify no-such-job --input "$files/in" --output "$files/out"

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
  # Jobs and their settings (Flink keys): unknown names, keys and values exit 2 naming them.
  run 0 "$sluice" jobs
  grep -qE '^wordcount [^ ]' "$work/out" || fail "sluice jobs does not list 'wordcount description'"
  run 2 "$sluice" sim run "$scenario" --seed 1 --job no-such-job
  expect_in "$work/err" "no-such-job"
  run 2 "$sluice" sim run "$scenario" --seed 1 -D no.such.key=1
  expect_in "$work/err" "no.such.key"
  # JobManager and TaskManager processes: a bad configuration file exits 2 naming the file, the
  # line and the key.
  run 2 "$sluice" taskmanager --config "$work/missing.toml"
  expect_in "$work/err" "missing.toml"
  printf 'process.working-dir = "%s"\n\n[heartbeat]\ntimeout = "soon"\n' "$work/tm" >"$work/tm.toml"
  run 2 "$sluice" taskmanager --config "$work/tm.toml"
  expect_in "$work/err" "tm.toml:4: configuration key 'heartbeat.timeout'"
  printf 'taskmanager.numberOfTaskSlot = 2\n' >"$work/typo.toml"
  run 2 "$sluice" taskmanager --config "$work/typo.toml"
  expect_in "$work/err" "typo.toml:1: unknown configuration key 'taskmanager.numberOfTaskSlot'"
  expect_in "$work/err" "taskmanager.numberOfTaskSlots"
  printf 'rest.port = 8081\nrest.port = 8082\n' >"$work/syntax.toml"
  run 2 "$sluice" jobmanager --config "$work/syntax.toml"
  expect_in "$work/err" "syntax.toml:2:"
  printf 'rest.port = 8081\n' >"$work/nodir.toml"
  run 2 "$sluice" jobmanager --config "$work/nodir.toml"
  expect_in "$work/err" "process.working-dir"
  run 2 "$sluice" jobmanager --config "$work/nodir.toml" -D rest.port=http
  expect_in "$work/err" "-D"
  expect_in "$work/err" "rest.port"
  # execution.checkpointing.dir: required, and absolute (every process must name the same
  # directory).
  printf 'process.working-dir = "%s"\n' "$work/jm" >"$work/jm.toml"
  run 2 "$sluice" jobmanager --config "$work/jm.toml"
  expect_in "$work/err" "jm.toml"
  expect_in "$work/err" "execution.checkpointing.dir"
  run 2 "$sluice" taskmanager --config "$work/jm.toml" -D taskmanager.resource-id=tm
  expect_in "$work/err" "execution.checkpointing.dir"
  run 2 "$sluice" jobmanager --config "$work/jm.toml" -D execution.checkpointing.dir=checkpoints
  expect_in "$work/err" "execution.checkpointing.dir"
  expect_in "$work/err" "not absolute"
  printf 'execution.checkpointing.dir = "%s"\n' "$work/checkpoints" >>"$work/jm.toml"
  run 2 "$sluice" jobmanager --config "$work/jm.toml" --job no-such-job
  expect_in "$work/err" "no-such-job"
  run 2 "$sluice" taskmanager --config "$work/jm.toml"
  expect_in "$work/err" "taskmanager.resource-id"
  run 2 "$sluice" sim run "$scenario" --seed 1 -D parallelism.default=zero
  expect_in "$work/err" "parallelism.default"
  run 2 "$sluice" sim run "$scenario" --seed 1 -D execution.checkpointing.interval=5parsecs
  expect_in "$work/err" "execution.checkpointing.interval"
  run 2 "$sluice" sim run "$scenario" --seed 1 -D parallelism.default
  expect_in "$work/err" "key=value"
  run 2 "$sluice" sim sweep "$scenario" --seeds 1..2 -D pipeline.max-parallelism=0
  expect_in "$work/err" "pipeline.max-parallelism"
  run 2 "$sluice" cluster local wordcount --taskmanagers 2 --output "$work/never" -D bad.key=1
  expect_in "$work/err" "bad.key"
  # Nexmark: events as JSON lines; a malformed line exits 2 naming the file, line and field,
  # before anything runs; a good file commits the same rows on every run.
  run 0 "$sluice" jobs
  grep -qE '^nexmark-q5 [^ ]' "$work/out" || fail "sluice jobs does not list nexmark-q5"
  printf '%s\n' \
    '{"event_type":2,"bid":{"auction":1001,"bidder":2001,"price":650,"channel":"Google","url":"u","dateTime":1436918400000,"extra":""}}' \
    '{"event_type":2,"bid":{"auction":1001,"bidder":"2001"}}' >"$work/bad-events.json"
  run 2 "$sluice" sim run tm-crash --seed 1 --job nexmark-q5 --input "$work/bad-events.json" \
    --output "$work/nexmark-never"
  expect_in "$work/err" "bad-events.json:2: field 'bid.bidder'"
  [[ ! -e "$work/nexmark-never" ]] || fail "a refused nexmark input still ran the job"
  head -1 "$work/bad-events.json" >"$work/events.json"
  for second in 2 5 9 10 11 13 20; do
    printf '{"event_type":2,"bid":{"auction":%d,"bidder":7,"price":%d,"channel":"c","url":"u","dateTime":%d,"extra":""}}\n' \
      $((1000 + second % 3)) $((second * 37 % 11)) $((1436918400000 + second * 1000)) \
      >>"$work/events.json"
  done
  local nexmark_out
  for run_number in 1 2; do
    run 0 "$sluice" sim run tm-crash --seed 3 --job nexmark-q5 --input "$work/events.json" \
      --output "$work/nexmark-$run_number" --json
    expect_in "$work/out" '"verdict":"pass"'
    nexmark_out="$(cat "$work/nexmark-$run_number"/part-* | sort)"
    [[ -n "$nexmark_out" ]] || fail "nexmark-q5 committed no rows"
    echo "$nexmark_out" >"$work/nexmark-rows-$run_number"
  done
  cmp -s "$work/nexmark-rows-1" "$work/nexmark-rows-2" || fail "nexmark-q5 rows differ between runs"
  grep -qE '^\{"auction":10[0-9]{2},"num":[0-9]+\}$' "$work/nexmark-rows-1" || fail "nexmark-q5 rows: $(head -3 "$work/nexmark-rows-1")"

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
      '"failure":' '"beyond_budget":' '"events":{' '"job":{"name":"wordcount"' \
      '"operators":[{"name":"Source"' '"input_xxh64":"'; do
    [[ "$json" == *"$field"* ]] || fail "--json line lacks $field: $json"
  done
  [[ "$json" =~ \"trace_hash\":\"[0-9a-f]{16}\" ]] || fail "--json trace_hash not 16 hex: $json"
  [[ ( "$code" == 0 && "$json" == *'"verdict":"pass"'* ) ||
     ( "$code" == 0 && "$json" == *'"verdict":"failed_cleanly"'* ) ||
     ( "$code" == 1 && "$json" == *'"verdict":"fail"'* ) ]] || fail "exit $code vs $json"

  # Replay: the same seed gives the same trace and the same committed output.
  "$sluice" sim run "$scenario" --seed 7 --input "$work/input.txt" --json --output "$work/o2" \
    >"$work/run2" 2>/dev/null
  local hash1 hash2
  hash1="$(tail -1 "$work/run1" | grep -o '"trace_hash":"[0-9a-f]*"')"
  hash2="$(tail -1 "$work/run2" | grep -o '"trace_hash":"[0-9a-f]*"')"
  [[ "$hash1" == "$hash2" ]] || fail "seed 7 replayed with a different trace: $hash1 vs $hash2"
  diff -r "$work/o1" "$work/o2" >/dev/null || fail "seed 7 replayed with different output"

  new_flag_checks "$scenario"

  run 2 "$sluice" cluster local wordcount --taskmanagers 0 --output "$work/c"
  run 2 "$sluice" cluster local wordcount --taskmanagers 1 --output "$work/c"
  expect_in "$work/err" "--taskmanagers 2"
  run 2 "$sluice" cluster local nosuchjob --taskmanagers 2 --output "$work/c"
  expect_in "$work/err" "nosuchjob"
  run 2 "$sluice" cluster local wordcount --taskmanagers 2 --output "$work/c" \
    --input "$work/missing.txt"
  expect_in "$work/err" "missing.txt"
  # JobManager high availability: 1..3 JobManagers; killing the leader needs a standby.
  run 2 "$sluice" cluster local wordcount --taskmanagers 2 --jobmanagers 0 --output "$work/c"
  expect_in "$work/err" "--jobmanagers"
  run 2 "$sluice" cluster local wordcount --taskmanagers 2 --jobmanagers 4 --output "$work/c"
  expect_in "$work/err" "--jobmanagers"
  run 2 "$sluice" cluster local wordcount --taskmanagers 2 --output "$work/c" \
    --kill-jobmanager-after 1
  expect_in "$work/err" "--jobmanagers 2"
  run 2 "$sluice" cluster local wordcount --taskmanagers 2 --jobmanagers 1 --output "$work/c" \
    --kill-jobmanager-after 1
  expect_in "$work/err" "--kill-jobmanager-after"
  run 2 "$sluice" cluster local wordcount --taskmanagers 2 --jobmanagers 2 --output "$work/c" \
    --kill-jobmanager-after -1
  expect_in "$work/err" "--kill-jobmanager-after"
}

# The flags of sim bugs/run/sweep/shrink added with the fault model: error paths, and the happy
# paths that do not depend on a particular seed failing.
new_flag_checks() {
  local scenario="$1" small=(--input "$work/input.txt")
  run 0 "$sluice" sim bugs
  local bug
  bug="$(head -1 "$work/out" | awk '{print $1}')"
  [[ -n "$bug" ]] || fail "sim bugs printed nothing"
  awk 'NF < 3 {bad = 1} END {exit bad}' "$work/out" || fail "sim bugs: a line without 3 fields"

  # Unknown planted bug: exit 2, naming it and listing the valid names.
  for command in "run $scenario --seed 1" "sweep $scenario --seeds 1..2" \
      "shrink $scenario --seed 1 --out $work/min.json"; do
    # shellcheck disable=SC2086
    run 2 "$sluice" sim $command --plant-bug no-such-bug "${small[@]}"
    expect_in "$work/err" "no-such-bug"
    expect_in "$work/err" "$bug"
  done

  # Bad --faults files: exit 2 naming the file and the problem.
  run 2 "$sluice" sim run "$scenario" --seed 1 --faults "$work/missing-faults.json"
  expect_in "$work/err" "missing-faults.json"
  printf '[{"at_ms": 1, "kind": "crash", "host": "x"}, ' >"$work/truncated.json"
  run 2 "$sluice" sim run "$scenario" --seed 1 --faults "$work/truncated.json"
  expect_in "$work/err" "truncated.json"
  expect_in "$work/err" "not valid JSON"
  printf '[{"at_ms": 1, "kind": "crash", "host": "x"},\n {"at_ms": -3, "kind": "crash", "host": "x"}]\n' \
    >"$work/negative.json"
  run 2 "$sluice" sim run "$scenario" --seed 1 --faults "$work/negative.json"
  expect_in "$work/err" "negative.json"
  expect_in "$work/err" "entry 2: at_ms must be a non-negative integer"
  printf '[{"at_ms": 1, "kind": "meteor", "host": "x"}]' >"$work/kind.json"
  run 2 "$sluice" sim run "$scenario" --seed 1 --faults "$work/kind.json"
  expect_in "$work/err" "entry 1: unknown kind 'meteor'"

  # Bad --shard and --jobs: exit 2 naming the flag.
  for shard in 0/4 5/4 1/0 x 1-4; do
    run 2 "$sluice" sim sweep "$scenario" --seeds 1..4 --shard "$shard" "${small[@]}"
    expect_in "$work/err" "--shard"
  done
  run 2 "$sluice" sim sweep "$scenario" --seeds 1..4 --jobs 0 "${small[@]}"
  expect_in "$work/err" "--jobs"
  run 2 "$sluice" sim shrink "$scenario" --seed 1 "${small[@]}"  # --out is required
  run 2 "$sluice" sim shrink "$scenario" --seed 1 --out "$work/min.json" --max-runs 1 \
    "${small[@]}"
  expect_in "$work/err" "--max-runs"

  # --json carries config and fault_points_fired; its faults replay through --faults.
  "$sluice" sim run "$scenario" --seed 3 "${small[@]}" --json >"$work/run3" 2>/dev/null
  local json
  json="$(tail -1 "$work/run3")"
  for field in '"config":{' '"fault_points_fired":{' '"build":{' '"plant_bug":""'; do
    [[ "$json" == *"$field"* ]] || fail "--json line lacks $field: $json"
  done
  tail -1 "$work/run3" >"$work/run3.json"
  "$sluice" sim run "$scenario" --seed 3 "${small[@]}" --faults "$work/run3.json" --json \
    >"$work/replay3" 2>"$work/err"
  local code=$?
  [[ "$code" == 0 || "$code" == 1 ]] || fail "sim run --faults (a --json line) exit $code"
  local faults1 faults2
  faults1="$(grep -o '"faults":\[[^]]*\]' "$work/run3.json")"
  faults2="$(tail -1 "$work/replay3" | grep -o '"faults":\[[^]]*\]')"
  [[ "$faults1" == "$faults2" ]] || fail "replayed faults differ: $faults1 vs $faults2"

  # -D settings reach the job (Count runs at parallelism.default) and the repro line.
  "$sluice" sim run "$scenario" --seed 3 "${small[@]}" -D parallelism.default=3 --json \
    >"$work/run3p" 2>/dev/null
  json="$(tail -1 "$work/run3p")"
  [[ "$json" == *'{"name":"Count","parallelism":3}'* ]] || fail "-D parallelism.default: $json"
  [[ "$json" == *'"parallelism.default":"3"'* ]] || fail "job settings lack the -D value: $json"

  # --trace writes Chrome trace-event JSON; --check-determinism reports the hash matched.
  "$sluice" sim run "$scenario" --seed 3 "${small[@]}" --trace "$work/trace.json" \
    --check-determinism >"$work/out" 2>"$work/err"
  code=$?
  [[ "$code" == 0 || "$code" == 1 ]] || fail "sim run --trace --check-determinism exit $code"
  expect_in "$work/trace.json" '{"displayTimeUnit":"ms","traceEvents":['
  expect_in "$work/out" "determinism  OK: trace hash"

  # Shrinking a passing seed: exit 2, nothing to shrink. The first passing seed of 1..5.
  local seed passing=""
  for seed in 1 2 3 4 5; do
    if "$sluice" sim run "$scenario" --seed "$seed" "${small[@]}" >/dev/null 2>&1; then
      passing="$seed"
      break
    fi
  done
  if [[ -n "$passing" ]]; then
    run 2 "$sluice" sim shrink "$scenario" --seed "$passing" "${small[@]}" --out "$work/min.json"
    expect_in "$work/err" "nothing to shrink"
    [[ ! -e "$work/min.json" ]] || fail "shrink of a passing seed wrote $work/min.json"
  else
    fail "no seed of 1..5 passes $scenario on the small input"
  fi

  # Sweep: shards, jobs and JUnit; each seed once across the shards.
  run 0 "$sluice" sim sweep "$scenario" --seeds 1..4 --shard 2/2 --jobs 2 "${small[@]}" \
    --junit "$work/junit.xml"
  expect_in "$work/out" "2 run, 2 passed, 0 failed"
  expect_in "$work/junit.xml" "<testsuite name=\"$scenario\" tests=\"2\""
  expect_in "$work/junit.xml" "<testcase name=\"seed 2\" classname=\"sluice.sim.$scenario\""
  expect_in "$work/junit.xml" "<testcase name=\"seed 4\""
}

cluster_checks() {
  run 0 timeout 300 "$sluice" cluster local wordcount --taskmanagers 2 --input "$work/input.txt" \
    --output "$work/cluster-out"
  expect_in "$work/out" "exactly once: OK (15 records)"
  cat "$work/out"

  # JobManager failover on real processes: two JobManagers, the leader SIGKILLed after 1 s; the
  # standby takes over when the lease runs out, the replacement starts 2 s later. 100,000 lines (3 words each) at 20,000 lines/s take about 5 s to read, so the kill
  # lands mid-job; the whole run takes about 7 s.
  awk 'BEGIN { for (i = 0; i < 100000; i++) print "w" i % 101, "x" i % 37, "y" i % 7 }' \
    >"$work/ha-input.txt"
  run 0 timeout 300 "$sluice" cluster local wordcount --taskmanagers 2 --jobmanagers 2 \
    --kill-jobmanager-after 1 --source-rate 20000 --input "$work/ha-input.txt" \
    --output "$work/cluster-ha-out"
  expect_in "$work/out" "cluster: etcd, 2 jobmanagers and 2 taskmanagers"
  grep -qE '^killed jobmanager jobmanager-[12] \(leader, epoch [0-9]+\) at [0-9.]+ s; its replacement starts in 3 s$' "$work/out" \
    || fail "no 'killed jobmanager ID (leader, epoch E) at T s; ...' line"
  expect_in "$work/out" "job finished at"
  # The killed leader's election and its successor's (at least).
  grep -qE 'leader elections ([2-9]|[1-9][0-9]+)$' "$work/out" || fail "fewer than 2 elections"
  expect_in "$work/out" "exactly once: OK (300000 records)"
  cat "$work/out"

  # Processes started by hand from one configuration file, each on an address of its own
  # (JobManager 127.0.0.2, TaskManagers .3, etcd .5), as on separate hosts sharing a directory
  # (input/, output/ and checkpoints/ under $manual, as an NFS mount would be), with a shared
  # secret: the job runs to its end and commits its counts, and a TaskManager holding another
  # secret is turned away.
  local manual="$work/manual" port_base=$((20000 + RANDOM % 20000))
  mkdir -p "$manual/input" "$manual/output" "$manual/checkpoints"
  printf 'the-cluster-secret-0123456789\n' >"$manual/secret"
  printf 'a-guessed-secret-9876543210\n' >"$manual/wrong"
  printf 'a b c\nb c\n' >"$manual/input/part-0"
  printf 'c d\n' >"$manual/input/part-1"
  cat >"$manual/sluice.toml" <<CONFIG
jobmanager.rpc.address = "127.0.0.2"
jobmanager.rpc.port = $port_base
jobmanager.bind-host = "127.0.0.2"
rest.port = -1
execution.checkpointing.dir = "$manual/checkpoints"
high-availability.etcd.endpoints = "http://127.0.0.5:$((port_base + 5))"
security.auth.secret-file = "$manual/secret"
parallelism.default = 2
[taskmanager]
host = "127.0.0.3"
bind-host = "127.0.0.3"
data.port = $((port_base + 2))
[metrics.reporter.prom]
port = $((port_base + 3))
CONFIG
  local etcd_pid
  start_etcd 127.0.0.5 $((port_base + 5)) "$manual"
  "$sluice" taskmanager --config "$manual/sluice.toml" -D process.working-dir="$manual/rogue" \
    -D security.auth.secret-file="$manual/wrong" -D taskmanager.data.port=$((port_base + 4)) \
    -D metrics.reporter.prom.port=-1 >"$manual/rogue.log" 2>&1 &
  local rogue_pid=$!
  "$sluice" taskmanager --config "$manual/sluice.toml" -D process.working-dir="$manual/tm" \
    >"$manual/tm.log" 2>&1 &
  local tm_pid=$!
  run 0 timeout 60 "$sluice" jobmanager --config "$manual/sluice.toml" \
    -D process.working-dir="$manual/jm" --job wordcount --input "$manual/input" \
    --output "$manual/output"
  # The TaskManager's Prometheus endpoint, on its bind host (bash's /dev/tcp: no curl needed).
  if exec 3<>"/dev/tcp/127.0.0.3/$((port_base + 3))"; then
    printf 'GET /metrics HTTP/1.0\r\nHost: tm\r\n\r\n' >&3
    cat <&3 >"$work/tm-metrics"
    exec 3<&-
  fi
  expect_in "$work/tm-metrics" "sluice_taskmanager_uptime{tm_id=\"127.0.0.3:$((port_base + 2))\"}"
  kill "$tm_pid" "$rogue_pid" "$etcd_pid" 2>/dev/null
  wait "$tm_pid" "$rogue_pid" "$etcd_pid" 2>/dev/null
  expect_in "$work/err" "job.finished"
  expect_in "$work/err" '"event":"auth.rejected"'
  expect_in "$manual/rogue.log" "the server does not hold the shared secret"
  sort "$manual"/output/committed/* >"$work/manual-out" 2>/dev/null
  printf 'a\t1\nb\t1\nb\t2\nc\t1\nc\t2\nc\t3\nd\t1\n' | sort >"$work/manual-want"
  cmp -s "$work/manual-out" "$work/manual-want" \
    || fail "hand-started cluster: committed output differs from the counts"
}

# The client commands (sluice list, savepoint, stop, cancel) against real clusters started by
# hand: etcd on 127.0.0.6, and per job a JobManager and a TaskManager (127.0.0.7, .9) sharing
# the job's input/, output/ and checkpoints/ (execution.checkpointing.dir), word count throttled
# to run a while, each job under a cluster id of its own. A savepoint completes and names its
# directory (relative to execution.checkpointing.dir, or the absolute one asked for); cancel ends
# a job CANCELED (its JobManager exits 0); stop takes a savepoint and ends the job FINISHED; a
# new job restores from a savepoint outside its checkpoint storage; bad usage exits 2.

# write_config DIR PORT_BASE ETCD_PORT CLUSTER_ID: DIR/sluice.toml for a JobManager on 127.0.0.7
# (rpc PORT_BASE, rest PORT_BASE + 1) and a TaskManager on 127.0.0.9 (data PORT_BASE + 3), with
# etcd on 127.0.0.6 and DIR/checkpoints; word count throttled to 100 records/s, parallelism 2.
write_config() {
  local dir="$1" base="$2" etcd_port="$3" cluster_id="$4"
  cat >"$dir/sluice.toml" <<CONFIG
jobmanager.rpc.address = "127.0.0.7"
jobmanager.rpc.port = $base
jobmanager.bind-host = "127.0.0.7"
rest.port = $((base + 1))
rest.bind-address = "127.0.0.7"
execution.checkpointing.dir = "$dir/checkpoints"
high-availability.etcd.endpoints = "http://127.0.0.6:$etcd_port"
high-availability.cluster-id = "$cluster_id"
parallelism.default = 2
source.rate-limit = 100
execution.checkpointing.interval = "200 ms"
[taskmanager]
host = "127.0.0.9"
bind-host = "127.0.0.9"
data.port = $((base + 3))
CONFIG
}

# start_job NAME PORT_BASE LINES [JOBMANAGER ARGS...]: starts NAME's TaskManager and JobManager
# (pids in $job_pids, the JobManager's last) on two parts of LINES lines each (at 100
# records/s), and sets $rest and $job once `sluice list` shows the job RUNNING. The output goes
# to $output if set, else to NAME's output/.
start_job() {
  local name="$1" base="$2" lines="$3" dir="$work/client/$1"
  local out="${output:-$dir/output}"
  shift 3
  mkdir -p "$dir/input" "$out" "$dir/checkpoints"
  for i in $(seq 1 "$lines"); do printf 'alpha beta w%d\n' $((i % 13)); done \
    >"$dir/input/part-0"
  cp "$dir/input/part-0" "$dir/input/part-1"
  write_config "$dir" "$base" "$etcd_port" "/$name"
  "$sluice" taskmanager --config "$dir/sluice.toml" -D process.working-dir="$dir/tm" \
    >"$dir/tm.log" 2>&1 &
  job_pids=($!)
  "$sluice" jobmanager --config "$dir/sluice.toml" -D process.working-dir="$dir/jm" \
    --job wordcount --input "$dir/input" --output "$out" "$@" >"$dir/jm.log" 2>&1 &
  job_pids+=($!)
  rest="127.0.0.7:$((base + 1))" job=""
  local tries
  for tries in $(seq 1 100); do
    "$sluice" list --jobmanager "$rest" >"$work/out" 2>"$work/err" && grep -q RUNNING "$work/out" \
      && { job="$(awk '{print $1}' "$work/out")"; break; }
    sleep 0.1
  done
  [[ -n "$job" ]] || fail "$name: sluice list never showed the job RUNNING: $(cat "$work/err")"
}

# end_job NAME: waits for NAME's JobManager (exit 0 wanted), then stops its TaskManager.
end_job() {
  local jm_exit=0
  wait "${job_pids[1]}" || jm_exit=$?
  [[ "$jm_exit" == 0 ]] || fail "$1: the JobManager exited $jm_exit"
  kill "${job_pids[0]}" 2>/dev/null
  wait "${job_pids[0]}" 2>/dev/null
}

# expect_savepoint NAME: the last command printed "savepoint completed: LOCATION", and LOCATION
# is relative to NAME's execution.checkpointing.dir: the savepoint's _metadata is there, and its
# second copy under replica/.
expect_savepoint() {
  local location dir="$work/client/$1/checkpoints"
  location="$(sed -n 's/^savepoint completed: //p' "$work/out")"
  if [[ "$location" != savepoints/savepoint-* ]]; then
    fail "$1: no 'savepoint completed: savepoints/savepoint-N' line: $(cat "$work/out")"
    return
  fi
  [[ -f "$dir/$location/_metadata" ]] || fail "$1: no $location/_metadata in $dir"
  [[ -f "$dir/replica/$location/_metadata" ]] || fail "$1: no replica/$location/_metadata in $dir"
}

client_checks() {
  local port_base=$((20000 + RANDOM % 20000)) rest job job_pids
  local etcd_port=$((port_base + 10))
  mkdir -p "$work/client"
  local etcd_pid
  start_etcd 127.0.0.6 "$etcd_port" "$work/client"

  start_job cancelled "$port_base" 400
  expect_in "$work/out" "wordcount"
  # The dashboard in headless Chromium (Debian's chromium; tools/setup installs it) while the job
  # runs: its script fills in the job's state, graph, checkpoints and TaskManager from the REST API.
  if command -v chromium >/dev/null; then
    timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
      --virtual-time-budget=5000 --dump-dom "http://$rest/" >"$work/dashboard.html" \
      2>"$work/chromium.err" || fail "chromium could not load the dashboard: $(tail -3 "$work/chromium.err")"
    expect_in "$work/dashboard.html" '<strong id="job-state">RUNNING</strong>'
    grep -qE '<li class="vertex">[^<]+\(parallelism 2, RUNNING\)</li>' "$work/dashboard.html" \
      || fail "the dashboard shows no job vertex with its parallelism"
    grep -qE '<td id="overview-taskmanagers">1</td>' "$work/dashboard.html" \
      || fail "the dashboard does not count the TaskManager"
    grep -qE '<td>127\.0\.0\.9:[0-9]+</td>' "$work/dashboard.html" \
      || fail "the dashboard does not list the TaskManager"
    grep -qE '<td id="checkpoints-completed">[0-9]+</td>' "$work/dashboard.html" \
      || fail "the dashboard shows no checkpoint count"
  else
    fail "chromium is not installed (tools/setup installs it)"
  fi
  run 2 "$sluice" list
  run 1 "$sluice" savepoint "$job" --jobmanager "$rest" "$work/client/../elsewhere"
  expect_in "$work/err" "must not contain '..'"
  run 1 "$sluice" cancel 0123 --jobmanager "$rest"
  expect_in "$work/err" "not found"
  run 0 "$sluice" savepoint "$job" --jobmanager "$rest"
  expect_in "$work/out" "savepoint completed: savepoints/savepoint-"
  expect_savepoint cancelled
  run 0 "$sluice" cancel "$job" --jobmanager "$rest"
  expect_in "$work/out" "cancelling job $job: requested"
  end_job cancelled
  grep -q 'ended: job canceled' "$work/client/cancelled/jm.log" \
    || fail "the cancelled job's JobManager did not end CANCELED"

  # A savepoint into a directory of its own, outside execution.checkpointing.dir.
  start_job stopped $((port_base + 5)) 150
  run 0 "$sluice" stop "$job" --jobmanager "$rest" --savepoint "$work/client/kept"
  expect_in "$work/out" "savepoint completed: $work/client/kept/savepoint-"
  local kept
  kept="$(sed -n 's/^savepoint completed: //p' "$work/out")"
  [[ -f "$kept/_metadata" ]] || fail "stopped: no _metadata in $kept"
  end_job stopped
  grep -q 'finished OK' "$work/client/stopped/jm.log" || fail "the stopped job did not finish"

  # A new job (its own checkpoint storage, the stopped job's output, where the savepoint's sink
  # transactions are) from that savepoint at another parallelism (a rescale: 2 -> 1): imported,
  # restored, finished.
  local committed
  committed="$(ls "$work/client/stopped/output/committed" | wc -l)"
  output="$work/client/stopped/output" start_job restored $((port_base + 15)) 150 \
    -D execution.savepoint.path="$kept" -D parallelism.default=1
  end_job restored
  grep -q 'savepoint.importing' "$work/client/restored/jm.log" \
    || fail "the restored job did not import the savepoint"
  grep -q 'finished OK' "$work/client/restored/jm.log" || fail "the restored job did not finish"
  (( $(ls "$work/client/stopped/output/committed" | wc -l) > committed )) \
    || fail "the restored job committed no output"
  # Both runs together: the input's word counts, exactly once.
  run 0 "$sluice" verify wordcount --input "$work/client/stopped/input" \
    --output "$work/client/stopped/output"
  expect_in "$work/out" "exactly once: OK"

  kill "$etcd_pid" 2>/dev/null
  wait "$etcd_pid" 2>/dev/null
}

# A session cluster (sluice jobmanager without --job: engine/jobmanager/dispatcher.h) taking its
# jobs from sluice run: etcd on 127.0.0.6, a JobManager on 127.0.0.7 and a TaskManager on
# 127.0.0.9. Bad submissions exit 2 naming the job or key; two jobs run in turn (the second
# submitted while the first runs, and waited for), each exactly once into its own output; a third
# is stopped with a savepoint in its own directory of execution.checkpointing.dir, and a fourth
# starts from that savepoint at parallelism 1 (from 2) into the same output: exactly once
# together. Every job is listed FINISHED.
session_checks() {
  local base=$((20000 + RANDOM % 20000)) dir="$work/session" etcd_pid
  local rest="127.0.0.7:$((base + 1))"
  local name
  for name in a b c; do
    mkdir -p "$dir/$name/input"
    for i in $(seq 1 150); do printf '%s beta w%d\n' "$name" $((i % 13)); done \
      >"$dir/$name/input/part-0"
    cp "$dir/$name/input/part-0" "$dir/$name/input/part-1"
  done
  start_etcd 127.0.0.6 $((base + 10)) "$dir"
  write_config "$dir" "$base" $((base + 10)) /default
  "$sluice" taskmanager --config "$dir/sluice.toml" -D process.working-dir="$dir/tm" \
    >"$dir/tm.log" 2>&1 &
  local tm_pid=$!
  "$sluice" jobmanager --config "$dir/sluice.toml" -D process.working-dir="$dir/jm" \
    >"$dir/jm.log" 2>&1 &
  local jm_pid=$!
  local tries
  for tries in $(seq 1 100); do
    "$sluice" list --jobmanager "$rest" >/dev/null 2>&1 && break
    sleep 0.1
  done
  run 2 "$sluice" jobmanager --config "$dir/sluice.toml" -D process.working-dir="$dir/jm2" \
    --input "$dir/a/input"
  expect_in "$work/err" "go with --job"
  run 2 "$sluice" run no-such-job --jobmanager "$rest"
  expect_in "$work/err" "no-such-job"
  run 2 "$sluice" run wordcount --jobmanager "$rest" -D bad.key=1
  expect_in "$work/err" "bad.key"
  run 0 "$sluice" run wordcount --jobmanager "$rest" --input "$dir/a/input" \
    --output "$dir/a/output" --detached
  expect_in "$work/out" "Job has been submitted with JobID"
  # Queued behind a, then run and waited for.
  run 0 "$sluice" run wordcount --jobmanager "$rest" --input "$dir/b/input" \
    --output "$dir/b/output" -D source.rate-limit=1000
  expect_in "$work/out" "FINISHED"
  for name in a b; do
    run 0 "$sluice" verify wordcount --input "$dir/$name/input" --output "$dir/$name/output"
    expect_in "$work/out" "exactly once: OK"
  done
  # c, stopped with a savepoint; d from it at parallelism 1 into c's output.
  run 0 "$sluice" run wordcount --jobmanager "$rest" --input "$dir/c/input" \
    --output "$dir/c/output" -d
  local job_c
  job_c="$(sed -n 's/^Job has been submitted with JobID //p' "$work/out")"
  for tries in $(seq 1 100); do
    "$sluice" list --jobmanager "$rest" 2>/dev/null | grep -q "^$job_c  RUNNING" && break
    sleep 0.1
  done
  run 0 "$sluice" stop "$job_c" --jobmanager "$rest"
  local location
  location="$(sed -n 's/^savepoint completed: //p' "$work/out")"
  [[ "$location" == "$job_c"/savepoints/savepoint-* ]] \
    || fail "session: the savepoint is not in the job's own directory: '$location'"
  [[ -f "$dir/checkpoints/$location/_metadata" ]] || fail "session: no $location/_metadata"
  run 0 "$sluice" run wordcount --jobmanager "$rest" --input "$dir/c/input" \
    --output "$dir/c/output" --from-savepoint "$location" --parallelism 1
  expect_in "$work/out" "FINISHED"
  grep -q 'savepoint.importing' "$dir/jm.log" \
    || fail "session: the restored job did not import the stopped job's savepoint"
  run 0 "$sluice" verify wordcount --input "$dir/c/input" --output "$dir/c/output"
  expect_in "$work/out" "exactly once: OK"
  # Every JobManager listed, one that does not answer first: the leader is found.
  run 0 "$sluice" list --jobmanager "127.0.0.7:$((base + 7)),$rest"
  (( $(grep -c '  FINISHED  wordcount' "$work/out") == 4 )) \
    || fail "session: sluice list does not show four FINISHED jobs: $(cat "$work/out")"
  # The dashboard lists every job of the session, none running now.
  if command -v chromium >/dev/null; then
    timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
      --virtual-time-budget=5000 --dump-dom "http://$rest/" >"$dir/dashboard.html" \
      2>"$dir/chromium.err" || fail "session: chromium could not load the dashboard"
    (( $(grep -o '<td>FINISHED</td>' "$dir/dashboard.html" | wc -l) == 4 )) \
      || fail "session: the dashboard does not list the four FINISHED jobs"
    grep -q 'no job running' "$dir/dashboard.html" \
      || fail "session: the dashboard does not say that no job runs"
  fi
  kill "$jm_pid" "$tm_pid" "$etcd_pid" 2>/dev/null
  wait "$jm_pid" "$tm_pid" "$etcd_pid" 2>/dev/null
}

case "$mode" in
  contract) contract_checks ;;
  cluster) cluster_checks; client_checks; session_checks ;;
  session) session_checks ;;  # the session cluster's checks alone
  *) echo "unknown mode $mode"; exit 2 ;;
esac
if (( failures > 0 )); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all $mode checks passed"
