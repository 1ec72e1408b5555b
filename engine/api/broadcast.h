// Broadcast state (Flink's broadcast state pattern): a stream connected with a BroadcastStream
// runs a BroadcastProcessFunction. Every record of the broadcast input reaches every subtask
// (ProcessBroadcastElement), which may update its broadcast state; the main input's records
// (ProcessElement) may only read it. Each subtask keeps its own copy, checkpointed with the
// subtask and restored into it (the same parallelism; issue 9 adds rescaling, where Flink gives
// each new subtask one old subtask's copy).
//
//   class Filter : public BroadcastProcessFunction<Event, Rule, Event> {
//     BroadcastState<std::string, int64_t>* rules_ = nullptr;
//     void Open(BroadcastStateStore& state) override { rules_ = &state.Get<std::string, int64_t>("rules"); }
//     void ProcessBroadcastElement(const Rule& r, Context&, Collector<Event>&) override {
//       rules_->put(r.name, r.limit);
//     }
//     void ProcessElement(const Event& e, Context&, Collector<Event>& out) override {
//       if (const int64_t* limit = rules_->get(e.kind); limit == nullptr || e.n <= *limit) out.Emit(e);
//     }
//   };
//   events.Connect(BroadcastStream<Rule>(rules)).Process<Event>("Filter", [] { ... });
//
// Records of the two inputs interleave in arrival order, so output that depends on which rule
// was there when a record arrived is not deterministic (as in Flink) and cannot be judged by the
// reference evaluator. Functions must not suspend.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "engine/api/data_stream.h"
#include "engine/api/keyed_process_function.h"
#include "engine/api/operators.h"
#include "engine/api/reference_operators.h"
#include "engine/base/bytes.h"
#include "engine/base/status.h"
#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"
#include "engine/graph/watermark_valve.h"
#include "engine/state/keyed_state_store.h"

namespace sluice {

class BroadcastStateStore;

// One map of broadcast state; read-only while the main input's records are processed.
template <typename K, typename V>
class BroadcastState {
 public:
  const V* get(const K& key) const { return map_->get(key); }
  bool contains(const K& key) const { return map_->contains(key); }
  // In key order.
  const std::map<K, V>& entries() const { return map_->entries(); }
  void put(const K& key, const V& value);
  void remove(const K& key);

  BroadcastState(BroadcastStateStore* store, std::string name, MapState<K, V>* map)
      : store_(store), name_(std::move(name)), map_(map) {}

 private:
  bool Writable();
  BroadcastStateStore* store_;
  std::string name_;
  MapState<K, V>* map_;
};

// The broadcast state of one operator instance: maps registered by name in Open, kept in a
// KeyedStateStore of one slot. Not thread-safe.
class BroadcastStateStore {
 public:
  template <typename K, typename V>
  BroadcastState<K, V>& Get(const std::string& name) {
    MapState<K, V>& map = store_.GetMapState<K, V>(name);
    store_.SetCurrent(0);
    handles_.push_back(std::make_unique<Handle<K, V>>(this, name, &map));
    return static_cast<Handle<K, V>&>(*handles_.back()).state;
  }

  // For the operator that owns it.
  void SetWritable(bool writable) { writable_ = writable; }
  bool writable() const { return writable_; }
  // The first misuse (a write from ProcessElement, a name registered twice), or Ok.
  Status error() const { return error_.ok() ? store_.error() : error_; }
  void Fail(std::string message) {
    if (error_.ok()) error_ = InvalidArgumentError(std::move(message));
  }
  // [schema][the one slot's values as a string].
  void Snapshot(std::string* out) const {
    ByteWriter w(out);
    store_.WriteSchema(w);
    std::string slot;
    ByteWriter slot_writer(&slot);
    store_.WriteSlot(0, slot_writer);
    w.PutString(slot);
  }
  Status Restore(std::string_view restored, const std::string& what) {
    RETURN_IF_ERROR(error());
    if (restored.empty()) return Status::Ok();
    ByteReader r(restored);
    RETURN_IF_ERROR(store_.CheckSchema(r, what));
    std::string_view slot;
    if (!r.GetString(&slot) || !r.empty()) return DataLossError(what + ": bad broadcast state");
    store_.Reset();
    ByteReader slot_reader(slot);
    if (!store_.ReadSlot(0, slot_reader)) return DataLossError(what + ": bad broadcast state");
    return Status::Ok();
  }

