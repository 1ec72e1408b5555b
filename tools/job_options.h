// The job flags every command that runs a job shares: `--job NAME` and repeatable
// `-D key=value` (Flink configuration keys), checked against the program's JobRegistry before
// anything runs, so that an unknown job, an unknown key or a malformed value exits 2 naming it.
#pragma once

#include <string>
#include <vector>

#include "engine/api/job_registry.h"
#include "engine/base/status.h"
#include "engine/graph/job_spec.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace sluice::tools {

struct JobFlags {
  std::string job;  // "": wordcount (or, for `sim`, the scenario's default job)
  std::vector<std::string> settings;  // "key=value", in command-line order
};

// Adds --job (unless `with_job` is false: the command takes the job elsewhere) and -D to
// `command`.
void AddJobFlags(CLI::App& command, JobFlags& flags, bool with_job = true);

// The flags as a validated JobSpec (settings as given, not the job's defaults): kNotFound for an
// unknown job, kInvalidArgument naming a malformed -D or a bad key or value. The spec's input and
// output locations stay at their defaults.
Result<JobSpec> ParseJobFlags(const JobRegistry& jobs, const JobFlags& flags);

// The job's input: the file `input_path` names, or when it is empty the job's default input
// (JobDefinition::default_input, e.g. Nexmark's generated events) or else the built-in text
// corpus; then checked by the job's validate_input, if it has one. kInvalidArgument naming the
// file, the line and the field for input the job refuses; kNotFound for an unreadable file.
Result<std::string> LoadJobInput(const JobRegistry& jobs, const JobSpec& spec,
                                 const std::string& input_path);

// ` --job NAME -D k=v ...` (leading space, shell-quoted), for repro commands.
std::string JobFlagsText(const std::string& job, const Configuration& settings);

}  // namespace sluice::tools
