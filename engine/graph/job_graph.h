// JobGraph: the logical dataflow a job's API calls build (one node per operator), and its
// translation into chains (Flink's operator chaining: an operator joins its input's chain when the
// edge is forward and the parallelism is equal). A chain runs as one task per subtask; chains meet
// over the network through hash-partitioned edges.
//
// Both the JobManager and every TaskManager build the same JobGraph from a JobSpec
// (engine/graph/job_spec.h), so only the spec travels.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/graph/chain.h"
#include "engine/base/status.h"
#include "engine/exchange/gates.h"
#include "engine/runtime/host.h"

namespace sluice {

// Addresses of the external systems a job's connectors reach.
struct ExternalServices {
  Address input_store;
  Address output_store;
  Address checkpoint_store;
};

// What a link factory knows about the subtask it builds for.
struct TaskContext {
  Host* host = nullptr;
  std::string task_name;  // "Count -> Sink (3/4)"
  int subtask = 0;
  int parallelism = 1;
  int max_parallelism = 128;
  int64_t attempt = 0;  // execution attempt of the job (increments on every restart)
  ExternalServices services;
  OutputGate* output = nullptr;  // null for a chain that ends in a sink
  int output_parallelism = 0;    // consumer chain's parallelism, for partitioners
};

using LinkFactory = std::function<std::unique_ptr<ChainLink>(const TaskContext&, ChainLink* next)>;
using DecoderFactory = std::function<std::unique_ptr<RecordDecoder>(ChainLink* head)>;

enum class Partitioning { kForward, kHash };

struct SourceSpec {
  std::string input_dir;           // on the input store: part-0 .. part-(p-1)
  int64_t records_per_second = 0;  // over all subtasks (each takes its share); 0 = unthrottled
};

struct OperatorNode {
  int id = 0;
  std::string name;
  int parallelism = 1;
  int input = -1;  // upstream node id; -1 for a source
  Partitioning partitioning = Partitioning::kForward;
  bool is_source = false;
  SourceSpec source;
  LinkFactory make_link;  // the operator (unset for a source)
  // Set by KeyBy on the node whose output is partitioned: its record writer and the decoder the
  // consuming chain uses for this node's output type.
  LinkFactory make_hash_writer;
  DecoderFactory make_decoder;
};

struct JobGraph {
  std::string name;
  int max_parallelism = 128;
  std::vector<OperatorNode> nodes;  // in creation order; inputs precede their consumers
};

struct Chain {
  int id = 0;
  std::vector<int> nodes;  // node ids, head first
  int parallelism = 1;
  int input_chain = -1;   // chain feeding this one over the network, -1 for a source chain
  int output_chain = -1;  // chain this one feeds, -1 if it ends in a sink
  std::string name;       // "Source -> Tokenize"
};

// Splits the graph into chains. kInvalidArgument for graphs this slice cannot run (a node with two
// consumers, a forward edge between different parallelisms, a max parallelism out of range).
Result<std::vector<Chain>> BuildChains(const JobGraph& graph);

}  // namespace sluice
