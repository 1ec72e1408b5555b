#include "engine/jobmanager/checkpoint_compatibility.h"

#include <string>

namespace sluice {

CheckpointedGraph CheckpointedGraphOf(const JobGraph& graph) {
  CheckpointedGraph record;
  record.max_parallelism = graph.max_parallelism;
  for (const OperatorNode& node : graph.nodes) {
    record.operators.push_back(CheckpointedOperator{node.name, node.parallelism});
  }
  return record;
}

Status CheckRestorable(const CompletedCheckpoint& checkpoint, const CheckpointedGraph& job) {
  const CheckpointedGraph& taken = checkpoint.graph;
  if (taken.operators.empty()) return Status::Ok();  // metadata without the record
  const std::string what = "checkpoint " + std::to_string(checkpoint.id);
  if (taken.max_parallelism != job.max_parallelism) {
    return FailedPreconditionError(
        what + " was taken with max parallelism " + std::to_string(taken.max_parallelism) +
        " and this job has " + std::to_string(job.max_parallelism) +
        ": its keyed state is split into that many key groups, which cannot be split again "
        "(run the job with -D pipeline.max-parallelism=" +
        std::to_string(taken.max_parallelism) + ")");
  }
  if (taken.operators.size() != job.operators.size()) {
    return FailedPreconditionError(
        what + " holds the state of " + std::to_string(taken.operators.size()) +
        " operators and this job has " + std::to_string(job.operators.size()));
  }
  for (size_t i = 0; i < taken.operators.size(); ++i) {
    const CheckpointedOperator& was = taken.operators[i];
    const CheckpointedOperator& is = job.operators[i];
    if (was.name != is.name) {
      return FailedPreconditionError(what + ": operator " + std::to_string(i) + " was '" +
                                     was.name + "' and is '" + is.name + "' in this job");
    }
    if (was.parallelism != is.parallelism) {
      return FailedPreconditionError(
          what + ": operator '" + was.name + "' ran at parallelism " +
          std::to_string(was.parallelism) + " and this job runs it at " +
          std::to_string(is.parallelism) +
          "; restoring at another parallelism (rescaling) is not supported yet");
    }
  }
  return Status::Ok();
}

}  // namespace sluice
