// jm-failover: JobManager high availability. Two JobManagers elect a leader on etcd (the model,
// simnet/etcd_model.h). The nemesis takes the leader away: it crashes it, cuts it off from etcd
// (it cannot renew its lease) or from the checkpoint store (its checkpoints cannot complete),
// crashes etcd itself (nobody can renew: the leader steps down, and leads again once etcd is
// back), or pauses the leader (a GC stall) past its lease, and,
// whenever a leader starts restarting the job after a TaskManager crash, pauses that leader before
// its restart deploys. The standby takes over with a higher epoch and restarts the job; the
// deposed leader wakes up still believing it leads (it learns otherwise only when its lease
// watchdog runs) and sends deployments, triggers and heartbeats under its old epoch, over
// TaskManager connections that are still open (the TaskManagers' heartbeat timeout is longer than
// the lease, as in Flink's defaults). This is split brain after a failover, the failure class
// that fencing tokens exist for (Kleppmann 2016; Flink's fenced JobMaster RPCs): TaskManagers must
// drop the old epoch's commands and etcd must refuse its fenced writes. Checks: fencing
// (no TaskManager deploys a task of an epoch older than one it registered with), exactly once,
// liveness.
#include "scenarios/wordcount_scenario.h"
#include "scenarios/wordcount_scenarios.h"

namespace sluice::scenarios {
namespace {

constexpr int64_t kLeaseMs = 500;
constexpr int64_t kHeartbeatTimeoutMs = 2000;  // > lease + takeover: old sessions stay open
constexpr int64_t kRestartDelayMs = 200;

// A pause that outlasts the lease and the standby's takeover but not the TaskManagers'
// heartbeat timeout.
int64_t StallMs(Random& random) {
  return random.UniformRange(kLeaseMs + 300, kHeartbeatTimeoutMs - 300);
}

}  // namespace

ScenarioResult RunWordCountJmFailover(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "jm-failover";
  spec.configure = [](Random&, WordCountClusterOptions* o) {
    o->jobmanagers = 2;
    o->lease_duration_ms = kLeaseMs;
    o->heartbeat_timeout_ms = kHeartbeatTimeoutMs;
    o->restart = RestartStrategyConfig::FixedDelay(20, kRestartDelayMs);
  };
  spec.nemesis = [](Random& random, const NemesisContext& c) {
    std::vector<FaultRecord> faults;
    const int64_t e = c.expected_ms;
    // A TaskManager crash makes the leader restart the job (and the reaction below pauses it).
    const int64_t crash = random.UniformRange(e / 10, e / 3);
    const std::string& tm = PickHost(random, c.taskmanagers);
    faults.push_back({.at_ms = crash, .kind = FaultKind::kCrash, .host = tm});
    faults.push_back(
        {.at_ms = crash + random.UniformRange(300, 1500), .kind = FaultKind::kRestart, .host = tm});
    if (random.Bernoulli(0.5)) {
      const int64_t at = random.UniformRange(e / 3, e * 2 / 3);
      const std::string& jm = PickHost(random, c.jobmanagers);
      faults.push_back({.at_ms = at, .kind = FaultKind::kCrash, .host = jm});
      faults.push_back(
          {.at_ms = at + random.UniformRange(500, 2000), .kind = FaultKind::kRestart, .host = jm});
    }
    if (random.Bernoulli(0.5)) {
      faults.push_back({.at_ms = random.UniformRange(e / 5, e * 4 / 5),
                        .kind = FaultKind::kPartition,
                        .host = PickHost(random, c.jobmanagers),
                        .duration_ms = random.UniformRange(800, 2000),
                        .peer = random.Bernoulli(0.5) ? c.etcd : "checkpoint-store"});
    }
    if (random.Bernoulli(0.3)) {
      const int64_t at = random.UniformRange(e / 5, e * 4 / 5);
      faults.push_back({.at_ms = at, .kind = FaultKind::kCrash, .host = c.etcd});
      faults.push_back(
          {.at_ms = at + random.UniformRange(200, 1500), .kind = FaultKind::kRestart, .host = c.etcd});
    }
    if (random.Bernoulli(0.5)) {
      faults.push_back({.at_ms = random.UniformRange(e / 5, e * 4 / 5),
                        .kind = FaultKind::kPause,
                        .host = PickHost(random, c.jobmanagers),
                        .duration_ms = StallMs(random)});
    }
    return faults;
  };
  spec.min_chaos_ms = 3000;
  spec.react = [](Random& random, const std::string& host, std::string_view category,
                  EventFields, int reactions) -> std::vector<FaultRecord> {
    if (reactions >= 2 || category != "job.restarting" || !random.Bernoulli(0.8)) return {};
    // The leader that is restarting: stall it before its restart delay ends.
    return {{.at_ms = random.UniformRange(0, kRestartDelayMs - 20),
             .kind = FaultKind::kPause,
             .host = host,
             .duration_ms = StallMs(random)}};
  };
  return RunWordCountScenario(spec, options);
}

}  // namespace sluice::scenarios
