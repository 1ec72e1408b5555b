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

namespace {
constexpr int kTaskManagers = 3;
constexpr int kSourceParallelism = 2;
constexpr int64_t kCheckpointIntervalMs = 200;

int64_t CountLines(const std::string& text) {
  int64_t lines = 0;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  if (!text.empty() && text.back() != '\n') ++lines;
  return lines;
}
}  // namespace

int64_t SourceRate(int64_t lines) {
  return std::max<int64_t>(1, lines * 1000 / kTargetJobDurationMs);
}

ScenarioResult RunWordCountTmCrash(const ScenarioOptions& options) {
  // The schedule comes from its own stream of the seed, so that it does not shift when the world
  // draws differently. The crash lands within the job's expected run time (sources are throttled
  // towards kTargetJobDurationMs, but a tiny input cannot be stretched below one line per second
  // per source), so that it interrupts the job rather than a finished one.
  const int64_t lines = CountLines(options.input_text);
  const int64_t per_source = std::max<int64_t>(1, SourceRate(lines) / kSourceParallelism);
  const int64_t lines_per_source = (lines + kSourceParallelism - 1) / kSourceParallelism;
  const int64_t expected_ms = lines_per_source * 1000 / per_source + kCheckpointIntervalMs;
  Random random(options.seed ^ 0x7363686564756c65ULL);
  CrashSchedule schedule;
  schedule.taskmanager = static_cast<int>(random.Uniform(kTaskManagers));
  schedule.crash_ms = random.UniformRange(expected_ms / 10, expected_ms * 8 / 10);
  schedule.restart_ms = schedule.crash_ms + random.UniformRange(200, 2000);
  return RunWordCountWithCrash(options, schedule);
}

ScenarioResult RunWordCountWithCrash(const ScenarioOptions& options,
                                     const CrashSchedule& schedule) {
  ScenarioResult result;
  result.scenario = "wordcount-tm-crash";
  result.seed = options.seed;
  const int64_t lines = CountLines(options.input_text);
  result.records_in = lines;

  WordCountClusterOptions cluster_options;
  cluster_options.seed = options.seed;
  cluster_options.log_events = options.log_events;
  cluster_options.taskmanagers = kTaskManagers;
  cluster_options.source_parallelism = kSourceParallelism;
  cluster_options.checkpoint_interval_ms = kCheckpointIntervalMs;
  cluster_options.source_records_per_second = SourceRate(lines);
  WordCountCluster cluster(cluster_options, options.input_text);
  sim::World& world = cluster.world();

  const auto victim = cluster.taskmanagers()[schedule.taskmanager];
  const std::string victim_name = world.host_name(victim);
  world.Schedule(schedule.crash_ms * kNanosPerMilli, [&world, victim] { world.Crash(victim); });
  world.Schedule(schedule.restart_ms * kNanosPerMilli, [&world, victim] { world.Restart(victim); });
  result.faults.push_back(FaultRecord{schedule.crash_ms, "crash", victim_name});
  result.faults.push_back(FaultRecord{schedule.restart_ms, "restart", victim_name});
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
