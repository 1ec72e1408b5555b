#include "tools/sim_command_util.h"

#include <fmt/core.h>

#include <chrono>
#include <memory>
#include <utility>

#include "scenarios/reference_evaluator.h"
#include "tools/cli_common.h"
#include "tools/corpus.h"
#include "tools/fault_schedule.h"
#include "tools/job_options.h"

namespace sluice::tools {

using scenarios::PlantedBugInfo;
using scenarios::ScenarioInfo;
using scenarios::ScenarioOptions;

const ScenarioInfo* FindScenario(const std::vector<ScenarioInfo>& catalog,
                                 const std::string& name) {
  for (const ScenarioInfo& info : catalog) {
    if (info.name == name) return &info;
    for (const std::string& alias : info.aliases) {
      if (alias == name) return &info;
    }
  }
  std::string names;
  for (const ScenarioInfo& info : catalog) names += "\n  " + info.name;
  if (catalog.empty()) names = " (none: the catalog is empty)";
  PrintError(fmt::format("unknown scenario '{}'; valid scenarios:{}", name, names));
  return nullptr;
}

bool CheckPlantBug(const std::string& bug, const std::string& scenario) {
  if (bug.empty()) return true;
  const std::vector<PlantedBugInfo> catalog = scenarios::PlantedBugCatalog();
  for (const PlantedBugInfo& info : catalog) {
    if (info.name != bug) continue;
    if (info.scenario != scenario) {
      PrintWarning(fmt::format("planted bug '{}' is meant to be caught by scenario '{}', not '{}'",
                               bug, info.scenario, scenario));
    }
    return true;
  }
  std::string names;
  for (const PlantedBugInfo& info : catalog) {
    names += fmt::format("\n  {} (scenario {})", info.name, info.scenario);
  }
  if (catalog.empty()) names = " (none: the catalog is empty)";
  PrintError(fmt::format("--plant-bug: unknown planted bug '{}'; valid names:{}", bug, names));
  return false;
}

std::optional<PreparedRun> PrepareRun(const SimFlags& flags,
                                      const std::vector<ScenarioInfo>& catalog) {
  PreparedRun run;
  run.info = FindScenario(catalog, flags.scenario);
  if (run.info == nullptr) return std::nullopt;
  if (!CheckPlantBug(flags.plant_bug, run.info->name)) return std::nullopt;
  JobFlags job_flags = flags.job;
  if (job_flags.job.empty()) job_flags.job = run.info->default_job;
  auto job = ParseJobFlags(*flags.job_registry, job_flags);
  if (!job.ok()) {
    PrintError(job.status().message());
    return std::nullopt;
  }
  if (job->job != "wordcount") {
    // Any other job is judged against the reference evaluator: every operator must say what it
    // computes (scenarios/reference_evaluator.h).
    auto graph = flags.job_registry->Build(*job);
    Status judgeable = graph.ok() ? scenarios::CheckReferenceSemantics(*graph) : graph.status();
    if (!judgeable.ok()) {
      PrintError(fmt::format("--job {}: {}", job->job, judgeable.message()));
      return std::nullopt;
    }
  }
  auto input = LoadJobInput(*flags.job_registry, *job, flags.input_path);
  if (!input.ok()) {
    PrintError(input.status().message());
    return std::nullopt;
  }
  if (!flags.faults_path.empty()) {
    auto faults = ReadFaultScheduleFile(flags.faults_path);
    if (!faults.ok()) {
      PrintError(faults.status().message());
      return std::nullopt;
    }
    run.options.faults = std::move(faults).value();
  }
  run.options.input_text = std::move(input).value();
  if (job->job == "wordcount") {  // other jobs are judged by the reference evaluator, per seed
    run.expected_counts =
        std::make_unique<const scenarios::WordCountReference>(run.options.input_text);
    run.options.expected_counts = run.expected_counts.get();
  }
  run.options.log_events = flags.log_events;
  run.options.plant_bug = flags.plant_bug;
  run.options.jobs = flags.job_registry;
  run.options.job = job->job;
  run.options.settings = job->settings;
  run.spec = RunSpec{flags.program,   run.info->name,       flags.input_path,
                     flags.plant_bug, flags.faults_path,    job->job,
                     job->settings,   InputFingerprint(run.options.input_text)};
  return run;
}

RunOutcome RunTimed(const ScenarioInfo& info, const ScenarioOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  RunOutcome outcome;
  outcome.result = info.run(options);
  outcome.wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  outcome.result.seed = options.seed;
  if (outcome.result.scenario.empty()) outcome.result.scenario = info.name;
  return outcome;
}

}  // namespace sluice::tools
