// The DataStream API (names after Flink's DataStream API). Each call appends operators
// (OperatorNode) and edges (StreamEdge) to the environment's JobGraph; the typed templates here
// produce the type-erased factories the runtime instantiates per subtask. Building a graph never
// suspends; the links it creates run on task fibers.
//
//   StreamEnvironment env("wordcount");
//   env.SetParallelism(4);                                   // parallelism.default
//   env.AddSource("Source", LineSource({"input"}), 2)         // engine/connectors/line_source.h
//       .FlatMap<std::string>("Tokenize", tokenize).SetParallelism(2)
//       .KeyBy([](const std::string& w) { return std::string_view(w); })
//       .Process<int64_t, std::pair<std::string, int64_t>>("Count", count)
//       .AddSink("Sink", file_sink);
//   ASSIGN_OR_RETURN(JobGraph graph, env.Build());
//
// As in Flink:
//   - A new operator runs at the environment's parallelism unless SetParallelism says otherwise
//     (sources take theirs explicitly).
//   - An edge without an explicit partitioner is forward when both ends have the same
//     parallelism and rebalance otherwise (decided at Build, after every SetParallelism).
//     Forward() between different parallelisms is an error at Build.
//   - Union (several streams into one operator) adds one edge per stream; each keeps its
//     partitioner. Connect gives a two-input operator (CoMap, CoFlatMap).
//   - Keys (KeyBy) may be any type with a Serializer and a KeyHash (engine/partition/key_hash.h):
//     strings hash as Java's String.hashCode and integers as Integer/Long.hashCode, so a key lands
//     in the key group Flink would put it in. A key function may return std::string_view into the
//     record to avoid a copy.
// Misuse (SetParallelism on a union, a parallelism < 1) is reported by Build as kInvalidArgument
// naming the operator.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/api/keyed_process_function.h"
#include "engine/api/operators.h"
#include "engine/api/partitioners.h"
#include "engine/api/reference_operators.h"
#include "engine/api/watermark_strategy.h"
#include "engine/api/windows.h"
#include "engine/base/assert.h"
#include "engine/base/serializer.h"
#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"
#include "engine/partition/key_group.h"
#include "engine/partition/key_hash.h"
#include "engine/state/keyed_state.h"
#include "engine/state/keyed_state_store.h"

namespace sluice {

template <typename T>
class DataStream;
template <typename T, typename K>
class KeyedStream;
template <typename T1, typename T2>
class ConnectedStreams;
template <typename T1, typename T2, typename K>
class KeyedConnectedStreams;
template <typename T1, typename T2>
class JoinedStreams;
template <typename B>
class BroadcastStream;
template <typename T, typename B>
class BroadcastConnectedStreams;
template <typename T, typename K>
class WindowedStream;
class DataStreamSink;

// The writer factory of an edge once its partitioner is known (defaults resolve at Build).
using WriterForPartitioner = std::function<WriterFactory(Partitioner)>;

class StreamEnvironment {
 public:
  explicit StreamEnvironment(std::string job_name, int max_parallelism = kDefaultMaxParallelism) {
    graph_.name = std::move(job_name);
    graph_.max_parallelism = max_parallelism;
  }
  // The parallelism of operators that set none (Flink's parallelism.default); 1 if never set.
  void SetParallelism(int parallelism) { parallelism_ = parallelism; }
  int parallelism() const { return parallelism_; }

  // A source (e.g. LineSource, engine/connectors/line_source.h; DataGeneratorSource) read by
  // `parallelism` subtasks, which get its splits from its enumerator on the JobManager.
  template <typename T>
  DataStream<T> AddSource(std::string name, Source<T> source, int parallelism);

  // The finished graph: default partitioners resolved, every writer set. kInvalidArgument for the
  // first misuse recorded while building. Call once, after the last API call.
  Result<JobGraph> Build();

 private:
  template <typename T>
  friend class DataStream;
  template <typename T, typename K>
  friend class KeyedStream;
  template <typename T1, typename T2>
  friend class ConnectedStreams;
  template <typename T1, typename T2, typename K>
  friend class KeyedConnectedStreams;
  template <typename T1, typename B>
  friend class BroadcastConnectedStreams;
  template <typename T1, typename K, typename B>
  friend class KeyedBroadcastConnectedStreams;
  template <typename Self>
  friend class OperatorSettings;

