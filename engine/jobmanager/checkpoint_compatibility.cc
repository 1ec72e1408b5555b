#include "engine/jobmanager/checkpoint_compatibility.h"

#include <string>

#include "engine/config/core_options.h"

namespace sluice {

CheckpointedGraph CheckpointedGraphOf(const JobGraph& graph, const std::vector<Chain>& chains) {
  CheckpointedGraph record;
  record.max_parallelism = graph.max_parallelism;
  const std::vector<int> chain_of = ChainOfNodes(graph, chains);
  for (const OperatorNode& node : graph.nodes) {
    record.operators.push_back(
        CheckpointedOperator{node.name, node.parallelism, chain_of[node.id]});
  }
  return record;
}

int SlotsToRescale(const JobGraphFactory& build_graph, const JobSpec& spec,
                   const JobGraph& deployed, int parallelism) {
  JobSpec rescaled = spec;
  rescaled.settings.Set(ParallelismDefault().key, std::to_string(parallelism));
  auto graph = build_graph(rescaled);
  if (!graph.ok() || graph->max_parallelism != deployed.max_parallelism) return -1;
  auto chains = BuildChains(*graph);
  auto deployed_chains = BuildChains(deployed);
  if (!chains.ok() || !deployed_chains.ok() ||
      ChainOfNodes(*graph, *chains) != ChainOfNodes(deployed, *deployed_chains)) {
    return -1;
  }
  return SlotsRequired(*chains);
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
    if (was.chain != is.chain && was.chain >= 0) {
      return FailedPreconditionError(
          what + ": operator '" + was.name + "' was chained into task " +
          std::to_string(was.chain) + " and is in task " + std::to_string(is.chain) +
          " in this job (change parallelism or partitioning so that the operator chains stay "
          "the same)");
    }
    if (was.parallelism != is.parallelism && checkpoint.has_in_flight_data) {
      // A departure from Flink, which redistributes in-flight data when it rescales.
      return FailedPreconditionError(
          what + " is an unaligned checkpoint holding in-flight data, which Sluice restores only "
                 "at the parallelism it was taken at (operator '" +
          was.name + "' ran at " + std::to_string(was.parallelism) + ", this job runs it at " +
          std::to_string(is.parallelism) + "); rescale from a savepoint, which is always aligned");
    }
    if (was.parallelism != is.parallelism && was.chain < 0) {
      return FailedPreconditionError(
          what + ": operator '" + was.name + "' ran at parallelism " +
          std::to_string(was.parallelism) + " and this job runs it at " +
          std::to_string(is.parallelism) +
          "; the checkpoint predates the record of operator chains that rescaling needs");
    }
  }
  return Status::Ok();
}

}  // namespace sluice
