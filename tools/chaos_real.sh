#!/usr/bin/env bash
# Chaos on real processes: etcd, two JobManagers and three TaskManagers, each a process of its
# own on an address of its own, sharing the work directory's input/, output/ and checkpoints/
# (execution.checkpointing.dir) as hosts would share an NFS mount, run word count from files
# while a nemesis SIGKILLs TaskManagers and the leading JobManager (and starts them again),
# SIGSTOPs a process for a while (a GC stall), SIGKILLs etcd (restarted on its data) and, where
# the machine allows network namespaces (root, `ip netns`), cuts a process off the network for
# 1-3 s, cycle after cycle. With namespaces each process runs in one of its own, joined to the
# others by a veth pair on a bridge (10.213.N.10, .12-16), and a partition takes its link down;
# without, the processes share the loopback device (127.0.0.10, .12-16) and nothing is
# partitioned (SLUICE_CHAOS_NETNS=0 forces that).
# Then it waits for the job to finish and checks the committed output against the input's
# counts: nothing lost, nothing duplicated.
#   tools/chaos_real.sh BUILD/tools/sluice [CYCLES (default 20)] [SEED (default: the clock)] [JOB]
# JOB is wordcount (the default: two files of 3,000 lines) or a Nexmark query (nexmark-q8, ...:
# 4,000 generated events, 200 per second of event time, in two files: `sluice input`); the
# committed output is checked with `sluice verify` (word count's oracle, or the reference
# evaluator).
# Prints the seed and the command that reruns it (the processes' timing is the OS's, so a rerun
# repeats the nemesis's choices, not the run). Exit 0 if exactly once, 1 otherwise. Needs etcd
# (tools/setup installs it). Work directory kept on failure.
set -uo pipefail

sluice="$(realpath "${1:?usage: $0 BUILD/tools/sluice [CYCLES] [SEED] [JOB]}")"
cycles="${2:-20}"
seed="${3:-$(date +%s)}"
job="${4:-wordcount}"
RANDOM=$seed
work="$(realpath "$(mktemp -d "${TMPDIR:-/tmp}/sluice-chaos-real.XXXXXX")")"
echo "chaos-real: $job, seed $seed, $cycles cycles, work directory $work"
echo "chaos-real: rerun: tools/chaos_real.sh $1 $cycles $seed $job"

base=$((20000 + RANDOM % 20000))
etcd_port=$((base + 0))
declare -A pid  # process name -> pid
names=(etcd jm-0 jm-1 tm-0 tm-1 tm-2)
declare -A octet=([etcd]=10 [jm-0]=12 [jm-1]=13 [tm-0]=14 [tm-1]=15 [tm-2]=16)

# Network namespaces, one per process, on a bridge (names unique to this run: $$).
tag="sl$(($$ % 100000))"
netns=0
# Namespaces only where everything they need works: a namespace, a veth pair into it, a bridge.
if [[ "${SLUICE_CHAOS_NETNS:-1}" != 0 && "$(id -u)" == 0 ]] && ip netns add "$tag-probe" 2>/dev/null; then
  if ip link add "${tag}p0" type veth peer name eth0 netns "$tag-probe" 2>/dev/null &&
     ip link add "${tag}pb" type bridge 2>/dev/null; then
    netns=1
  fi
  ip link del "${tag}p0" 2>/dev/null
  ip link del "${tag}pb" 2>/dev/null
  ip netns del "$tag-probe"
fi
remove_network() {
  local name
  for name in "${names[@]}"; do ip netns del "$tag-$name" 2>/dev/null; done
  ip link del "${tag}br" 2>/dev/null
}
if ((netns)); then
  subnet="10.213.$(($$ % 250))"
  if ! { ip link add "${tag}br" type bridge && ip addr add "$subnet.1/24" dev "${tag}br" &&
         ip link set "${tag}br" up; }; then
    echo "chaos-real: FAIL: cannot make a bridge for the namespaces"; remove_network; exit 1
  fi
  for name in "${names[@]}"; do
    ns="$tag-$name" link="${tag}h${octet[$name]}"
    if ! { ip netns add "$ns" && ip -n "$ns" link set lo up &&
           ip link add "$link" type veth peer name eth0 netns "$ns" &&
           ip link set "$link" master "${tag}br" up &&
           ip -n "$ns" addr add "$subnet.${octet[$name]}/24" dev eth0 &&
           ip -n "$ns" link set eth0 up; }; then
      echo "chaos-real: FAIL: cannot set up namespace $ns"; remove_network; exit 1
    fi
  done
  echo "chaos-real: network namespaces on bridge ${tag}br, $subnet.0/24 (partitions on)"