  int AddNode(std::string name, LinkFactory make_link, FanOutFactory make_fan_out,
              ReferenceFactory make_reference) {
    OperatorNode node;
    node.id = static_cast<int>(graph_.nodes.size());
    node.name = std::move(name);
    node.parallelism = parallelism_;
    node.make_link = std::move(make_link);
    node.make_fan_out = std::move(make_fan_out);
    node.make_reference = std::move(make_reference);
    graph_.nodes.push_back(std::move(node));
    return graph_.nodes.back().id;
  }
  void AddEdge(int source, int target, int input_index, Partitioner partitioner, bool defaulted,
               WriterForPartitioner writer_for, DecoderFactory make_decoder,
               ReferenceRoute reference_route, std::string side_output) {
    StreamEdge edge;
    edge.side_output = std::move(side_output);
    edge.id = static_cast<int>(graph_.edges.size());
    edge.source = source;
    edge.target = target;
    edge.input_index = input_index;
    edge.partitioner = partitioner;
    edge.make_decoder = std::move(make_decoder);
    edge.reference_route = std::move(reference_route);
    graph_.nodes[source].outputs.push_back(edge.id);
    graph_.nodes[target].inputs.push_back(edge.id);
    graph_.edges.push_back(std::move(edge));
    drafts_.push_back(EdgeDraft{defaulted, std::move(writer_for)});
  }
  OperatorNode* Node(int node, const char* what) {
    if (node >= 0) return &graph_.nodes[node];
    Fail(std::string(what) + " applies to one operator's output, not to a union");
    return nullptr;
  }
  void Fail(std::string message) {
    if (error_.ok()) error_ = InvalidArgumentError(graph_.name + ": " + message);
  }

  struct EdgeDraft {
    bool defaulted = false;  // no partitioner given: forward if parallelisms match, else rebalance
    WriterForPartitioner writer_for;
  };
  JobGraph graph_;
  std::vector<EdgeDraft> drafts_;  // by edge id
  int parallelism_ = 1;
  Status error_;
};

// Settings of the operator that produced a stream (Flink's SingleOutputStreamOperator setters).
template <typename Self>
class OperatorSettings {
 public:
  Self& SetParallelism(int parallelism) {
    if (OperatorNode* node = env()->Node(node_id(), "SetParallelism")) {
      if (parallelism < 1) env()->Fail("operator '" + node->name + "': parallelism must be >= 1");
      node->parallelism = parallelism;
    }
    return self();
  }
  // Begin a new chain at this operator; its consumers may still chain to it.
  Self& StartNewChain() { return SetChaining(ChainingStrategy::kHead, "StartNewChain"); }
  // Chain this operator neither to its input nor to its consumers.
  Self& DisableChaining() { return SetChaining(ChainingStrategy::kNever, "DisableChaining"); }
  // Operators of different slot sharing groups never share a slot (nor a chain).
  Self& SlotSharingGroup(std::string group) {
    if (OperatorNode* node = env()->Node(node_id(), "SlotSharingGroup")) {
      node->slot_sharing_group = std::move(group);
    }
    return self();
  }

 private:
  Self& SetChaining(ChainingStrategy strategy, const char* what) {
    if (OperatorNode* node = env()->Node(node_id(), what)) node->chaining = strategy;
    return self();
  }
  Self& self() { return static_cast<Self&>(*this); }
  StreamEnvironment* env() { return self().env_; }
  int node_id() { return self().operator_node(); }
};

// The handle of a sink, to set its parallelism, chaining and slot sharing group.
class DataStreamSink : public OperatorSettings<DataStreamSink> {
 public:
  DataStreamSink(StreamEnvironment* env, int node) : env_(env), node_(node) {}
  int operator_node() const { return node_; }

 private:
  friend class OperatorSettings<DataStreamSink>;
  StreamEnvironment* env_;
  int node_;
};

template <typename T>
class DataStream : public OperatorSettings<DataStream<T>> {
 public:
  // One input of a consuming operator: a producing node and how the edge partitions.
  struct Part {
    int node = 0;
    Partitioner partitioner = Partitioner::kForward;
    bool defaulted = true;
    WriterForPartitioner writer_for;
    ReferenceRoute reference_route;  // kHash and kCustom
    std::string side_output;         // "" for the main output
  };

  DataStream(StreamEnvironment* env, int node)
      : env_(env),
        parts_{Part{node, Partitioner::kForward, true, UnkeyedWriters(), nullptr, ""}} {}

