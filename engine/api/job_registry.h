// JobRegistry: the jobs a program can run, by name (Flink's application mode: the user's program
// is the deployment unit and declares its jobs; here it registers them and hands argc/argv to the
// library's entry point, tools/application.h). A program builds one registry in main() and passes
// it down; there is no global registry.
//
//   JobRegistry jobs;
//   jobs.Register({.name = "fraud-detection",
//                  .description = "alerts on small-then-large transactions per account",
//                  .options = {ThresholdOption()},
//                  .build = BuildFraudDetection});
//   return sluice::RunApplication(jobs, argc, argv);
//
// A job's settings are the engine's options (engine/config/core_options.h) plus the job's own;
// every other key is refused. A job may change an engine option's default for itself
// (default_settings, e.g. word count runs its counting operator at parallelism 4). Nothing here
// suspends; a registry is immutable once the program starts running jobs (not thread-safe to
// register while another thread builds).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/config/configuration.h"
#include "engine/graph/job_graph.h"
#include "engine/graph/job_spec.h"

namespace sluice {

// What a job's build function gets: its settings (defaults applied, validated) and its
// connectors' locations.
struct JobContext {
  const Configuration& settings;
  std::string input_dir;   // line sources read input_dir/part-0 .. part-(input_splits-1)
  std::string output_dir;  // file sinks commit under output_dir
  int input_splits = 1;
  // parallelism.default as set (or the job's default).
  int DefaultParallelism() const;
};

struct JobDefinition {
  std::string name;         // [a-z0-9][a-z0-9.-]*, as on the command line
  std::string description;  // one line
  std::vector<ConfigOption> options;  // the job's own settings (e.g. nexmark.events.num)
  // Engine options whose default this job changes, key → value (validated at Register).
  std::map<std::string, std::string> default_settings;
  // Builds the job's graph. Deterministic; may return kInvalidArgument for settings it cannot
  // run with. Never suspends.
  std::function<Result<JobGraph>(const JobContext&)> build;
  // Optional. Checks the whole input (the text of the file --input names, `file_name`) before
  // anything runs: kInvalidArgument naming the file, the line and what is wrong (the CLI exits 2
  // with it). Without it, any text is accepted (lines of text).
  std::function<Status(std::string_view input, std::string_view file_name,
                       const Configuration& settings)>
      validate_input;
  // Optional. The input when the user gives none (e.g. Nexmark: the generator's events, as
  // nexmark.events.num and nexmark.seed say). Without it, the CLI's built-in text corpus.
  std::function<std::string(const Configuration& settings)> default_input;
};

class JobRegistry {
 public:
  // kInvalidArgument for a malformed name, a missing build function, an option that collides with
  // an engine option or a default_settings entry that is not a valid engine setting;
  // kAlreadyExists for a name registered before.
  Status Register(JobDefinition job);
  // Null when no job has that name.
  const JobDefinition* Find(std::string_view name) const;
  // Every registered job, by name.
  const std::vector<JobDefinition>& jobs() const { return jobs_; }
  // The settings `job` accepts: the engine's options, then the job's own.
  static std::vector<ConfigOption> OptionsOf(const JobDefinition& job);
  // The job's default settings overlaid with spec.settings, validated: kNotFound for an unknown
  // job (listing the registered ones), kInvalidArgument naming a bad key or value.
  Result<Configuration> EffectiveSettings(const JobSpec& spec) const;
  // The spec's JobGraph: EffectiveSettings, then the job's build function, then the graph's own
  // checks (BuildChains). Errors as EffectiveSettings, or the build's.
  Result<JobGraph> Build(const JobSpec& spec) const;
  // Build as a JobGraphFactory for the JobManager and TaskManagers; the registry must outlive it.
  JobGraphFactory Factory() const;

 private:
  std::vector<JobDefinition> jobs_;  // sorted by name
};

}  // namespace sluice
