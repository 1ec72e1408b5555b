// Scenario wordcount-tm-crash: the main job through the failure that hurts stream engines most
// often, a TaskManager dying mid-run (Flink's TaskManager loss → failover from the latest
// completed checkpoint). One JobManager, three TaskManagers with two slots each, sources at
// parallelism 2, counting at parallelism 4, checkpoints every 200 ms. One TaskManager, chosen by
// the seed, crashes at a seeded time while the job runs and restarts a seeded while later.
// Invariants: exactly once; at least one checkpoint completed; the job finished in bounded time.
#include "scenarios/wordcount_tm_crash.h"

#include "scenarios/exactly_once.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {
namespace {
constexpr int64_t kTargetJobDurationMs = 4000;  // source throttle aims the job at ~4 s
constexpr int64_t kLivenessBoundMs = 120 * 1000;
}  // namespace

ScenarioResult RunWordCountTmCrash(const ScenarioOptions& options) {
  ScenarioResult result;
  result.scenario = "wordcount-tm-crash";
  result.seed = options.seed;
  int64_t lines = 0;
  for (char c : options.input_text) lines += c == '\n' ? 1 : 0;
  if (!options.input_text.empty() && options.input_text.back() != '\n') ++lines;
  result.records_in = lines;

  WordCountClusterOptions cluster_options;
  cluster_options.seed = options.seed;
  cluster_options.source_records_per_second =
      std::max<int64_t>(1, lines * 1000 / kTargetJobDurationMs);
  WordCountCluster cluster(cluster_options, options.input_text);
  sim::World& world = cluster.world();

  Random& random = world.random();
  const auto victim = cluster.taskmanagers()[random.Uniform(cluster.taskmanagers().size())];
  const int64_t crash_ms = random.UniformRange(300, kTargetJobDurationMs - 500);
  const int64_t restart_ms = crash_ms + random.UniformRange(200, 2000);
  const std::string victim_name = world.host_name(victim);
  world.Schedule(crash_ms * kNanosPerMilli, [&world, victim] { world.Crash(victim); });
  world.Schedule(restart_ms * kNanosPerMilli, [&world, victim] { world.Restart(victim); });
  result.faults.push_back(FaultRecord{crash_ms, "crash", victim_name});
  result.faults.push_back(FaultRecord{restart_ms, "restart", victim_name});

  cluster.Run(kLivenessBoundMs);
  result.simulated_ms = world.now_ns() / kNanosPerMilli;
  result.trace_hash = world.trace_hash();
  result.checkpoints_completed = cluster.checkpoints_completed();
  result.restarts = cluster.restarts();
  result.committed_output = cluster.CommittedOutput();

  auto report = CheckExactlyOnce(CountWords(options.input_text), result.committed_output);
  result.records_out = report.records;
  if (!cluster.finished()) {
    result.failure = cluster.failed() ? "job failed: " + cluster.failure()
                                      : "liveness: job did not finish within " +
                                            std::to_string(kLivenessBoundMs) + " ms simulated";
  } else if (!report.ok) {
    result.failure = "exactly once: " + report.first_violation;
  } else if (result.checkpoints_completed < 1) {
    result.failure = "no checkpoint completed";
  }
  result.pass = result.failure.empty();
  return result;
}

}  // namespace sluice::scenarios