  // The producing operator, or -1 for a union of several.
  int operator_node() const { return parts_.size() == 1 ? parts_[0].node : -1; }
  // The producing operator's parallelism as set so far (a union's first part's), so that a
  // following operator can run at the same parallelism and chain to it.
  int Parallelism() const { return env_->graph_.nodes[parts_[0].node].parallelism; }

  // One output record per input record (Flink's MapFunction).
  template <typename F, typename Out = std::decay_t<std::invoke_result_t<F&, const T&>>>
  DataStream<Out> Map(std::string name, F fn) {
    std::function<Out(const T&)> map = std::move(fn);
    return Then<Out>(
        std::move(name),
        [map](const TaskContext&, ChainLink* next) {
          return std::unique_ptr<ChainLink>(
              std::make_unique<internal::MapLink<T, Out>>(map, internal::As<Out>(next)));
        },
        Reference<Out>([map](const T& record, Collector<Out>& out) { out.Emit(map(record)); }));
  }
  // Zero or more output records per input record (Flink's FlatMapFunction).
  template <typename Out>
  DataStream<Out> FlatMap(std::string name, typename internal::FlatMapLink<T, Out>::Function fn) {
    return Then<Out>(
        std::move(name),
        [fn](const TaskContext&, ChainLink* next) {
          return std::unique_ptr<ChainLink>(
              std::make_unique<internal::FlatMapLink<T, Out>>(fn, internal::As<Out>(next)));
        },
        Reference<Out>(fn));
  }
  // A ProcessFunction (engine/api/operators.h); `factory` makes one per operator instance.
  template <typename Out>
  DataStream<Out> Process(std::string name,
                          std::function<std::unique_ptr<ProcessFunction<T, Out>>()> factory) {
    DataStream<Out> out = Then<Out>(
        std::move(name),
        [factory](const TaskContext& ctx, ChainLink* next) {
          return std::unique_ptr<ChainLink>(std::make_unique<internal::ProcessFunctionLink<T, Out>>(
              ctx, factory(), internal::As<Out>(next)));
        },
        [factory]() -> std::unique_ptr<ReferenceOperator> {
          return std::make_unique<internal::ReferenceProcessFunction<T, Out>>(factory());
        });
    env_->graph_.nodes[out.operator_node()].emits_side_outputs = true;
    return out;
  }

  // The records the producing operator emitted to side output `tag` (Flink's getSideOutput):
  // operators with a Context (Process, keyed Process, windows, KeyedCoProcess) emit them. Build
  // fails, naming the operator, for any other.
  template <typename X>
  DataStream<X> GetSideOutput(const OutputTag<X>& tag) const {
    const int node = operator_node();
    if (node < 0) {
      env_->Fail("GetSideOutput applies to one operator's output, not to a union");
      return DataStream<X>(env_, parts_[0].node);
    }
    if (!env_->graph_.nodes[node].emits_side_outputs) {
      env_->Fail("operator '" + env_->graph_.nodes[node].name +
                 "' has no side outputs (only Process, keyed Process, windows and "
                 "KeyedCoProcess emit them)");
    }
    DataStream<X> side(env_, node);
    side.parts_[0].side_output = tag.id;
    return side;
  }

  // The records for which `fn` is true (Flink's FilterFunction).
  DataStream<T> Filter(std::string name, std::function<bool(const T&)> fn) {
    return Then<T>(
        std::move(name),
        [fn](const TaskContext&, ChainLink* next) {
          return std::unique_ptr<ChainLink>(
              std::make_unique<internal::FilterLink<T>>(fn, internal::As<T>(next)));
        },
        Reference<T>([fn](const T& record, Collector<T>& out) {
          if (fn(record)) out.Emit(record);
        }));
  }

  // This stream's records and `other`'s, as one stream (no operator of its own).
  DataStream<T> Union(const DataStream<T>& other) const {
    DataStream<T> merged = *this;
    merged.parts_.insert(merged.parts_.end(), other.parts_.begin(), other.parts_.end());
    return merged;
  }
  template <typename T2>
  ConnectedStreams<T, T2> Connect(const DataStream<T2>& other) const {
    return ConnectedStreams<T, T2>(*this, other);
  }
  // With a broadcast stream: a BroadcastProcessFunction with broadcast state
  // (engine/api/broadcast.h).
  template <typename B>
  BroadcastConnectedStreams<T, B> Connect(const BroadcastStream<B>& other) const;
  // A window join with `other` (engine/api/joins.h): .Where(k1).EqualTo(k2).Window(a).Apply(fn).
  template <typename T2>
  JoinedStreams<T, T2> Join(const DataStream<T2>& other) const;