else
  subnet="127.0.0"
  echo "chaos-real: one loopback device (no network namespaces: no partitions)"
fi
address() { echo "$subnet.${octet[$1]}"; }
# The command prefix that runs a command in process $1's namespace, in $ns (empty without
# namespaces). `ip netns exec` execs the command: $! of "${ns[@]}" CMD & is the command's pid.
ns=()
enter() {
  if ((netns)); then ns=(ip netns exec "$tag-$1"); else ns=(); fi
}
etcd_host="$(address etcd)"
jm_hosts=("$(address jm-0)" "$(address jm-1)") tm_hosts=("$(address tm-0)" "$(address tm-1)" "$(address tm-2)")

# The directories every process shares (absolute: each process resolves paths on its own):
# the input's files (one split each), the output (the sink commits into output/committed/) and
# execution.checkpointing.dir.
input="$work/input" output="$work/output" checkpoints="$work/checkpoints"
mkdir -p "$input" "$output" "$checkpoints" "$work/logs"
# Two partitions of 3,000 lines (word count) or 2,000 events each; at 200 records/s the job runs
# about 30 s (20 s).
job_settings=()
if [[ "$job" == wordcount ]]; then
  for part in 0 1; do
    for i in $(seq 1 3000); do printf 'w%d alpha beta%d\n' $(((i * 7 + part) % 31)) $((i % 5)); done \
      >"$input/part-$part"
  done
else
  job_settings=(nexmark.events.num=4000 nexmark.first-event.rate=200)
  "$sluice" input "$job" "$input" --splits 2 "${job_settings[@]/#/-D}" >/dev/null \
    || { echo "chaos-real: FAIL: cannot write $job's input"; exit 1; }
fi
cat >"$work/sluice.toml" <<CONFIG
execution.checkpointing.dir = "$checkpoints"
high-availability.etcd.endpoints = "http://$etcd_host:$etcd_port"
high-availability.etcd.lease-ttl = "2 s"
heartbeat.timeout = "5 s"
parallelism.default = 2
source.rate-limit = 200
execution.checkpointing.interval = "300 ms"
restart-strategy.type = "fixed-delay"
restart-strategy.fixed-delay.attempts = 1000
restart-strategy.fixed-delay.delay = "200 ms"
taskmanager.numberOfTaskSlots = 2
CONFIG
for setting in "${job_settings[@]}"; do
  echo "${setting%%=*} = \"${setting#*=}\"" >>"$work/sluice.toml"
done

start() {
  local name="$1"
  enter "$name"
  case "$name" in
    etcd)
      "${ns[@]}" etcd --name chaos --data-dir "$work/etcd" \
        --listen-client-urls "http://$etcd_host:$etcd_port" \
        --advertise-client-urls "http://$etcd_host:$etcd_port" \
        --listen-peer-urls "http://$etcd_host:$((etcd_port + 1))" \
        --initial-advertise-peer-urls "http://$etcd_host:$((etcd_port + 1))" \
        --initial-cluster "chaos=http://$etcd_host:$((etcd_port + 1))" \
        >>"$work/logs/etcd.log" 2>&1 &
      ;;
    jm-*)
      local i="${name#jm-}" host="${jm_hosts[${name#jm-}]}"
      "${ns[@]}" "$sluice" jobmanager --config "$work/sluice.toml" --id "$name" --job "$job" \
        --input "$input" --output "$output" --input-splits 2 --min-taskmanagers 3 \
        -D process.working-dir="$work/$name" -D jobmanager.rpc.address="$host" \
        -D jobmanager.bind-host="$host" -D jobmanager.rpc.port=$((base + 10 + i)) \
        -D rest.bind-address="$host" -D rest.port=$((base + 20 + i)) \
        >>"$work/logs/$name.log" 2>&1 &
      ;;
    tm-*)
      local i="${name#tm-}" host="${tm_hosts[${name#tm-}]}"
      "${ns[@]}" "$sluice" taskmanager --config "$work/sluice.toml" \
        -D process.working-dir="$work/$name" \
        -D taskmanager.resource-id="$name" -D taskmanager.host="$host" \
        -D taskmanager.bind-host="$host" -D taskmanager.data.port=$((base + 30 + i)) \
        >>"$work/logs/$name.log" 2>&1 &
      ;;
  esac
  pid[$name]=$!
}

alive() { [[ -n "${pid[$1]:-}" ]] && kill -0 "${pid[$1]}" 2>/dev/null; }

