// JobSpec: what travels from the JobManager to TaskManagers to name a job; both sides rebuild the
// same JobGraph from it with BuildJobGraph (the built-in job registry stands in for a user jar).
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/status.h"
#include "engine/graph/job_graph.h"

namespace sluice {

struct JobSpec {
  std::string job = "wordcount";
  std::string input_dir = "input";    // on the input store: part-0 .. part-(source_parallelism-1)
  std::string output_dir = "output";  // on the output store
  int source_parallelism = 2;
  int parallelism = 4;  // of the keyed operators
  int max_parallelism = 128;
  int64_t source_records_per_second = 0;  // total over all source subtasks; 0 = unthrottled

  std::string Encode() const;
  static Result<JobSpec> Decode(std::string_view bytes);
};

// The JobGraph of a built-in job. kInvalidArgument for an unknown job or bad parallelism.
Result<JobGraph> BuildJobGraph(const JobSpec& spec);

}  // namespace sluice
