// The DataStream API (after Flink's), as wide as the built-in jobs need: a line source, FlatMap,
// KeyBy with a keyed function over ValueState, and sinks. Each call appends an OperatorNode to the
// environment's JobGraph; the typed templates here produce the type-erased factories the runtime
// instantiates per subtask. Keys are strings (hashed with Java's String.hashCode, so key groups
// match Flink's). Building a graph never suspends; the links it creates run on task fibers.
//
//   StreamEnvironment env("wordcount");
//   env.AddLineSource("Source", {"input"}, 2)
//       .FlatMap<std::string>("Tokenize", tokenize)
//       .KeyBy([](const std::string& w) { return std::string_view(w); })
//       .Process<int64_t, std::pair<std::string, int64_t>>("Count", 4, count)
//       .AddSink("Sink", file_sink);
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "engine/graph/chain.h"
#include "engine/base/serializer.h"
#include "engine/base/assert.h"
#include "engine/graph/job_graph.h"
#include "engine/partition/key_group.h"
#include "engine/state/keyed_state.h"

namespace sluice {

template <typename T>
class DataStream;
template <typename T>
class KeyedStream;

class StreamEnvironment {
 public:
  explicit StreamEnvironment(std::string job_name, int max_parallelism = kDefaultMaxParallelism) {
    graph_.name = std::move(job_name);
    graph_.max_parallelism = max_parallelism;
  }
  // Lines (without '\n') of the files part-0 .. part-(parallelism-1) under `spec.input_dir`.
  DataStream<std::string> AddLineSource(std::string name, SourceSpec spec, int parallelism);
  const JobGraph& graph() const { return graph_; }

 private:
  template <typename T>
  friend class DataStream;
  template <typename T>
  friend class KeyedStream;
  OperatorNode& AddNode(std::string name, int parallelism, int input) {
    OperatorNode node;
    node.id = static_cast<int>(graph_.nodes.size());
    node.name = std::move(name);
    node.parallelism = parallelism;
    node.input = input;
    graph_.nodes.push_back(std::move(node));
    return graph_.nodes.back();
  }
  JobGraph graph_;
};

namespace internal {

template <typename In, typename Out>
class FlatMapLink final : public BatchConsumer<In> {
 public:
  using Function = std::function<void(const In&, Collector<Out>&)>;
  FlatMapLink(Function fn, BatchConsumer<Out>* next) : fn_(std::move(fn)), next_(next) {}
  Status Consume(std::span<const In> batch) override {
    out_.Clear();
    for (const In& record : batch) fn_(record, out_);
    return out_.size() == 0 ? Status::Ok() : next_->Consume(out_.view());
  }

 private:
  Function fn_;
  BatchConsumer<Out>* next_;
  Collector<Out> out_;
};

template <typename In, typename S, typename Out>
class KeyedProcessLink final : public BatchConsumer<In> {
 public:
  using KeyFunction = std::function<std::string_view(const In&)>;
  using Function = std::function<void(const In&, ValueState<S>&, Collector<Out>&)>;
  KeyedProcessLink(const TaskContext& ctx, KeyFunction key_fn, Function fn,
                   BatchConsumer<Out>* next)
      : key_fn_(std::move(key_fn)),
        fn_(std::move(fn)),
        next_(next),
        backend_(ctx.max_parallelism,
                 KeyGroupRangeForOperator(ctx.max_parallelism, ctx.parallelism, ctx.subtask)),
        what_(ctx.task_name) {}
  Status Open(std::string_view restored) override {
    return restored.empty() ? Status::Ok() : backend_.Restore(restored, what_);
  }
  Status Consume(std::span<const In> batch) override {
    out_.Clear();
    for (const In& record : batch) {
      // The sender computed the key's group to route it here; the backend recomputes it only for
      // a key it has not seen (see keyed_state.h), not per record.
      ValueState<S> state(&backend_.GetOrCreate(key_fn_(record)));
      fn_(record, state, out_);
    }
    return out_.size() == 0 ? Status::Ok() : next_->Consume(out_.view());
  }
  Status Snapshot(int64_t checkpoint_id, std::string* out) override {
    backend_.Snapshot(out);
    return Status::Ok();
  }

 private:
  KeyFunction key_fn_;
  Function fn_;
  BatchConsumer<Out>* next_;
  HeapValueStateBackend<S> backend_;
  std::string what_;
  Collector<Out> out_;
};

// The record writer of a hash-partitioned edge: key → key group → consumer subtask, records
// serialized into one reused buffer per channel, sent when the buffer reaches
// kBufferSizeBytesMax and at every barrier (Snapshot) and at end of input.
template <typename T>
class HashPartitionWriter final : public BatchConsumer<T> {
 public:
  static constexpr size_t kBufferSizeBytesMax = 32 * 1024;
  using KeyFunction = std::function<std::string_view(const T&)>;
  HashPartitionWriter(const TaskContext& ctx, KeyFunction key_fn)
      : key_fn_(std::move(key_fn)),
        gate_(ctx.output),
        max_parallelism_(ctx.max_parallelism),
        consumers_(ctx.output_parallelism),
        buffers_(ctx.output_parallelism),
        counts_(ctx.output_parallelism, 0) {}
  Status Consume(std::span<const T> batch) override {
    for (const T& record : batch) {
      const std::string_view key = key_fn_(record);
      const int channel = OperatorIndexForKeyGroup(max_parallelism_, consumers_,
                                                   KeyGroupForKey(key, max_parallelism_));
      ByteWriter w(&buffers_[channel]);
      Serializer<T>::Write(w, record);
      ++counts_[channel];
      if (buffers_[channel].size() >= kBufferSizeBytesMax) RETURN_IF_ERROR(Flush(channel));
    }
    return Status::Ok();
  }
  Status Snapshot(int64_t, std::string*) override { return FlushAll(); }
  Status EndOfInput() override { return FlushAll(); }
  Status FlushBuffers() override { return FlushAll(); }