 private:
  struct HandleBase {
    virtual ~HandleBase() = default;
  };
  template <typename K, typename V>
  struct Handle final : HandleBase {
    Handle(BroadcastStateStore* store, std::string name, MapState<K, V>* map)
        : state(store, std::move(name), map) {}
    BroadcastState<K, V> state;
  };
  KeyedStateStore store_;
  std::vector<std::unique_ptr<HandleBase>> handles_;
  bool writable_ = false;
  Status error_;
};

template <typename K, typename V>
bool BroadcastState<K, V>::Writable() {
  if (store_->writable()) return true;
  store_->Fail("broadcast state '" + name_ +
               "' is read-only in ProcessElement (Flink's ReadOnlyBroadcastState); only "
               "ProcessBroadcastElement may change it");
  return false;
}
template <typename K, typename V>
void BroadcastState<K, V>::put(const K& key, const V& value) {
  if (Writable()) map_->put(key, value);
}
template <typename K, typename V>
void BroadcastState<K, V>::remove(const K& key) {
  if (Writable()) map_->remove(key);
}

template <typename In, typename B, typename Out>
class BroadcastProcessFunction {
 public:
  using Context = ProcessContext;
  virtual ~BroadcastProcessFunction() = default;
  // Registers the broadcast state; once per operator instance, before any record and before a
  // restore fills it.
  virtual void Open(BroadcastStateStore& state) {}
  // A record of the main input; broadcast state is read-only here.
  virtual void ProcessElement(const In& value, Context& ctx, Collector<Out>& out) = 0;
  // A record of the broadcast input, seen by every subtask; may change broadcast state.
  virtual void ProcessBroadcastElement(const B& value, Context& ctx, Collector<Out>& out) = 0;
};

template <typename In, typename B, typename Out>
using BroadcastProcessFunctionFactory =
    std::function<std::unique_ptr<BroadcastProcessFunction<In, B, Out>>()>;

// A broadcast input connected to a keyed stream (Flink's KeyedBroadcastProcessFunction): the main
// input's records see their key's state and timers (read-only broadcast state); broadcast records
// see no key. OnTimer fires with the key bound, as in a KeyedProcessFunction. A job stays
// deterministic when it reads broadcast state only where every broadcast record has arrived, e.g.
// in an event-time timer at the end of a finite input.
template <typename K, typename In, typename B, typename Out>
class KeyedBroadcastProcessFunction {
 public:
  using Context = KeyedContext<K>;
  using BroadcastContext = ProcessContext;
  virtual ~KeyedBroadcastProcessFunction() = default;
  virtual void Open(KeyedStateStore& keyed_state, BroadcastStateStore& broadcast_state) {}
  virtual void ProcessElement(const In& value, Context& ctx, Collector<Out>& out) = 0;
  virtual void ProcessBroadcastElement(const B& value, BroadcastContext& ctx,
                                       Collector<Out>& out) = 0;
  virtual void OnTimer(int64_t timestamp, Context& ctx, Collector<Out>& out) {}
};

template <typename K, typename In, typename B, typename Out>
using KeyedBroadcastProcessFunctionFactory =
    std::function<std::unique_ptr<KeyedBroadcastProcessFunction<K, In, B, Out>>()>;

namespace internal {

// Feeds one record of input `index` (0 main, 1 broadcast) to `fn` with the store's writability
// set accordingly; the runtime link and the reference share only this dispatch.
template <typename In, typename B, typename Out>
void DispatchBroadcastInput(BroadcastProcessFunction<In, B, Out>& fn, BroadcastStateStore& state,
                            ProcessContext& ctx, Collector<Out>& out, const In* main,
                            const B* broadcast) {
  state.SetWritable(broadcast != nullptr);
  if (broadcast != nullptr) {
    fn.ProcessBroadcastElement(*broadcast, ctx, out);
  } else {
    fn.ProcessElement(*main, ctx, out);
  }
  state.SetWritable(false);
}

template <typename In, typename B, typename Out>
class BroadcastProcessLink final : public ChainLink {
 public:
  BroadcastProcessLink(const TaskContext& ctx,
                       const BroadcastProcessFunctionFactory<In, B, Out>& factory,
                       BatchConsumer<Out>* next)
      : fn_(factory()), next_(next), what_(ctx.task_name), main_(this, 0), broadcast_(this, 1) {
    fn_->Open(state_);
  }
  ChainLink* Input(int index) override {
    return InputPort(index, &main_, &broadcast_);
  }
  // Every subtask's broadcast state is the same: one copy is restored.
  Status Open(std::span<const std::string_view> restored) override {
    return state_.Restore(restored.empty() ? std::string_view() : restored.front(), what_);
  }
  StateRedistribution redistribution() const override { return StateRedistribution::kBroadcast; }
  Status Snapshot(int64_t, std::string* out) override {
    state_.Snapshot(out);
    return Status::Ok();
  }

