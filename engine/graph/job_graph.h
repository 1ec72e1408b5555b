// JobGraph: the logical dataflow a job's API calls build, a DAG of operators (OperatorNode) joined
// by edges (StreamEdge, each with a partitioner), and its translation into chains (Flink's
// operator chaining, StreamingJobGraphGenerator.isChainable): an edge is chained when it is
// forward, both ends have the same parallelism and slot sharing group, the target has no other
// input, and neither end forbids it (start_new_chain on the target, disable_chaining on either).
// A chain is a tree of operators run as one task per subtask; its operators call each other
// directly. Every other edge crosses the network: the producing chain's record writer for that
// edge partitions records over the consuming chain's subtasks, which read them through one input
// gate per edge.
//
// Both the JobManager and every TaskManager build the same JobGraph from a JobSpec
// (engine/graph/job_spec.h), so only the spec travels. Building and chaining never suspend.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/exchange/gates.h"
#include "engine/graph/chain.h"
#include "engine/runtime/host.h"

namespace sluice {

class SideOutputs;

// Where a job's data lives on every host's file system (engine/runtime/storage_directory.h):
// directories the cluster's hosts share (one machine's local directories, or NFS mounts at the
// same path on each; the simulator's shared mounts). "" means paths are taken as given.
struct ExternalServices {
  std::string input_root;      // JobSpec::input_dir is relative to it
  std::string output_root;     // JobSpec::output_dir is relative to it
  std::string checkpoint_dir;  // execution.checkpointing.dir: checkpoints and savepoints
};

// What a link factory knows about the subtask it builds for.
class RocksDbStateBackend;  // engine/state/rocksdb_keyed_state_backend.h

struct TaskContext {
  Host* host = nullptr;
  std::string task_name;  // "Count -> Sink (3/4)"
  int subtask = 0;
  int parallelism = 1;
  int max_parallelism = 128;
  int64_t attempt = 0;  // execution attempt of the job (increments on every restart)
  ExternalServices services;
  // While one operator's link is built: its side outputs' consumers (owned by the task; null when
  // it has none). An operator that emits side outputs keeps the pointer.
  SideOutputs* side_outputs = nullptr;
  // state.backend.type: rocksdb: the task's RocksDB backends, from which each keyed operator
  // takes its instance when it opens (owned by the task). Null: keyed state on the heap.
  RocksDbStateBackend* rocksdb = nullptr;
};

// How an edge spreads its producer's records over the consumer's subtasks (Flink's
// StreamPartitioner family). Every network edge connects each producer subtask to each consumer
// subtask; the partitioner picks the channels a record takes.
enum class Partitioner : uint8_t {
  kForward,    // producer subtask i → consumer subtask i (equal parallelism); chained if it can be
  kRebalance,  // round robin over all consumers
  kRescale,    // round robin over the producer's pointwise share of consumers
  kShuffle,    // a uniformly random consumer per record (the run's seeded PRNG)
  kBroadcast,  // every consumer gets every record
  kGlobal,     // consumer subtask 0
  kCustom,     // a user function of the record's key (partition_custom)
  kHash,       // by key group of the record's key (key_by)
};
const char* PartitionerName(Partitioner partitioner);

// The record writer of a network edge for one producer subtask: a chain link that partitions,
// serializes and sends the batches it consumes through `gate` (one channel per consumer subtask).
using WriterFactory =
    std::function<std::unique_ptr<ChainLink>(const TaskContext&, OutputGate* gate)>;
// Decodes a network edge's records into batches for `port` (the consumer's input for the edge).
using DecoderFactory = std::function<std::unique_ptr<RecordDecoder>(ChainLink* port)>;
// An operator's link for one subtask, handing its output to `next` (null for a sink).
using LinkFactory = std::function<std::unique_ptr<ChainLink>(const TaskContext&, ChainLink* next)>;
// A link that hands each batch to every one of `outputs` (an operator with several consumers).
using FanOutFactory = std::function<std::unique_ptr<ChainLink>(std::vector<ChainLink*> outputs)>;

// The reference semantics of an operator (Sluice's oracle, scenarios/reference_evaluator.h):
// the operator over one record at a time, one instance per subtask, without chains, network,
// checkpoints, key groups or the runtime's state backends. Records in and out are Serializer
// bytes with their event timestamps (kNoTimestamp if none); a sink emits the bytes it would commit
// for a record instead. There are no watermarks before the end: an instance sees its whole input,
// then EndOfInput stands for the final watermark (event-time timers fire there, in time order).
// Never suspends.
using ReferenceEmit = std::function<void(std::string_view record, int64_t timestamp)>;
class ReferenceOperator {
 public:
  virtual ~ReferenceOperator() = default;
  virtual void Process(int input_index, std::string_view record, int64_t timestamp,
                       const ReferenceEmit& emit) = 0;
  // Every input has ended (where event-time operators fire what is left).
  virtual void EndOfInput(const ReferenceEmit& emit) {}
  // Where the operator's side outputs go (before the first Process; OperatorNode::
  // emits_side_outputs operators only).
  virtual void BindSideOutputs(SideOutputs* side_outputs) {}
};
using ReferenceFactory = std::function<std::unique_ptr<ReferenceOperator>()>;
// The consumer subtask in [0, channels) of a record on a keyed edge (kHash, kCustom), from its
// Serializer bytes and the job's max parallelism.
using ReferenceRoute =
    std::function<int(std::string_view record, int channels, int max_parallelism)>;

// Sources in Flink's FLIP-27 shape (FLIP-27: Refactor Source Interface). A source's input is
// divided into splits (a file, a range of generated indices), each an opaque byte string the
// source defines. The JobManager's SplitEnumerator, one per source operator, hands splits to the
// source's subtasks when they ask (engine/jobmanager/source_coordinator.h: kRequestSplit and
// kAddSplits messages); a subtask reads its splits one after another, each with a SplitReader.
// A checkpoint holds the enumerator's unassigned splits (taken when the checkpoint triggers) and
// each subtask's unfinished splits with their positions (taken at its barrier), so a restore
// re-reads exactly what the restored checkpoint had not covered, whichever subtask reads it.

// The reader of one split (Flink's SourceSplitReader and RecordEmitter for one split). Owned by
// its source task's fiber; calls may suspend.
class SplitReader {
 public:
  virtual ~SplitReader() = default;
  // Restores the position from Snapshot's bytes (empty: the split's start). kDataLoss when the
  // bytes are malformed or past the split's end.
  virtual Status Open(std::string_view position) = 0;
  // Reads up to `max_records` next records into the reader's batch, advancing the position past
  // them; returns how many (0 only once exhausted()). EmitFetched then hands the batch to the
  // chain. The task calls the two back to back, so that a snapshot never sees a position past
  // records not yet emitted (Flink's SourceReaderBase: a split fetcher, then a record emitter).
  virtual Result<size_t> Fetch(size_t max_records) = 0;
  virtual Status EmitFetched() = 0;
  virtual bool exhausted() const = 0;
  // Appends the position after the records handed out so far.
  virtual void Snapshot(std::string* out) const = 0;
};
// A reader of `split` (bytes the source's enumerator handed out) handing its records to
// `output` (a BatchConsumer of the source's record type). kDataLoss for malformed split bytes.
using SplitReaderFactory = std::function<Result<std::unique_ptr<SplitReader>>(
    const TaskContext& ctx, std::string_view split, ChainLink* output)>;

// The JobManager's split enumerator of one source operator (Flink's SplitEnumerator, without
// I/O: a source lists its splits with its SplitDiscovery first). Pure; one owner (the
// JobMaster's event loop); never suspends.
class SplitEnumerator {
 public:
  virtual ~SplitEnumerator() = default;
  // Subtask `subtask` has no split left to read and asks for more (Flink's
  // handleSplitRequest). Appends the splits it gets (possibly none) to *splits; returns true
  // once it will never get another (Flink's signalNoMoreSplits), then the subtask finishes.
  virtual bool HandleSplitRequest(int subtask, std::vector<std::string>* splits) = 0;
  // Splits assigned to `subtask` after the checkpoint a region failover restores it from come
  // back, in their assignment order, to be handed out again (Flink's addSplitsBack). They
  // belong to the next requests (a restarted subtask always asks), so an enumerator must not
  // have answered "no more splits" to a subtask that may need them.
  virtual void AddSplitsBack(std::vector<std::string> splits, int subtask) = 0;
  // Appends the splits not yet assigned, as the factory restores them (Flink's snapshotState).
  virtual void SnapshotState(std::string* out) const = 0;
};
// Creates a source's enumerator for `parallelism` subtasks: over `discovered` (SplitDiscovery's
// result) when a job starts from scratch, or from SnapshotState's bytes `restored`.
// kDataLoss for malformed state.
struct EnumeratorStart {
  int parallelism = 1;
  const std::vector<std::string>* discovered = nullptr;  // set when starting from scratch
  const std::string* restored = nullptr;                 // set when restoring
};
using EnumeratorFactory =
    std::function<Result<std::unique_ptr<SplitEnumerator>>(const EnumeratorStart& start)>;
// Lists a source's splits when a job starts from scratch (Flink's split discovery): run by the
// JobManager on its host, with the job's external services. May suspend; errors (a store down)
// are retried.
using SplitDiscovery = std::function<Result<std::vector<std::string>>(
    Host& host, const ExternalServices& services, int parallelism)>;

// The reference semantics of a source (the oracle's, scenarios/reference_evaluator.h): its
// splits of the job's input, and every record of one split, in order. `input_splits` is the
// job's input, split as the input store holds it (part-0, part-1, ...).
using ReferenceSplits = std::function<std::vector<std::string>(
    int parallelism, const std::vector<std::string>& input_splits)>;
using ReferenceSource = std::function<void(
    std::string_view split, const std::vector<std::string>& input_splits,
    const ReferenceEmit& emit)>;

// A source, whatever its record type: how it lists, assigns and reads splits, its reference
// semantics, and its rate limit.
struct SourceFunctions {
  SplitDiscovery discover;
  EnumeratorFactory make_enumerator;
  SplitReaderFactory make_reader;
  ReferenceSplits reference_splits;
  ReferenceSource reference;
  int64_t records_per_second = 0;  // over all subtasks (each takes its share); 0 = unthrottled
};
// A source of records of type T.
template <typename T>
struct Source : SourceFunctions {};

// A sink: its writer for one subtask, and what committing one record adds to the job's committed
// output (its reference semantics; unset if the sink declares none).
template <typename T>
struct Sink {
  std::function<std::unique_ptr<BatchConsumer<T>>(const TaskContext&)> make_writer;
  std::function<void(const T&, std::string* committed)> reference;
};

// Flink's ChainingStrategy: kAlways chains where it can, kHead starts a new chain at this
// operator (start_new_chain) but lets its consumers chain to it, kNever chains on neither side
// (disable_chaining).
enum class ChainingStrategy : uint8_t { kAlways, kHead, kNever };

struct StreamEdge {
  int id = 0;
  int source = 0;       // producing node
  int target = 0;       // consuming node
  int input_index = 0;  // which input of the target: 0, or 1 for a two-input operator's second
  Partitioner partitioner = Partitioner::kForward;
  WriterFactory make_writer;    // for the producer's record type and this partitioner
  DecoderFactory make_decoder;  // for the producer's record type
  ReferenceRoute reference_route;  // kHash and kCustom edges
  // The producer's side output this edge carries (engine/graph/side_outputs.h), "" for its main
  // output.
  std::string side_output;
};

struct OperatorNode {
  int id = 0;
  std::string name;
  int parallelism = 1;
  std::vector<int> inputs;   // edge ids into this node (a union has several)
  std::vector<int> outputs;  // edge ids out of this node, in creation order
  ChainingStrategy chaining = ChainingStrategy::kAlways;
  std::string slot_sharing_group = "default";
  bool is_source = false;
  SourceFunctions source;  // a source's splits, readers, reference and rate limit
  LinkFactory make_link;       // the operator (unset for a source)
  FanOutFactory make_fan_out;  // for the node's output type (unset for a sink)
  // The operator's reference semantics; unset for a source (the evaluator reads its input) and
  // for a sink that declares none (then no reference output exists for the job).
  ReferenceFactory make_reference;
  bool is_sink = false;
  // The operator can emit side outputs (its link takes TaskContext::side_outputs and its
  // reference BindSideOutputs).
  bool emits_side_outputs = false;
};

struct JobGraph {
  std::string name;
  int max_parallelism = 128;
  std::vector<OperatorNode> nodes;  // in creation order; producers precede their consumers
  std::vector<StreamEdge> edges;    // in creation order
};

struct Chain {
  int id = 0;
  std::vector<int> nodes;  // node ids, head first, producers before consumers
  int parallelism = 1;
  std::string name;               // "Source -> Tokenize"
  std::vector<int> input_edges;   // network edges into the head, in the head's input order
  std::vector<int> output_edges;  // network edges out of any node of the chain, by edge id
  std::vector<int> output_chains;  // the chain consuming each of output_edges
  bool is_source = false;          // the head is a source
  std::string slot_sharing_group;  // of every operator in the chain
  int first_slot = 0;  // subtask i runs in the job's slot first_slot + i (see SlotsRequired)
};

// Slot sharing (Flink's SlotSharingGroup): subtask i of every chain of one slot sharing group
// shares slot i of that group, so a group needs as many slots as its widest chain and the job the
// sum over its groups (groups in order of first appearance). BuildChains numbers the job's slots
// this way (Chain::first_slot); this returns their count.
int SlotsRequired(const std::vector<Chain>& chains);

// Whether `edge` joins its two operators into one chain (see the top of this file).
bool IsChainable(const JobGraph& graph, const StreamEdge& edge);

// Splits the graph into chains, numbered in the order of their heads. kInvalidArgument (naming
// the operator) for graphs that cannot run: node or edge ids that are not their positions, an
// edge from a later node, a forward edge between different parallelisms, a parallelism outside
// [1, max parallelism], a max parallelism outside [1, 32768], an operator without input that is
// not a source, or a network edge without writer or decoder.
Result<std::vector<Chain>> BuildChains(const JobGraph& graph);

// The chain each node belongs to, by node id (for chains from BuildChains(graph)).
std::vector<int> ChainOfNodes(const JobGraph& graph, const std::vector<Chain>& chains);

// The consumer subtasks [first, end) that producer subtask `producer` of a network edge is
// connected to, with `producers` and `consumers` subtasks on either side (Flink's
// DistributionPattern): POINTWISE for kForward (subtask i to i) and kRescale (subtask i to
// [i*c/p, max(i*c/p + 1, (i+1)*c/p)), the channels its round robin covers), ALL_TO_ALL for every
// other partitioner (SubtaskRange: engine/exchange/gates.h). Only connected pairs open a data
// channel, so barriers, watermarks and end of partition travel only where records can.
SubtaskRange ConsumersOfProducer(Partitioner partitioner, int producer, int producers,
                                 int consumers);
// The producer subtasks connected to consumer subtask `consumer`, ascending (the inverse).
std::vector<int> ProducersOfConsumer(Partitioner partitioner, int consumer, int producers,
                                     int consumers);

// The job's pipelined regions (Flink's SchedulingPipelinedRegion): every data exchange of a
// streaming job is pipelined, so a region is a connected component of the task graph whose
// edges are the connected (producer, consumer) subtask pairs above. A job whose network edges
// are all forward or rescale splits into several regions; an all-to-all edge merges every
// subtask on both of its sides into one. Each region lists its tasks (chain, subtask)
// ascending; regions are ordered by their first task. Region failover restarts only the
// regions of the failed tasks (engine/jobmanager/job_scheduler.h).
std::vector<std::vector<std::pair<int, int>>> PipelinedRegions(const JobGraph& graph,
                                                               const std::vector<Chain>& chains);

}  // namespace sluice
