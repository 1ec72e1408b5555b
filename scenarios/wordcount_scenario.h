// The runner every word-count scenario shares: swarm configuration, a nemesis that draws the
// chaos phase's fault schedule (or a replayed schedule), a heal phase that clears every fault and
// restarts every crashed host, then the invariants:
//   - a job that FINISHED: exactly once (scenarios/exactly_once.h) and >= 1 completed checkpoint;
//   - a job that FAILED: allowed only where the scenario expects it (restart strategy exhausted),
//     and then the committed output must be exactly the output of one consistent cut of the input
//     (a prefix of every source partition), with no duplicates;
//   - a schedule beyond the fault budget (FaultApplier::BudgetExceeded; the nemeses stay within
//     it, replayed or reactive schedules may not): a job that ends FAILED must have committed no
//     record twice: the verdict "failed cleanly", a pass;
//   - fencing: no TaskManager deploys a task of a JobManager epoch older than the newest epoch
//     it has registered with (a deposed leader's commands are dropped);
//   - the fall-back rule: no deployment restores a checkpoint older than one whose output a sink
//     has committed (scenarios/invariants.h);
//   - liveness: after the heal, the job must finish (or fail cleanly, where allowed) within
//     kLivenessBoundMs of simulated time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "engine/runtime/random.h"
#include "scenarios/scenario.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {

// What a nemesis may aim at.
struct NemesisContext {
  std::string jobmanager;                // the first JobManager
  std::vector<std::string> jobmanagers;  // all of them (more than one: high availability)
  std::vector<std::string> taskmanagers;
  std::vector<std::string> stores;  // input-store, output-store, checkpoint-store
  std::string etcd;                 // the coordination service (simnet/etcd_model.h)
  int64_t expected_ms = 0;          // the job's expected run time without faults
  const WordCountClusterOptions* cluster = nullptr;
  // The parallelisms a kRescale may redeploy the job at (WordCountCluster::RescaleTargets),
  // computed on the first call.
  std::function<const std::vector<int>&()> rescale_targets;
};

struct WordCountScenarioSpec {
  std::string name;
  // Chooses the run's configuration within the scenario's bounds (swarm testing). May be empty.
  std::function<void(Random&, WordCountClusterOptions*)> configure;
  // Draws the chaos phase's faults. Faults are applied at their at_ms; the heal phase starts
  // after the last one ends.
  std::function<std::vector<FaultRecord>(Random&, const NemesisContext&)> nemesis;
  // Reactive faults (drawn runs only, before the heal): called for every event a host records
  // (its category and typed fields);
  // returned faults have at_ms relative to the next whole millisecond, are applied then and
  // appended to the run's schedule, so that `--faults` replays them at those times. `reactions`
  // counts the calls that returned faults so far.
  std::function<std::vector<FaultRecord>(Random&, const std::string& host,
                                         std::string_view category, EventFields fields,
                                         int reactions)>
      react;
  // The heal phase starts no earlier than this (reactive scenarios need a chaos window).
  int64_t min_chaos_ms = 0;
  // The sources' rate relative to the usual one (which makes the job last kTargetJobDurationMs).
  double source_rate_factor = 1;
  // After the heal the job must finish (or fail cleanly, where allowed) within this much
  // simulated time.
  int64_t liveness_bound_ms = 60 * 1000;
  bool may_end_failed = false;  // the restart strategy may be exhausted by design
  double fault_point_enable = 0;  // BUGGIFY: probability a fault point is on for the run
  double fault_point_fire = 0;    // ... and that an enabled one fires when reached
};

// One of `hosts`, drawn from `random` (for nemeses). `hosts` must not be empty.
inline const std::string& PickHost(Random& random, const std::vector<std::string>& hosts) {
  return hosts[random.Uniform(hosts.size())];
}

// A restart strategy drawn for a run (swarm testing of the strategies, with delays scaled to
// simulated runs of a few seconds): fixed-delay, failure-rate or exponential-delay, and `none`
// too when `may_give_up_at_once`. A handful of failures can exhaust every failure-rate draw
// (1..3 per 300..2000 ms), and unless `lenient` every fixed-delay (1..4 attempts) and
// exponential-delay one (2..6 attempts before the backoff resets); lenient ones restart for ever.
RestartStrategyConfig DrawRestartStrategy(Random& random, bool may_give_up_at_once, bool lenient);

constexpr int64_t kTargetJobDurationMs = 4000;  // sources are throttled towards this

ScenarioResult RunWordCountScenario(const WordCountScenarioSpec& spec,
                                    const ScenarioOptions& options);

int64_t CountLines(const std::string& text);

}  // namespace sluice::scenarios