  // Partitions by key (Flink's keyBy): K is what `key_fn` returns.
  template <typename F, typename K = std::decay_t<std::invoke_result_t<F&, const T&>>>
  KeyedStream<T, K> KeyBy(F key_fn) const {
    std::function<K(const T&)> key_of = std::move(key_fn);
    DataStream<T> keyed = WithPartitioner(
        Partitioner::kHash,
        [key_of](Partitioner) { return internal::MakeHashWriter<T, K>(key_of); },
        internal::MakeHashRoute<T, K>(key_of));
    return KeyedStream<T, K>(std::move(keyed), key_of);
  }

  // Event time (engine/api/watermark_strategy.h): gives each record its timestamp and emits
  // watermarks; runs at this stream's parallelism, chained to it.
  DataStream<T> AssignTimestampsAndWatermarks(WatermarkStrategy<T> strategy) {
    const int parallelism = env_->graph_.nodes[parts_[0].node].parallelism;
    auto assigner = strategy.timestamp_assigner;
    if (strategy.idle_timeout_ms <= 0) {
      env_->Fail("Timestamps/Watermarks: the idle timeout must be positive, not " +
                 std::to_string(strategy.idle_timeout_ms) + " ms");
    }
    DataStream<T> out = Then<T>(
        "Timestamps/Watermarks",
        [strategy](const TaskContext& ctx, ChainLink* next) {
          return std::unique_ptr<ChainLink>(
              std::make_unique<internal::TimestampsAndWatermarksLink<T>>(
                  strategy, ctx.host, ctx.task_name, internal::As<T>(next)));
        },
        [assigner]() -> std::unique_ptr<ReferenceOperator> {
          return std::make_unique<internal::ReferenceTimestamps<T>>(assigner);
        });
    env_->graph_.nodes[out.operator_node()].parallelism = parallelism;
    return out;
  }

  // Partitioning of the edge into the next operator.
  DataStream<T> Forward() const { return WithPartitioner(Partitioner::kForward); }
  DataStream<T> Rebalance() const { return WithPartitioner(Partitioner::kRebalance); }
  DataStream<T> Rescale() const { return WithPartitioner(Partitioner::kRescale); }
  DataStream<T> Shuffle() const { return WithPartitioner(Partitioner::kShuffle); }
  DataStream<T> Broadcast() const { return WithPartitioner(Partitioner::kBroadcast); }
  DataStream<T> Global() const { return WithPartitioner(Partitioner::kGlobal); }
  // `partitioner(key, channels)` picks the consumer subtask in [0, channels) of each record's
  // key; any other result fails the task (Flink's partitionCustom).
  template <typename P, typename F, typename K = std::decay_t<std::invoke_result_t<F&, const T&>>>
  DataStream<T> PartitionCustom(P partitioner_fn, F key_fn) const {
    std::function<int(const K&, int)> partitioner = std::move(partitioner_fn);
    std::function<K(const T&)> key_of = std::move(key_fn);
    std::function<int(const T&, int)> select = [partitioner, key_of](const T& r, int channels) {
      return partitioner(key_of(r), channels);
    };
    return WithPartitioner(
        Partitioner::kCustom, [select](Partitioner) { return internal::MakeCustomWriter<T>(select); },
        internal::MakeCustomRoute<T>(select));
  }

  // A sink (e.g. MakeFileSink). One without reference semantics makes a job the simulator
  // cannot judge (scenarios refuse it, naming the sink).
  DataStreamSink AddSink(std::string name, Sink<T> sink) {
    auto make_writer = sink.make_writer;
    ReferenceFactory reference;
    if (sink.reference) {
      reference = [committed = sink.reference]() -> std::unique_ptr<ReferenceOperator> {
        return std::make_unique<internal::ReferenceSink<T>>(committed);
      };
    }
    const int node = env_->AddNode(
        std::move(name),
        [make_writer](const TaskContext& ctx, ChainLink*) -> std::unique_ptr<ChainLink> {
          return make_writer(ctx);
        },
        nullptr, std::move(reference));
    env_->graph_.nodes[node].is_sink = true;
    ConnectTo(node, 0);
    return DataStreamSink(env_, node);
  }

