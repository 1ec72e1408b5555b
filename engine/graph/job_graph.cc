#include "engine/graph/job_graph.h"

#include <algorithm>
#include <map>
#include <utility>

#include "engine/partition/key_group.h"

namespace sluice {

const char* PartitionerName(Partitioner partitioner) {
  switch (partitioner) {
    case Partitioner::kForward:
      return "FORWARD";
    case Partitioner::kRebalance:
      return "REBALANCE";
    case Partitioner::kRescale:
      return "RESCALE";
    case Partitioner::kShuffle:
      return "SHUFFLE";
    case Partitioner::kBroadcast:
      return "BROADCAST";
    case Partitioner::kGlobal:
      return "GLOBAL";
    case Partitioner::kCustom:
      return "CUSTOM";
    case Partitioner::kHash:
      return "HASH";
  }
  return "UNKNOWN";
}

bool IsChainable(const JobGraph& graph, const StreamEdge& edge) {
  const OperatorNode& up = graph.nodes[edge.source];
  const OperatorNode& down = graph.nodes[edge.target];
  return edge.partitioner == Partitioner::kForward && down.inputs.size() == 1 &&
         up.parallelism == down.parallelism && up.slot_sharing_group == down.slot_sharing_group &&
         up.chaining != ChainingStrategy::kNever && down.chaining == ChainingStrategy::kAlways &&
         !down.is_source;
}

Result<std::vector<Chain>> BuildChains(const JobGraph& graph) {
  if (graph.max_parallelism < 1 || graph.max_parallelism > kUpperBoundMaxParallelism) {
    return InvalidArgumentError("max parallelism " + std::to_string(graph.max_parallelism) +
                                " outside [1, " + std::to_string(kUpperBoundMaxParallelism) + "]");
  }
  const int node_count = static_cast<int>(graph.nodes.size());
  for (const StreamEdge& edge : graph.edges) {
    if (edge.id != static_cast<int>(&edge - graph.edges.data())) {
      return InvalidArgumentError("edge ids must be their positions");
    }
    if (edge.source < 0 || edge.target >= node_count || edge.source >= edge.target) {
      return InvalidArgumentError("edge " + std::to_string(edge.id) +
                                  " must run from an earlier operator to a later one");
    }
    const OperatorNode& up = graph.nodes[edge.source];
    const OperatorNode& down = graph.nodes[edge.target];
    if (edge.partitioner == Partitioner::kForward && up.parallelism != down.parallelism) {
      return InvalidArgumentError("forward edge from '" + up.name + "' (parallelism " +
                                  std::to_string(up.parallelism) + ") into '" + down.name +
                                  "' (parallelism " + std::to_string(down.parallelism) +
                                  ") changes parallelism; use rebalance, rescale or key_by");
    }
    if (!IsChainable(graph, edge) && (!edge.make_writer || !edge.make_decoder)) {
      return InvalidArgumentError("network edge from '" + up.name + "' into '" + down.name +
                                  "' has no record writer or decoder");
    }
  }
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
    if (node.is_source != node.inputs.empty()) {
      return InvalidArgumentError(node.is_source
                                      ? "source '" + node.name + "' has an input"
                                      : "operator '" + node.name + "' has no input");
    }
    if (!node.is_source && !node.make_link) {
      return InvalidArgumentError("operator '" + node.name + "' has no implementation");
    }
    if (node.inputs.size() == 1 && IsChainable(graph, graph.edges[node.inputs[0]])) {
      Chain& chain = chains[chain_of[graph.edges[node.inputs[0]].source]];
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
    chain.is_source = node.is_source;
    chain.input_edges = node.inputs;
    chain_of[node.id] = chain.id;
    chains.push_back(std::move(chain));
  }
  for (const StreamEdge& edge : graph.edges) {
    if (IsChainable(graph, edge)) continue;
    chains[chain_of[edge.source]].output_edges.push_back(edge.id);
    chains[chain_of[edge.source]].output_chains.push_back(chain_of[edge.target]);
  }
  // Slots: each slot sharing group gets a contiguous range as wide as its widest chain.
  std::vector<std::pair<std::string, int>> groups;  // name → width, in order of first appearance
  for (Chain& chain : chains) {
    chain.slot_sharing_group = graph.nodes[chain.nodes.front()].slot_sharing_group;
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == chain.slot_sharing_group; });
    if (it == groups.end()) {
      groups.emplace_back(chain.slot_sharing_group, chain.parallelism);
    } else {
      it->second = std::max(it->second, chain.parallelism);
    }
  }
  for (Chain& chain : chains) {
    int first = 0;
    for (const auto& [name, width] : groups) {
      if (name == chain.slot_sharing_group) break;
      first += width;
    }
    chain.first_slot = first;
  }
  return chains;
}