 private:
  template <typename T>
  class Port final : public BatchConsumer<T> {
   public:
    Port(BroadcastProcessLink* owner, int index) : owner_(owner), index_(index) {}
    Status Consume(std::span<const T> batch, std::span<const int64_t> timestamps) override {
      BroadcastProcessLink& o = *owner_;
      o.out_.Clear();
      for (size_t i = 0; i < batch.size(); ++i) {
        const int64_t timestamp = TimestampAt(timestamps, i);
        o.out_.SetTimestamp(timestamp);
        o.context_.SetTimestamp(timestamp);
        if constexpr (std::is_same_v<T, In>) {
          if (index_ == 0) {
            DispatchBroadcastInput<In, B, Out>(*o.fn_, o.state_, o.context_, o.out_, &batch[i],
                                               nullptr);
          }
        }
        if constexpr (std::is_same_v<T, B>) {
          if (index_ == 1) {
            DispatchBroadcastInput<In, B, Out>(*o.fn_, o.state_, o.context_, o.out_, nullptr,
                                               &batch[i]);
          }
        }
        if (Status error = o.state_.error(); !error.ok()) return error.WithContext(o.what_);
      }
      return o.out_.size() == 0 ? Status::Ok() : o.next_->Consume(o.out_.view(), o.out_.timestamps());
    }
    Status ProcessWatermark(int64_t watermark_ms) override {
      return EmitValveOutput(owner_->watermark_.OnWatermark(index_, watermark_ms), owner_->next_);
    }
    Status ProcessWatermarkStatus(bool idle) override {
      return EmitValveOutput(owner_->watermark_.OnStatus(index_, idle), owner_->next_);
    }

   private:
    BroadcastProcessLink* owner_;
    int index_;
  };

  std::unique_ptr<BroadcastProcessFunction<In, B, Out>> fn_;
  BatchConsumer<Out>* next_;
  std::string what_;
  BroadcastStateStore state_;
  ProcessContext context_;
  Collector<Out> out_;
  WatermarkValve watermark_{2};
  Port<In> main_;
  Port<B> broadcast_;
};

template <typename In, typename B, typename Out>
class ReferenceBroadcastProcess final : public ReferenceOperator {
 public:
  explicit ReferenceBroadcastProcess(const BroadcastProcessFunctionFactory<In, B, Out>& factory)
      : fn_(factory()) {
    fn_->Open(state_);
  }
  void Process(int input_index, std::string_view record, int64_t timestamp,
               const ReferenceEmit& emit) override {
    out_.Clear();
    out_.SetTimestamp(timestamp);
    context_.SetTimestamp(timestamp);
    if (input_index == 0) {
      const In value = DecodeReferenceRecord<In>(record);
      DispatchBroadcastInput<In, B, Out>(*fn_, state_, context_, out_, &value, nullptr);
    } else {
      const B value = DecodeReferenceRecord<B>(record);
      DispatchBroadcastInput<In, B, Out>(*fn_, state_, context_, out_, nullptr, &value);
    }
    // A write from ProcessElement is refused here as in the runtime, where it fails the task.
    EmitReferenceRecords(out_, &scratch_, emit);
  }