 private:
  friend class OperatorSettings<DataStream<T>>;
  template <typename U>
  friend class DataStream;
  template <typename U, typename K>
  friend class KeyedStream;
  template <typename T1, typename T2>
  friend class ConnectedStreams;
  template <typename T1, typename T2, typename K>
  friend class KeyedConnectedStreams;
  template <typename T1, typename B>
  friend class BroadcastConnectedStreams;
  template <typename T1, typename K, typename B>
  friend class KeyedBroadcastConnectedStreams;

  static WriterForPartitioner UnkeyedWriters() {
    return [](Partitioner p) { return internal::MakeWriter<T>(p); };
  }
  DataStream<T> WithPartitioner(Partitioner partitioner,
                                WriterForPartitioner writer_for = UnkeyedWriters(),
                                ReferenceRoute route = nullptr) const {
    DataStream<T> out = *this;
    for (Part& part : out.parts_) {
      part.partitioner = partitioner;
      part.defaulted = false;
      part.writer_for = writer_for;
      part.reference_route = route;
    }
    return out;
  }
  // The reference semantics of a one-input operator that collects fn's output per record.
  template <typename Out>
  static ReferenceFactory Reference(std::function<void(const T&, Collector<Out>&)> fn) {
    return [fn]() -> std::unique_ptr<ReferenceOperator> {
      return std::make_unique<internal::ReferenceFlatMap<T, T, Out>>(fn, nullptr);
    };
  }
  // Adds the edges from every part of this stream into input `input_index` of `node`.
  void ConnectTo(int node, int input_index) const {
    for (const Part& part : parts_) {
      env_->AddEdge(part.node, node, input_index, part.partitioner, part.defaulted,
                    part.writer_for, internal::MakeDecoder<T>(), part.reference_route,
                    part.side_output);
    }
  }
  template <typename Out>
  DataStream<Out> Then(std::string name, LinkFactory make_link, ReferenceFactory make_reference) {
    const int node = env_->AddNode(std::move(name), std::move(make_link),
                                   internal::MakeFanOut<Out>(), std::move(make_reference));
    ConnectTo(node, 0);
    return DataStream<Out>(env_, node);
  }

  StreamEnvironment* env_;
  std::vector<Part> parts_;
};

template <typename T1, typename T2>
class ConnectedStreams {
 public:
  ConnectedStreams(DataStream<T1> first, DataStream<T2> second)
      : first_(std::move(first)), second_(std::move(second)) {}

  // Flink's CoFlatMapFunction: fn1 for the first input's records, fn2 for the second's.
  template <typename Out>
  DataStream<Out> FlatMap(std::string name, std::function<void(const T1&, Collector<Out>&)> fn1,
                          std::function<void(const T2&, Collector<Out>&)> fn2) {
    StreamEnvironment* env = first_.env_;
    const int node = env->AddNode(
        std::move(name),
        [fn1, fn2](const TaskContext&, ChainLink* next) -> std::unique_ptr<ChainLink> {
          return std::make_unique<internal::CoFlatMapLink<T1, T2, Out>>(fn1, fn2,
                                                                         internal::As<Out>(next));
        },
        internal::MakeFanOut<Out>(),
        [fn1, fn2]() -> std::unique_ptr<ReferenceOperator> {
          return std::make_unique<internal::ReferenceFlatMap<T1, T2, Out>>(fn1, fn2);
        });
    first_.ConnectTo(node, 0);
    second_.ConnectTo(node, 1);
    return DataStream<Out>(env, node);
  }
  // Flink's CoMapFunction: one output record per input record of either input.
  template <typename Out>
  DataStream<Out> Map(std::string name, std::function<Out(const T1&)> fn1,
                      std::function<Out(const T2&)> fn2) {
    return FlatMap<Out>(
        std::move(name), [fn1](const T1& r, Collector<Out>& out) { out.Emit(fn1(r)); },
        [fn2](const T2& r, Collector<Out>& out) { out.Emit(fn2(r)); });
  }
  // Flink's CoProcessFunction (engine/api/operators.h); `factory` makes one per operator instance.
  template <typename Out>
  DataStream<Out> Process(
      std::string name,
      std::function<std::unique_ptr<CoProcessFunction<T1, T2, Out>>()> factory) {
    auto fn = std::shared_ptr<CoProcessFunction<T1, T2, Out>>(factory());
    auto ctx = std::make_shared<ProcessContext>();
    // One function object serves every instance: it keeps no state (see CoProcessFunction).
    return FlatMap<Out>(
        std::move(name),
        [fn, ctx](const T1& r, Collector<Out>& out) {
          ctx->SetTimestamp(out.current_timestamp());
          fn->ProcessElement1(r, *ctx, out);
        },
        [fn, ctx](const T2& r, Collector<Out>& out) {
          ctx->SetTimestamp(out.current_timestamp());
          fn->ProcessElement2(r, *ctx, out);
        });
  }