 private:
  Status Flush(int channel) {
    if (counts_[channel] == 0) return Status::Ok();
    Status s = gate_->SendRecords(channel, buffers_[channel], counts_[channel]);
    buffers_[channel].clear();  // keeps capacity
    counts_[channel] = 0;
    return s;
  }
  Status FlushAll() {
    for (int c = 0; c < consumers_; ++c) RETURN_IF_ERROR(Flush(c));
    return Status::Ok();
  }
  KeyFunction key_fn_;
  OutputGate* gate_;
  int max_parallelism_;
  int consumers_;
  std::vector<std::string> buffers_;
  std::vector<uint32_t> counts_;
};

template <typename T>
class TypedDecoder final : public RecordDecoder {
 public:
  explicit TypedDecoder(BatchConsumer<T>* head) : head_(head) {}
  Status Decode(std::string_view records, uint32_t count) override {
    batch_.Clear();
    ByteReader r(records);
    for (uint32_t i = 0; i < count; ++i) {
      if (!Serializer<T>::Read(r, &batch_.Next())) return DataLossError("malformed record batch");
    }
    if (!r.empty()) return DataLossError("trailing bytes in record batch");
    return head_->Consume(batch_.view());
  }

 private:
  BatchConsumer<T>* head_;
  Collector<T> batch_;
};

template <typename T>
BatchConsumer<T>* As(ChainLink* link) {
  auto* typed = dynamic_cast<BatchConsumer<T>*>(link);
  SLUICE_ASSERT(typed != nullptr, "chain links disagree on the record type");
  return typed;
}

}  // namespace internal

template <typename T>
class DataStream {
 public:
  DataStream(StreamEnvironment* env, int node) : env_(env), node_(node) {}

  template <typename Out>
  DataStream<Out> FlatMap(std::string name, typename internal::FlatMapLink<T, Out>::Function fn) {
    const int parallelism = env_->graph_.nodes[node_].parallelism;
    OperatorNode& node = env_->AddNode(std::move(name), parallelism, node_);
    node.make_link = [fn](const TaskContext&, ChainLink* next) -> std::unique_ptr<ChainLink> {
      return std::make_unique<internal::FlatMapLink<T, Out>>(fn, internal::As<Out>(next));
    };
    return DataStream<Out>(env_, node.id);
  }

  KeyedStream<T> KeyBy(std::function<std::string_view(const T&)> key_fn);

  // `make_sink` builds the sink's chain link for a subtask; it runs with this stream's parallelism.
  void AddSink(std::string name,
               std::function<std::unique_ptr<BatchConsumer<T>>(const TaskContext&)> make_sink) {
    const int parallelism = env_->graph_.nodes[node_].parallelism;
    OperatorNode& node = env_->AddNode(std::move(name), parallelism, node_);
    node.make_link = [make_sink](const TaskContext& ctx, ChainLink*) -> std::unique_ptr<ChainLink> {
      return make_sink(ctx);
    };
  }

 private:
  StreamEnvironment* env_;
  int node_;
};

template <typename T>
class KeyedStream {
 public:
  KeyedStream(StreamEnvironment* env, int node, std::function<std::string_view(const T&)> key_fn)
      : env_(env), node_(node), key_fn_(std::move(key_fn)) {}

  // A keyed function with one ValueState<S> per key (S{} before the first update).
  template <typename S, typename Out>
  DataStream<Out> Process(std::string name, int parallelism,
                          typename internal::KeyedProcessLink<T, S, Out>::Function fn) {
    OperatorNode& node = env_->AddNode(std::move(name), parallelism, node_);
    node.partitioning = Partitioning::kHash;
    auto key_fn = key_fn_;
    node.make_link = [key_fn, fn](const TaskContext& ctx,
                                  ChainLink* next) -> std::unique_ptr<ChainLink> {
      return std::make_unique<internal::KeyedProcessLink<T, S, Out>>(ctx, key_fn, fn,
                                                                     internal::As<Out>(next));
    };
    return DataStream<Out>(env_, node.id);
  }

 private:
  StreamEnvironment* env_;
  int node_;
  std::function<std::string_view(const T&)> key_fn_;
};

template <typename T>
KeyedStream<T> DataStream<T>::KeyBy(std::function<std::string_view(const T&)> key_fn) {
  OperatorNode& node = env_->graph_.nodes[node_];
  node.make_hash_writer = [key_fn](const TaskContext& ctx,
                                   ChainLink*) -> std::unique_ptr<ChainLink> {
    return std::make_unique<internal::HashPartitionWriter<T>>(ctx, key_fn);
  };
  node.make_decoder = [](ChainLink* head) -> std::unique_ptr<RecordDecoder> {
    return std::make_unique<internal::TypedDecoder<T>>(internal::As<T>(head));
  };
  return KeyedStream<T>(env_, node_, std::move(key_fn));
}

inline DataStream<std::string> StreamEnvironment::AddLineSource(std::string name, SourceSpec spec,
                                                                int parallelism) {
  OperatorNode& node = AddNode(std::move(name), parallelism, -1);
  node.is_source = true;
  node.source = std::move(spec);
  return DataStream<std::string>(this, node.id);
}

}  // namespace sluice