# The JobManager whose REST API answers /overview with 200 (the leader), or "".
leader() {
  local i
  for i in 0 1; do
    alive "jm-$i" || continue
    if exec 3<>"/dev/tcp/${jm_hosts[$i]}/$((base + 20 + i))" 2>/dev/null; then
      printf 'GET /overview HTTP/1.0\r\nHost: jm\r\n\r\n' >&3
      local status
      read -r -t 2 _ status _ <&3
      exec 3<&-
      [[ "$status" == 200 ]] && { echo "jm-$i"; return; }
    fi
  done
  echo ""
}

stop_all() {
  local name
  for name in "${!pid[@]}"; do kill -CONT "${pid[$name]}" 2>/dev/null; kill -9 "${pid[$name]}" 2>/dev/null; done
  wait 2>/dev/null
  ((netns)) && remove_network
}
trap stop_all EXIT

start etcd
sleep 0.5
for name in jm-0 jm-1 tm-0 tm-1 tm-2; do start "$name"; done
sleep 2

declare -A done_actions=()
for cycle in $(seq 1 "$cycles"); do
  sleep "0.$((3 + RANDOM % 7))"
  if ! alive jm-0 && ! alive jm-1; then echo "chaos-real: the job ended after $((cycle - 1)) cycles"; break; fi
  action=$((RANDOM % (4 + netns)))
  case $action in
    0)  # a TaskManager dies and comes back with its id and directory
      victim="tm-$((RANDOM % 3))"
      kill -9 "${pid[$victim]}" 2>/dev/null
      wait "${pid[$victim]}" 2>/dev/null
      sleep "0.$((5 + RANDOM % 5))"
      start "$victim"
      what="killed $victim"
      ;;
    1)  # the leading JobManager dies; it comes back as a standby
      victim="$(leader)"
      if [[ -z "$victim" ]]; then what="no leader to kill"; else
        kill -9 "${pid[$victim]}" 2>/dev/null
        wait "${pid[$victim]}" 2>/dev/null
        sleep 1
        start "$victim"
        what="killed the leader $victim"
      fi
      ;;
    2)  # a process stalls (SIGSTOP) for 1-2 s
      stallable=(jm-0 jm-1 tm-0 tm-1 tm-2)
      victim="${stallable[$((RANDOM % 5))]}"
      if alive "$victim"; then
        kill -STOP "${pid[$victim]}"
        sleep "1.$((RANDOM % 10))"
        kill -CONT "${pid[$victim]}"
        what="stalled $victim"
      else
        what="$victim already gone"
      fi
      ;;
    3)  # etcd dies and restarts on its data
      kill -9 "${pid[etcd]}" 2>/dev/null
      wait "${pid[etcd]}" 2>/dev/null
      sleep "0.$((5 + RANDOM % 5))"
      start etcd
      what="restarted etcd"
      ;;
    4)  # a process is cut off from every other for 1-3 s (its link goes down)
      victim="${names[$((RANDOM % 6))]}"
      link="${tag}h${octet[$victim]}"
      ip link set "$link" down
      sleep "$((1 + RANDOM % 2)).$((RANDOM % 10))"
      ip link set "$link" up
      what="cut $victim off"
      ;;
  esac
  done_actions[$action]=$((${done_actions[$action]:-0} + 1))
  echo "chaos-real: cycle $cycle: $what"
done

# The job runs to its end; each JobManager exits once the result is recorded.
for tries in $(seq 1 1800); do
  if ! alive jm-0 && ! alive jm-1; then break; fi
  # A JobManager killed in the last cycle is back; a stopped one was continued.
  sleep 0.1
done
failures=0
if alive jm-0 || alive jm-1; then
  echo "chaos-real: FAIL: the job did not end within 180 s of the last cycle"
  failures=1
fi
grep -h '"event":"job.finished"' "$work"/logs/jm-*.log | tail -1 | grep -q . \
  || { echo "chaos-real: FAIL: no JobManager logged job.finished"; failures=1; }

# Exactly once: word count's oracle (every word's running counts 1..n, each once) or the
# reference evaluator, over the committed output.
if "$sluice" verify "$job" --input "$input" --output "$output" "${job_settings[@]/#/-D}" \
     >"$work/verify" 2>&1; then
  echo "chaos-real: $(cat "$work/verify")"
else
  echo "chaos-real: FAIL: $(cat "$work/verify")"
  failures=1
fi
echo "chaos-real: actions: ${done_actions[0]:-0} TaskManager kills, ${done_actions[1]:-0} leader kills, ${done_actions[2]:-0} stalls, ${done_actions[3]:-0} etcd restarts, ${done_actions[4]:-0} partitions"
if ((failures == 0)); then rm -rf "$work"; exit 0; fi
echo "chaos-real: logs kept in $work/logs; rerun: tools/chaos_real.sh $1 $cycles $seed $job"
exit 1
