#include "engine/api/job_registry.h"

#include <algorithm>

#include "engine/config/core_options.h"
#include "engine/config/restart_strategy_config.h"

namespace sluice {
namespace {

bool ValidJobName(std::string_view name) {
  if (name.empty()) return false;
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return lower_or_digit(c) || c == '-' || c == '.'; });
}

std::string JobNames(const std::vector<JobDefinition>& jobs) {
  std::string names;
  for (const JobDefinition& job : jobs) names += (names.empty() ? "" : ", ") + job.name;
  return names.empty() ? "(none)" : names;
}

}  // namespace

int JobContext::DefaultParallelism() const {
  return static_cast<int>(settings.GetInt(ParallelismDefault()));
}

Status JobRegistry::Register(JobDefinition job) {
  if (!ValidJobName(job.name)) {
    return InvalidArgumentError("job name '" + job.name +
                                "' must match [a-z0-9][a-z0-9.-]* (it is typed on command lines)");
  }
  if (!job.build) return InvalidArgumentError("job '" + job.name + "' has no build function");
  for (const ConfigOption& option : job.options) {
    const auto& core = CoreOptions();
    const bool collides = std::any_of(core.begin(), core.end(), [&](const ConfigOption& c) {
      return c.key == option.key;
    });
    if (collides) {
      return InvalidArgumentError("job '" + job.name + "' declares option '" + option.key +
                                  "', which is an engine option");
    }
    RETURN_IF_ERROR(CheckValue(option, option.default_value)
                        .WithContext("job '" + job.name + "': the default of its option"));
  }
  Configuration defaults;
  for (const auto& [key, value] : job.default_settings) defaults.Set(key, value);
  RETURN_IF_ERROR(defaults.Validate(OptionsOf(job)).WithContext("job '" + job.name +
                                                                "' default_settings"));
  if (Find(job.name) != nullptr) {
    return AlreadyExistsError("job '" + job.name + "' is registered twice");
  }
  auto at = std::lower_bound(jobs_.begin(), jobs_.end(), job.name,
                             [](const JobDefinition& j, const std::string& n) { return j.name < n; });
  jobs_.insert(at, std::move(job));
  return Status::Ok();
}

const JobDefinition* JobRegistry::Find(std::string_view name) const {
  for (const JobDefinition& job : jobs_) {
    if (job.name == name) return &job;
  }
  return nullptr;
}

std::vector<ConfigOption> JobRegistry::OptionsOf(const JobDefinition& job) {
  std::vector<ConfigOption> options = CoreOptions();
  options.insert(options.end(), job.options.begin(), job.options.end());
  return options;
}

Result<Configuration> JobRegistry::EffectiveSettings(const JobSpec& spec) const {
  const JobDefinition* job = Find(spec.job);
  if (job == nullptr) {
    return NotFoundError("unknown job '" + spec.job + "' (registered: " + JobNames(jobs_) + ")");
  }
  RETURN_IF_ERROR(spec.settings.Validate(OptionsOf(*job)));
  Configuration effective;
  for (const auto& [key, value] : job->default_settings) effective.Set(key, value);
  for (const auto& [key, value] : spec.settings.entries()) effective.Set(key, value);
  if (effective.GetInt(PipelineMaxParallelism()) == 0) {
    return InvalidArgumentError(
        "configuration key 'pipeline.max-parallelism': 0 is neither -1 (derived) nor in "
        "[1, 32768]");
  }
  RETURN_IF_ERROR(RestartStrategyConfigFrom(effective).status());
  RETURN_IF_ERROR(CheckCheckpointingSettings(effective));
  RETURN_IF_ERROR(SourceRateStepsOf(effective).status());
  return effective;
}

Result<JobGraph> JobRegistry::Build(const JobSpec& spec) const {
  ASSIGN_OR_RETURN(Configuration settings, EffectiveSettings(spec));
  if (spec.input_splits < 1) {
    return InvalidArgumentError("job '" + spec.job + "' needs at least one input split");
  }
  const JobContext context{settings, spec.input_dir, spec.output_dir, spec.input_splits};
  ASSIGN_OR_RETURN(JobGraph graph, Find(spec.job)->build(context));
  RETURN_IF_ERROR(BuildChains(graph).status().WithContext("job '" + spec.job + "'"));
  return graph;
}

JobGraphFactory JobRegistry::Factory() const {
  return [this](const JobSpec& spec) { return Build(spec); };
}

}  // namespace sluice