 private:
  std::unique_ptr<BroadcastProcessFunction<In, B, Out>> fn_;
  BroadcastStateStore state_;
  ProcessContext context_;
  Collector<Out> out_;
  std::string scratch_;
};


// The runtime operator of a KeyedBroadcastProcessFunction: a KeyedRuntime for the main input's
// keys and timers, a BroadcastStateStore for the broadcast input. Snapshot: [keyed][broadcast],
// each as a string.
template <typename In, typename B, typename K, typename Out>
class KeyedBroadcastProcessLink final : public ChainLink {
 public:
  using Fn = KeyedBroadcastProcessFunction<K, In, B, Out>;
  KeyedBroadcastProcessLink(const TaskContext& ctx, std::function<K(const In&)> key_of,
                            const KeyedBroadcastProcessFunctionFactory<K, In, B, Out>& factory,
                            BatchConsumer<Out>* next)
      : fn_(factory()),
        runtime_(ctx, next),
        what_(ctx.task_name),
        main_(this, std::move(key_of)),
        broadcast_(this) {
    fn_->Open(runtime_.store(), state_);
  }
  ChainLink* Input(int index) override {
    return InputPort(index, &main_, &broadcast_);
  }
  // Keyed state from every old subtask whose key groups overlap this one's; the broadcast state,
  // the same in each, from the first.
  Status Open(std::span<const std::string_view> restored) override {
    RETURN_IF_ERROR(state_.error());
    std::vector<std::string_view> keyed;
    std::string_view broadcast;
    for (std::string_view snapshot : restored) {
      if (snapshot.empty()) continue;
      ByteReader r(snapshot);
      std::string_view k, b;
      if (!r.GetString(&k) || !r.GetString(&b) || !r.empty()) {
        return DataLossError(what_ + ": bad keyed broadcast snapshot");
      }
      keyed.push_back(k);
      if (broadcast.empty()) broadcast = b;
    }
    RETURN_IF_ERROR(runtime_.Restore(keyed));
    return state_.Restore(broadcast, what_);
  }
  StateRedistribution redistribution() const override { return StateRedistribution::kKeyGroups; }
  Status Snapshot(int64_t, std::string* out) override {
    std::string keyed, broadcast;
    RETURN_IF_ERROR(runtime_.Snapshot(&keyed));
    state_.Snapshot(&broadcast);
    ByteWriter w(out);
    w.PutString(keyed);
    w.PutString(broadcast);
    return Status::Ok();
  }
  int64_t NextProcessingTimeMs() const override { return runtime_.NextProcessingTimeMs(); }
  Status OnProcessingTime(int64_t now_ms) override {
    return runtime_.Fire(TimeDomain::kProcessingTime, now_ms, OnTimer());
  }