  // Both inputs partitioned by a key of one type K (Flink's ConnectedStreams.keyBy): records of
  // either input with equal keys meet in one operator instance, with keyed state and timers.
  template <typename F1, typename F2,
            typename K = std::decay_t<std::invoke_result_t<F1&, const T1&>>>
  KeyedConnectedStreams<T1, T2, K> KeyBy(F1 key_fn1, F2 key_fn2) const {
    static_assert(std::is_same_v<K, std::decay_t<std::invoke_result_t<F2&, const T2&>>>,
                  "both key functions must return the same key type");
    return KeyedConnectedStreams<T1, T2, K>(first_.KeyBy(std::move(key_fn1)),
                                            second_.KeyBy(std::move(key_fn2)));
  }

 private:
  DataStream<T1> first_;
  DataStream<T2> second_;
};

// Two streams keyed by the same key type, for a KeyedCoProcessFunction
// (engine/api/keyed_process_function.h) or the joins of engine/api/joins.h.
template <typename T1, typename T2, typename K>
class KeyedConnectedStreams {
 public:
  KeyedConnectedStreams(KeyedStream<T1, K> first, KeyedStream<T2, K> second)
      : first_(std::move(first)), second_(std::move(second)) {}

  // Fails Build with `message` (for the join builders of engine/api/joins.h).
  void Invalid(std::string message) { first_.stream_.env_->Fail(std::move(message)); }

  template <typename Out>
  DataStream<Out> Process(std::string name,
                          KeyedCoProcessFunctionFactory<K, T1, T2, Out> factory) {
    auto key_of1 = first_.key_of_;
    auto key_of2 = second_.key_of_;
    StreamEnvironment* env = first_.stream_.env_;
    const int node = env->AddNode(
        std::move(name),
        [key_of1, key_of2, factory](const TaskContext& ctx,
                                    ChainLink* next) -> std::unique_ptr<ChainLink> {
          return std::make_unique<internal::KeyedCoProcessFunctionLink<T1, T2, K, Out>>(
              ctx, key_of1, key_of2, factory, internal::As<Out>(next));
        },
        internal::MakeFanOut<Out>(),
        [key_of1, key_of2, factory]() -> std::unique_ptr<ReferenceOperator> {
          return std::make_unique<internal::ReferenceKeyedCoProcessFunction<T1, T2, K, Out>>(
              key_of1, key_of2, factory);
        });
    env->graph_.nodes[node].emits_side_outputs = true;
    first_.stream_.ConnectTo(node, 0);
    second_.stream_.ConnectTo(node, 1);
    return DataStream<Out>(env, node);
  }

 private:
  KeyedStream<T1, K> first_;
  KeyedStream<T2, K> second_;
};

template <typename T>
DataStream<T> StreamEnvironment::AddSource(std::string name, Source<T> source, int parallelism) {
  const int id = AddNode(std::move(name), nullptr, internal::MakeFanOut<T>(), nullptr);
  OperatorNode& node = graph_.nodes[id];
  node.is_source = true;
  node.source = std::move(source);
  node.parallelism = parallelism;
  if (parallelism < 1) Fail("source '" + node.name + "': parallelism must be >= 1");
  if (!node.source.make_reader || !node.source.make_enumerator || !node.source.discover) {
    Fail("source '" + node.name + "' has no reader, enumerator or split discovery");
  }
  return DataStream<T>(this, id);
}

inline Result<JobGraph> StreamEnvironment::Build() {
  RETURN_IF_ERROR(error_);
  JobGraph graph = graph_;
  for (StreamEdge& edge : graph.edges) {
    const EdgeDraft& draft = drafts_[edge.id];
    if (draft.defaulted) {
      edge.partitioner =
          graph.nodes[edge.source].parallelism == graph.nodes[edge.target].parallelism
              ? Partitioner::kForward
              : Partitioner::kRebalance;
    }
    edge.make_writer = draft.writer_for(edge.partitioner);
  }
  return graph;
}

}  // namespace sluice

// KeyedStream, WindowedStream and the joins (defined after DataStream, which they build on).
#include "engine/api/keyed_stream.h"  // IWYU pragma: export
#include "engine/api/joins.h"  // IWYU pragma: export
#include "engine/api/broadcast.h"  // IWYU pragma: export