int SlotsRequired(const std::vector<Chain>& chains) {
  int slots = 0;
  for (const Chain& chain : chains) slots = std::max(slots, chain.first_slot + chain.parallelism);
  return slots;
}

std::vector<int> ChainOfNodes(const JobGraph& graph, const std::vector<Chain>& chains) {
  std::vector<int> chain_of(graph.nodes.size(), -1);
  for (const Chain& chain : chains) {
    for (int node : chain.nodes) chain_of[node] = chain.id;
  }
  return chain_of;
}

SubtaskRange ConsumersOfProducer(Partitioner partitioner, int producer, int producers,
                                 int consumers) {
  switch (partitioner) {
    case Partitioner::kForward:
      return SubtaskRange{producer, producer + 1};
    case Partitioner::kRescale: {
      const int first = static_cast<int>(int64_t{producer} * consumers / producers);
      const int end =
          std::max(first + 1, static_cast<int>(int64_t{producer + 1} * consumers / producers));
      return SubtaskRange{first, end};
    }
    default:
      return SubtaskRange{0, consumers};
  }
}

std::vector<int> ProducersOfConsumer(Partitioner partitioner, int consumer, int producers,
                                     int consumers) {
  std::vector<int> connected;
  for (int p = 0; p < producers; ++p) {
    if (ConsumersOfProducer(partitioner, p, producers, consumers).Contains(consumer)) {
      connected.push_back(p);
    }
  }
  return connected;
}

std::vector<std::vector<std::pair<int, int>>> PipelinedRegions(const JobGraph& graph,
                                                               const std::vector<Chain>& chains) {
  // Union-find over the tasks, numbered chain by chain.
  std::vector<int> first_task(chains.size() + 1, 0);
  for (size_t c = 0; c < chains.size(); ++c) {
    first_task[c + 1] = first_task[c] + chains[c].parallelism;
  }
  std::vector<int> parent(static_cast<size_t>(first_task.back()));
  for (size_t t = 0; t < parent.size(); ++t) parent[t] = static_cast<int>(t);
  auto find = [&](int t) {
    while (parent[t] != t) t = parent[t] = parent[parent[t]];
    return t;
  };
  auto unite = [&](int a, int b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  };
  for (const Chain& chain : chains) {
    for (size_t i = 0; i < chain.output_edges.size(); ++i) {
      const Chain& consumer = chains[chain.output_chains[i]];
      const Partitioner partitioner = graph.edges[chain.output_edges[i]].partitioner;
      for (int p = 0; p < chain.parallelism; ++p) {
        const SubtaskRange range =
            ConsumersOfProducer(partitioner, p, chain.parallelism, consumer.parallelism);
        for (int c = range.first; c < range.end; ++c) {
          unite(first_task[chain.id] + p, first_task[consumer.id] + c);
        }
      }
    }
  }
  std::map<int, std::vector<std::pair<int, int>>> by_root;  // root = the region's first task
  for (const Chain& chain : chains) {
    for (int s = 0; s < chain.parallelism; ++s) {
      by_root[find(first_task[chain.id] + s)].emplace_back(chain.id, s);
    }
  }
  std::vector<std::vector<std::pair<int, int>>> regions;
  for (auto& [root, tasks] : by_root) regions.push_back(std::move(tasks));
  return regions;
}

}  // namespace sluice
