// Scenario tm-crash: the main job through the failure that hurts stream engines most
// often, a TaskManager dying mid-run (Flink's TaskManager loss → failover from the latest
// completed checkpoint). One JobManager, three TaskManagers with two slots each, sources at
// parallelism 2, counting at parallelism 4, checkpoints every 200 ms. One TaskManager, chosen by
// the seed, crashes at a seeded time while the job runs and restarts a seeded while later.
// Invariants: exactly once; at least one checkpoint completed; the job finished in bounded time.
#include "scenarios/wordcount_tm_crash.h"

#include "scenarios/wordcount_scenario.h"

namespace sluice::scenarios {
namespace {

std::vector<FaultRecord> CrashFaults(const NemesisContext& context, const CrashSchedule& schedule) {
  const std::string& victim = context.taskmanagers[schedule.taskmanager];
  return {FaultRecord{.at_ms = schedule.crash_ms, .kind = FaultKind::kCrash, .host = victim},
          FaultRecord{.at_ms = schedule.restart_ms, .kind = FaultKind::kRestart, .host = victim}};
}

WordCountScenarioSpec Spec(std::optional<CrashSchedule> fixed) {
  WordCountScenarioSpec spec;
  spec.name = "tm-crash";
  spec.nemesis = [fixed](Random& random, const NemesisContext& context) {
    if (fixed) return CrashFaults(context, *fixed);
    // The crash lands within the job's expected run time (a tiny input cannot be stretched below
    // one line per second per source), so that it interrupts the job rather than a finished one.
    CrashSchedule schedule;
    schedule.taskmanager = static_cast<int>(random.Uniform(context.taskmanagers.size()));
    schedule.crash_ms = random.UniformRange(context.expected_ms / 10, context.expected_ms * 8 / 10);
    schedule.restart_ms = schedule.crash_ms + random.UniformRange(200, 2000);
    return CrashFaults(context, schedule);
  };
  return spec;
}

}  // namespace

ScenarioResult RunWordCountTmCrash(const ScenarioOptions& options) {
  return RunWordCountScenario(Spec(std::nullopt), options);
}

ScenarioResult RunWordCountWithCrash(const ScenarioOptions& options, const CrashSchedule& schedule) {
  return RunWordCountScenario(Spec(schedule), options);
}

}  // namespace sluice::scenarios
