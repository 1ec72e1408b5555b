#include "engine/graph/job_graph.h"

#include "engine/partition/key_group.h"

namespace sluice {

Result<std::vector<Chain>> BuildChains(const JobGraph& graph) {
  if (graph.max_parallelism < 1 || graph.max_parallelism > kUpperBoundMaxParallelism) {
    return InvalidArgumentError("max parallelism " + std::to_string(graph.max_parallelism) +
                                " outside [1, " + std::to_string(kUpperBoundMaxParallelism) + "]");
  }
  std::vector<int> consumers(graph.nodes.size(), 0);
  std::vector<int> chain_of(graph.nodes.size(), -1);
  std::vector<Chain> chains;
  for (const OperatorNode& node : graph.nodes) {
    if (node.id != static_cast<int>(&node - graph.nodes.data())) {
      return InvalidArgumentError("node ids must be their positions");
    }
    if (node.parallelism < 1 || node.parallelism > graph.max_parallelism) {
      return InvalidArgumentError("operator '" + node.name + "' has parallelism " +
                                  std::to_string(node.parallelism) + ", max parallelism is " +
                                  std::to_string(graph.max_parallelism));
    }
    if (node.input >= 0 && ++consumers[node.input] > 1) {
      return InvalidArgumentError("operator '" + graph.nodes[node.input].name +
                                  "' has two consumers; this slice runs pipelines only");
    }
    const bool chained = node.input >= 0 && node.partitioning == Partitioning::kForward;
    if (chained && graph.nodes[node.input].parallelism != node.parallelism) {
      return InvalidArgumentError("forward edge into '" + node.name +
                                  "' changes parallelism; use KeyBy");
    }
    if (chained) {
      Chain& chain = chains[chain_of[node.input]];
      chain.nodes.push_back(node.id);
      chain.name += " -> " + node.name;
      chain_of[node.id] = chain.id;
      continue;
    }
    Chain chain;
    chain.id = static_cast<int>(chains.size());
    chain.nodes.push_back(node.id);
    chain.parallelism = node.parallelism;
    chain.name = node.name;
    if (node.input >= 0) {
      chain.input_chain = chain_of[node.input];
      chains[chain.input_chain].output_chain = chain.id;
      if (!graph.nodes[node.input].make_hash_writer) {
        return InvalidArgumentError("hash edge into '" + node.name + "' has no writer");
      }
    } else if (!node.is_source) {
      return InvalidArgumentError("operator '" + node.name + "' has no input");
    }
    chain_of[node.id] = chain.id;
    chains.push_back(std::move(chain));
  }
  return chains;
}

}  // namespace sluice