 private:
  auto OnTimer() {
    return [this](int64_t time, KeyedContext<K>& ctx, Collector<Out>& out) {
      fn_->OnTimer(time, ctx, out);
    };
  }
  // The combined watermark of both inputs: timers fire, then it and the status go downstream.
  Status Emit(const WatermarkValve::Output& out) {
    return EmitValveOutput(
        out,
        [this](int64_t watermark_ms) { return runtime_.AdvanceWatermark(watermark_ms, OnTimer()); },
        [this](bool idle) { return runtime_.ForwardWatermarkStatus(idle); });
  }
  Status AdvanceWatermark(int index, int64_t watermark_ms) {
    return Emit(watermark_.OnWatermark(index, watermark_ms));
  }
  Status ChangeStatus(int index, bool idle) { return Emit(watermark_.OnStatus(index, idle)); }
  class MainPort final : public BatchConsumer<In> {
   public:
    MainPort(KeyedBroadcastProcessLink* owner, std::function<K(const In&)> key_of)
        : owner_(owner), key_of_(std::move(key_of)) {}
    Status Consume(std::span<const In> batch, std::span<const int64_t> timestamps) override {
      KeyedRuntime<K, Out>& runtime = owner_->runtime_;
      runtime.BeginBatch();
      for (size_t i = 0; i < batch.size(); ++i) {
        const K key = key_of_(batch[i]);
        owner_->fn_->ProcessElement(batch[i], runtime.Bind(key, TimestampAt(timestamps, i)),
                                    runtime.out());
        RETURN_IF_ERROR(runtime.error());
        if (Status error = owner_->state_.error(); !error.ok()) {
          return error.WithContext(owner_->what_);
        }
      }
      return runtime.EndBatch();
    }
    Status ProcessWatermark(int64_t watermark_ms) override {
      return owner_->AdvanceWatermark(0, watermark_ms);
    }
    Status ProcessWatermarkStatus(bool idle) override { return owner_->ChangeStatus(0, idle); }

   private:
    KeyedBroadcastProcessLink* owner_;
    std::function<K(const In&)> key_of_;
  };
  class BroadcastPort final : public BatchConsumer<B> {
   public:
    explicit BroadcastPort(KeyedBroadcastProcessLink* owner) : owner_(owner) {}
    Status Consume(std::span<const B> batch, std::span<const int64_t> timestamps) override {
      KeyedBroadcastProcessLink& o = *owner_;
      o.runtime_.BeginBatch();
      for (size_t i = 0; i < batch.size(); ++i) {
        const int64_t timestamp = TimestampAt(timestamps, i);
        o.runtime_.out().SetTimestamp(timestamp);
        o.context_.SetTimestamp(timestamp);
        o.state_.SetWritable(true);
        o.fn_->ProcessBroadcastElement(batch[i], o.context_, o.runtime_.out());
        o.state_.SetWritable(false);
      }
      return o.runtime_.EndBatch();
    }
    Status ProcessWatermark(int64_t watermark_ms) override {
      return owner_->AdvanceWatermark(1, watermark_ms);
    }
    Status ProcessWatermarkStatus(bool idle) override { return owner_->ChangeStatus(1, idle); }

   private:
    KeyedBroadcastProcessLink* owner_;
  };

  std::unique_ptr<Fn> fn_;
  KeyedRuntime<K, Out> runtime_;
  BroadcastStateStore state_;
  ProcessContext context_;
  std::string what_;
  WatermarkValve watermark_{2};
  MainPort main_;
  BroadcastPort broadcast_;
};

template <typename In, typename B, typename K, typename Out>
class ReferenceKeyedBroadcastProcess final : public ReferenceOperator {
 public:
  ReferenceKeyedBroadcastProcess(std::function<K(const In&)> key_of,
                                 const KeyedBroadcastProcessFunctionFactory<K, In, B, Out>& factory)
      : key_of_(std::move(key_of)), fn_(factory()) {
    fn_->Open(core_.store(), state_);
  }
  void Process(int input_index, std::string_view record, int64_t timestamp,
               const ReferenceEmit& emit) override {
    if (input_index == 0) {
      const In value = DecodeReferenceRecord<In>(record);
      const K key = key_of_(value);
      fn_->ProcessElement(value, core_.Bind(key, timestamp), core_.out());
    } else {
      const B value = DecodeReferenceRecord<B>(record);
      core_.out().Clear();
      core_.out().SetTimestamp(timestamp);
      context_.SetTimestamp(timestamp);
      state_.SetWritable(true);
      fn_->ProcessBroadcastElement(value, context_, core_.out());
      state_.SetWritable(false);
    }
    core_.Emit(emit);
  }
  void EndOfInput(const ReferenceEmit& emit) override {
    core_.EndOfInput(emit, [this](int64_t time, KeyedContext<K>& ctx, Collector<Out>& out) {
      fn_->OnTimer(time, ctx, out);
    });
  }

