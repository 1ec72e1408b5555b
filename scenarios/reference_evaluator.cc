#include "scenarios/reference_evaluator.h"

#include <memory>
#include <string_view>
#include <utility>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/serializer.h"
#include "engine/graph/side_outputs.h"
#include "scenarios/exactly_once.h"

namespace sluice::scenarios {
namespace {

struct Queued {
  int input_index;
  std::string record;
  int64_t timestamp;
};

}  // namespace

Status CheckReferenceSemantics(const JobGraph& graph) {
  for (const OperatorNode& node : graph.nodes) {
    if (node.id != static_cast<int>(&node - graph.nodes.data()) || node.parallelism < 1) {
      return InvalidArgumentError("operator '" + node.name + "' is malformed");
    }
    if (node.is_source && (!node.source.reference || !node.source.reference_splits)) {
      return InvalidArgumentError("source '" + node.name +
                                  "' declares no reference semantics, so the simulator cannot "
                                  "judge this job's output");
    }
    if (!node.is_source && !node.make_reference) {
      return InvalidArgumentError(
          "operator '" + node.name +
          "' declares no reference semantics, so the simulator cannot judge this job's output");
    }
  }
  for (const StreamEdge& edge : graph.edges) {
    if (edge.source < 0 || edge.source >= edge.target ||
        edge.target >= static_cast<int>(graph.nodes.size())) {
      return InvalidArgumentError("edge " + std::to_string(edge.id) + " does not run forward");
    }
    if ((edge.partitioner == Partitioner::kHash || edge.partitioner == Partitioner::kCustom) &&
        !edge.reference_route) {
      return InvalidArgumentError("keyed edge into '" + graph.nodes[edge.target].name +
                                  "' has no reference route");
    }
  }
  return Status::Ok();
}

Result<std::map<std::string, int64_t>> EvaluateReference(const JobGraph& graph,
                                                         const std::vector<std::string>& splits) {
  RETURN_IF_ERROR(CheckReferenceSemantics(graph));
  // queues[node][instance]: the records delivered to that instance, in delivery order.
  std::vector<std::vector<std::vector<Queued>>> queues(graph.nodes.size());
  for (const OperatorNode& node : graph.nodes) queues[node.id].resize(node.parallelism);
  std::map<std::string, int64_t> committed;
  // Round-robin position of each (edge, producer instance) for rebalance, rescale and shuffle.
  std::map<std::pair<int, int>, int> next_channel;
  for (const OperatorNode& node : graph.nodes) {
    for (int instance = 0; instance < node.parallelism; ++instance) {
      // Hands a record of the main output (tag "") or of a side output to its edges.
      SideOutputs::ReferenceEmit route = [&, instance](const std::string& tag,
                                                       std::string_view record,
                                                       int64_t timestamp) {
          for (int e : node.outputs) {
            const StreamEdge& edge = graph.edges[e];
            if (edge.side_output != tag) continue;
            const int channels = graph.nodes[edge.target].parallelism;
            auto deliver = [&](int channel) {
              SLUICE_ASSERT(channel >= 0 && channel < channels,
                            "a partitioner picks an existing consumer");
              queues[edge.target][channel].push_back(
                  Queued{edge.input_index, std::string(record), timestamp});
            };
            switch (edge.partitioner) {
              case Partitioner::kForward:
                deliver(instance);
                break;
              case Partitioner::kBroadcast:
                for (int c = 0; c < channels; ++c) deliver(c);
                break;
              case Partitioner::kGlobal:
                deliver(0);
                break;
              case Partitioner::kHash:
              case Partitioner::kCustom:
                deliver(edge.reference_route(record, channels, graph.max_parallelism));
                break;
              case Partitioner::kRebalance:
              case Partitioner::kRescale:
              case Partitioner::kShuffle: {
                auto [it, fresh] = next_channel.try_emplace({e, instance}, instance % channels);
                deliver(it->second);
                it->second = (it->second + 1) % channels;
                break;
              }
            }
          }
      };
      ReferenceEmit emit;
      if (node.is_sink) {
        emit = [&committed](std::string_view text, int64_t) {
          ForEachLine(text, [&](std::string_view line) { ++committed[std::string(line)]; });
        };
      } else {
        emit = [&route](std::string_view record, int64_t timestamp) {
          route(std::string(), record, timestamp);
        };
      }
      if (node.is_source) {
        // Split j is read by instance j mod parallelism: a job whose output depends on which
        // subtask reads which split is not deterministic (the enumerator may assign otherwise).
        const std::vector<std::string> source_splits =
            node.source.reference_splits(node.parallelism, splits);
        for (size_t j = static_cast<size_t>(instance); j < source_splits.size();
             j += static_cast<size_t>(node.parallelism)) {
          node.source.reference(source_splits[j], splits, emit);
        }
        continue;
      }
      std::unique_ptr<ReferenceOperator> op = node.make_reference();
      SideOutputs side_outputs;
      if (node.emits_side_outputs) {
        side_outputs.SetReferenceEmit(route);
        op->BindSideOutputs(&side_outputs);
      }
      std::vector<Queued> input = std::move(queues[node.id][instance]);
      for (const Queued& queued : input) {
        op->Process(queued.input_index, queued.record, queued.timestamp, emit);
      }
      op->EndOfInput(emit);
    }
  }
  return committed;
}

ReferenceReport CompareWithReference(const std::map<std::string, int64_t>& reference,
                                     const std::map<std::string, std::string>& committed) {
  ReferenceReport report;
  for (const auto& [line, count] : reference) report.expected += count;
  std::map<std::string, int64_t> remaining = reference;
  bool extra = false;
  for (const auto& [file, contents] : committed) {
    ForEachLine(contents, [&](std::string_view line) {
      ++report.records;
      if (extra) return;
      auto it = remaining.find(std::string(line));
      if (it == remaining.end() || it->second == 0) {
        extra = true;
        report.first_violation =
            (it == remaining.end() ? "unexpected record \"" : "duplicate record \"") +
            std::string(line) + "\" in " + file;
        return;
      }
      --it->second;
    });
  }
  report.at_most_once = !extra;
  if (!report.at_most_once) return report;
  for (const auto& [line, count] : remaining) {
    if (count > 0) {
      report.first_violation = "missing record \"" + line + "\" (" + std::to_string(count) +
                               " more expected)";
      return report;
    }
  }
  report.exact = true;
  return report;
}

}  // namespace sluice::scenarios
