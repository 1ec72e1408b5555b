#include "tools/job_options.h"

#include <CLI/CLI.hpp>

#include "tools/cli_common.h"
#include "tools/corpus.h"

namespace sluice::tools {

void AddJobFlags(CLI::App& command, JobFlags& flags, bool with_job) {
  if (with_job) {
    command
        .add_option("--job", flags.job,
                    "The job to run (see `sluice jobs`; default wordcount, or the scenario's own)")
        ->type_name("JOB");
  }
  command
      .add_option("-D", flags.settings,
                  "A job setting, Flink's key=value (repeatable), e.g. -D parallelism.default=3")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
}

Result<JobSpec> ParseJobFlags(const JobRegistry& jobs, const JobFlags& flags) {
  JobSpec spec;
  spec.job = flags.job.empty() ? "wordcount" : flags.job;
  for (const std::string& argument : flags.settings) {
    RETURN_IF_ERROR(spec.settings.SetFromArgument(argument));
  }
  RETURN_IF_ERROR(jobs.EffectiveSettings(spec).status());
  return spec;
}

Result<std::string> LoadJobInput(const JobRegistry& jobs, const JobSpec& spec,
                                 const std::string& input_path) {
  const JobDefinition* job = jobs.Find(spec.job);
  if (job == nullptr) return NotFoundError("unknown job '" + spec.job + "'");
  std::string input;
  if (input_path.empty() && job->default_input) {
    input = job->default_input(spec.settings);
  } else {
    ASSIGN_OR_RETURN(input, LoadInput(input_path));
  }
  if (job->validate_input) {
    const std::string name = input_path.empty() ? "(the job's default input)" : input_path;
    RETURN_IF_ERROR(job->validate_input(input, name, spec.settings).WithContext("--input"));
  }
  return input;
}

std::string JobFlagsText(const std::string& job, const Configuration& settings) {
  std::string text = " --job " + ShellQuote(job);
  for (const std::string& argument : settings.ToArguments()) text += " -D " + ShellQuote(argument);
  return text;
}

}  // namespace sluice::tools