 private:
  std::function<K(const In&)> key_of_;
  std::unique_ptr<KeyedBroadcastProcessFunction<K, In, B, Out>> fn_;
  ReferenceKeyedCore<K, Out> core_;
  BroadcastStateStore state_;
  ProcessContext context_;
};

}  // namespace internal

// A stream whose records reach every subtask of the operator it is connected to, as broadcast
// input (Flink's BroadcastStream).
template <typename B>
class BroadcastStream {
 public:
  explicit BroadcastStream(const DataStream<B>& stream) : stream_(stream.Broadcast()) {}
  const DataStream<B>& stream() const { return stream_; }

 private:
  DataStream<B> stream_;
};

// stream.Connect(broadcast_stream) (Flink's BroadcastConnectedStream).
template <typename T, typename B>
class BroadcastConnectedStreams {
 public:
  BroadcastConnectedStreams(DataStream<T> main, DataStream<B> broadcast)
      : main_(std::move(main)), broadcast_(std::move(broadcast)) {}
  template <typename Out>
  DataStream<Out> Process(std::string name, BroadcastProcessFunctionFactory<T, B, Out> factory) {
    StreamEnvironment* env = main_.env_;
    const int node = env->AddNode(
        std::move(name),
        [factory](const TaskContext& ctx, ChainLink* next) -> std::unique_ptr<ChainLink> {
          return std::make_unique<internal::BroadcastProcessLink<T, B, Out>>(
              ctx, factory, internal::As<Out>(next));
        },
        internal::MakeFanOut<Out>(),
        [factory]() -> std::unique_ptr<ReferenceOperator> {
          return std::make_unique<internal::ReferenceBroadcastProcess<T, B, Out>>(factory);
        });
    main_.ConnectTo(node, 0);
    broadcast_.ConnectTo(node, 1);
    return DataStream<Out>(env, node);
  }

 private:
  DataStream<T> main_;
  DataStream<B> broadcast_;
};

template <typename T>
template <typename B>
BroadcastConnectedStreams<T, B> DataStream<T>::Connect(const BroadcastStream<B>& other) const {
  return BroadcastConnectedStreams<T, B>(*this, other.stream());
}

// keyed.Connect(broadcast_stream) (Flink's BroadcastConnectedStream on a KeyedStream).
template <typename T, typename K, typename B>
class KeyedBroadcastConnectedStreams {
 public:
  KeyedBroadcastConnectedStreams(KeyedStream<T, K> main, DataStream<B> broadcast)
      : main_(std::move(main)), broadcast_(std::move(broadcast)) {}
  template <typename Out>
  DataStream<Out> Process(std::string name,
                          KeyedBroadcastProcessFunctionFactory<K, T, B, Out> factory) {
    StreamEnvironment* env = broadcast_.env_;
    auto key_of = main_.key_of_;
    const int node = env->AddNode(
        std::move(name),
        [key_of, factory](const TaskContext& ctx, ChainLink* next) -> std::unique_ptr<ChainLink> {
          return std::make_unique<internal::KeyedBroadcastProcessLink<T, B, K, Out>>(
              ctx, key_of, factory, internal::As<Out>(next));
        },
        internal::MakeFanOut<Out>(),
        [key_of, factory]() -> std::unique_ptr<ReferenceOperator> {
          return std::make_unique<internal::ReferenceKeyedBroadcastProcess<T, B, K, Out>>(key_of,
                                                                                          factory);
        });
    main_.stream_.ConnectTo(node, 0);
    broadcast_.ConnectTo(node, 1);
    return DataStream<Out>(env, node);
  }

 private:
  KeyedStream<T, K> main_;
  DataStream<B> broadcast_;
};

template <typename T, typename K>
template <typename B>
KeyedBroadcastConnectedStreams<T, K, B> KeyedStream<T, K>::Connect(
    const BroadcastStream<B>& other) const {
  return KeyedBroadcastConnectedStreams<T, K, B>(*this, other.stream());
}

}  // namespace sluice
