// JobSpec: what names a job everywhere it runs: the registered job's name, its settings (Flink
// configuration keys, engine/config/configuration.h) and where its input and output live. Only
// the spec travels (in every deployment); each JobManager and TaskManager rebuilds the same
// JobGraph from it with the JobGraphFactory its program hands it (Flink's application mode: every
// process runs the same binary, so every process has the job's code). Engine layers below the
// API know jobs only through this factory, never by name.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/base/status.h"
#include "engine/config/configuration.h"
#include "engine/graph/job_graph.h"

namespace sluice {

struct JobSpec {
  std::string job = "wordcount";  // a name registered with the program's JobRegistry
  Configuration settings;         // -D key=value, as given (the registry validates them)
  std::string input_dir = "input";    // on the input store: part-0 .. part-(input_splits-1)
  std::string output_dir = "output";  // on the output store
  int input_splits = 2;               // number of input part files
  // A session cluster's id for the job (32 hex digits, Flink's JobID), given at submission; ""
  // in application mode, where the id derives from the spec (JobIdOf). Non-empty, it also names
  // the job's own directory in execution.checkpointing.dir (JobStorageDir).
  std::string job_id;

  std::string Encode() const;
  // kInvalidArgument for malformed bytes (they come off the wire).
  static Result<JobSpec> Decode(std::string_view bytes);
  bool operator==(const JobSpec&) const = default;
};

// Where a job keeps its checkpoints and savepoints: execution.checkpointing.dir itself in
// application mode (no job id), else its subdirectory named by the job id (Flink's layout,
// <dir>/<job id>/chk-N).
inline std::string JobStorageDir(const std::string& checkpoint_dir, const JobSpec& spec) {
  return spec.job_id.empty() ? checkpoint_dir : checkpoint_dir + "/" + spec.job_id;
}

// Whether `id` is a job id as a session cluster gives them: 32 lowercase hex digits.
bool IsJobId(std::string_view id);

// Builds the JobGraph a spec names: kInvalidArgument (naming the key, the job or the bound) for an
// unknown job, an unknown setting or a malformed value. Must be deterministic: every process
// calls it and all must get the same graph. Never suspends.
using JobGraphFactory = std::function<Result<JobGraph>(const JobSpec&)>;

}  // namespace sluice
