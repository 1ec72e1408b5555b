// The chain links of the DataStream API's operators (engine/api/data_stream.h builds them).
// Each consumes a batch, calls the user's function once per record into a reused Collector, and
// hands the collected batch to the next link with one virtual call per batch (Flink's operator
// chaining, with batches instead of single records). A link is used by one task fiber; Consume
// may suspend (its downstream may send over the network).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/serializer.h"
#include "engine/base/status.h"
#include "engine/exchange/gates.h"
#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"
#include "engine/graph/side_outputs.h"
#include "engine/graph/watermark_valve.h"
#include "engine/partition/key_group.h"
#include "engine/partition/key_hash.h"
#include "engine/state/keyed_state.h"
#include "engine/state/rocksdb_keyed_state_backend.h"

namespace sluice::internal {

template <typename T>
BatchConsumer<T>* As(ChainLink* link) {
  auto* typed = dynamic_cast<BatchConsumer<T>*>(link);
  SLUICE_ASSERT(typed != nullptr, "chain links disagree on the record type");
  return typed;
}

// Hands each batch to several consumers in turn (an operator with several outputs).
template <typename T>
class FanOutLink final : public BatchConsumer<T> {
 public:
  explicit FanOutLink(std::vector<BatchConsumer<T>*> outputs) : outputs_(std::move(outputs)) {}
  Status Consume(std::span<const T> batch, std::span<const int64_t> timestamps) override {
    for (BatchConsumer<T>* out : outputs_) RETURN_IF_ERROR(out->Consume(batch, timestamps));
    return Status::Ok();
  }
  Status ProcessWatermark(int64_t watermark_ms) override {
    for (BatchConsumer<T>* out : outputs_) RETURN_IF_ERROR(out->ProcessWatermark(watermark_ms));
    return Status::Ok();
  }
  Status ProcessWatermarkStatus(bool idle) override {
    for (BatchConsumer<T>* out : outputs_) RETURN_IF_ERROR(out->ProcessWatermarkStatus(idle));
    return Status::Ok();
  }

 private:
  std::vector<BatchConsumer<T>*> outputs_;
};

template <typename T>
FanOutFactory MakeFanOut() {
  return [](std::vector<ChainLink*> outputs) -> std::unique_ptr<ChainLink> {
    std::vector<BatchConsumer<T>*> typed;
    for (ChainLink* link : outputs) typed.push_back(As<T>(link));
    return std::make_unique<FanOutLink<T>>(std::move(typed));
  };
}

template <typename In, typename Out>
class FlatMapLink final : public BatchConsumer<In> {
 public:
  using Function = std::function<void(const In&, Collector<Out>&)>;
  FlatMapLink(Function fn, BatchConsumer<Out>* next) : fn_(std::move(fn)), next_(next) {}
  Status Consume(std::span<const In> batch, std::span<const int64_t> timestamps) override {
    out_.Clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      out_.SetTimestamp(TimestampAt(timestamps, i));
      fn_(batch[i], out_);
    }
    return out_.size() == 0 ? Status::Ok() : next_->Consume(out_.view(), out_.timestamps());
  }
  Status ProcessWatermark(int64_t watermark_ms) override {
    return next_->ProcessWatermark(watermark_ms);
  }
  Status ProcessWatermarkStatus(bool idle) override { return next_->ProcessWatermarkStatus(idle); }

 private:
  Function fn_;
  BatchConsumer<Out>* next_;
  Collector<Out> out_;
};

template <typename In, typename Out>
class MapLink final : public BatchConsumer<In> {
 public:
  using Function = std::function<Out(const In&)>;
  MapLink(Function fn, BatchConsumer<Out>* next) : fn_(std::move(fn)), next_(next) {}
  Status Consume(std::span<const In> batch, std::span<const int64_t> timestamps) override {
    out_.Clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      out_.SetTimestamp(TimestampAt(timestamps, i));
      out_.Next() = fn_(batch[i]);
    }
    return out_.size() == 0 ? Status::Ok() : next_->Consume(out_.view(), out_.timestamps());
  }
  Status ProcessWatermark(int64_t watermark_ms) override {
    return next_->ProcessWatermark(watermark_ms);
  }
  Status ProcessWatermarkStatus(bool idle) override { return next_->ProcessWatermarkStatus(idle); }

 private:
  Function fn_;
  BatchConsumer<Out>* next_;
  Collector<Out> out_;
};

template <typename T>
class FilterLink final : public BatchConsumer<T> {
 public:
  using Function = std::function<bool(const T&)>;
  FilterLink(Function fn, BatchConsumer<T>* next) : fn_(std::move(fn)), next_(next) {}
  Status Consume(std::span<const T> batch, std::span<const int64_t> timestamps) override {
    out_.Clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!fn_(batch[i])) continue;
      out_.SetTimestamp(TimestampAt(timestamps, i));
      out_.Emit(batch[i]);
    }
    return out_.size() == 0 ? Status::Ok() : next_->Consume(out_.view(), out_.timestamps());
  }
  Status ProcessWatermark(int64_t watermark_ms) override {
    return next_->ProcessWatermark(watermark_ms);
  }
  Status ProcessWatermarkStatus(bool idle) override { return next_->ProcessWatermarkStatus(idle); }

 private:
  Function fn_;
  BatchConsumer<T>* next_;
  Collector<T> out_;
};

}  // namespace sluice::internal

namespace sluice {

// What a ProcessFunction or CoProcessFunction sees of the record at hand.
class ProcessContext {
 public:
  // The record's event timestamp, or kNoTimestamp.
  int64_t timestamp() const { return timestamp_; }
  // Emits `value` to the side output `tag`, with the record's timestamp (Flink's ctx.output;
  // DataStream::GetSideOutput(tag) reads them). Dropped if nothing reads that tag.
  template <typename X>
  void Output(const OutputTag<X>& tag, const X& value) {
    if (side_ != nullptr) side_->Emit(tag, value, timestamp_);
  }

  // For the operator that owns it.
  void SetTimestamp(int64_t timestamp) { timestamp_ = timestamp; }
  void BindSideOutputs(SideOutputs* side) { side_ = side; }

 private:
  int64_t timestamp_ = kNoTimestamp;
  SideOutputs* side_ = nullptr;
};

// Flink's ProcessFunction on a non-keyed stream: a record at a time, with its timestamp. (Keyed
// state and timers are for KeyedProcessFunction, after KeyBy.) Must not suspend.
template <typename In, typename Out>
class ProcessFunction {
 public:
  using Context = ProcessContext;
  virtual ~ProcessFunction() = default;
  virtual void ProcessElement(const In& value, Context& ctx, Collector<Out>& out) = 0;
};

// Flink's CoProcessFunction on ConnectedStreams that are not keyed: ProcessElement1 for the first
// input's records, ProcessElement2 for the second's, in arrival order. Must not suspend, and must
// keep no state (it would not survive a restore: keyed state needs ConnectedStreams::KeyBy).
template <typename In1, typename In2, typename Out>
class CoProcessFunction {
 public:
  using Context = ProcessContext;
  virtual ~CoProcessFunction() = default;
  virtual void ProcessElement1(const In1& value, Context& ctx, Collector<Out>& out) = 0;
  virtual void ProcessElement2(const In2& value, Context& ctx, Collector<Out>& out) = 0;
};

}  // namespace sluice

namespace sluice::internal {

// The runtime operator of a ProcessFunction: its output, and its side outputs flushed after each
// batch and given each watermark.
template <typename In, typename Out>
class ProcessFunctionLink final : public BatchConsumer<In> {
 public:
  ProcessFunctionLink(const TaskContext& ctx, std::unique_ptr<ProcessFunction<In, Out>> fn,
                      BatchConsumer<Out>* next)
      : fn_(std::move(fn)), next_(next), side_(ctx.side_outputs) {
    context_.BindSideOutputs(side_);
  }
  Status Consume(std::span<const In> batch, std::span<const int64_t> timestamps) override {
    out_.Clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      const int64_t timestamp = TimestampAt(timestamps, i);
      out_.SetTimestamp(timestamp);
      context_.SetTimestamp(timestamp);
      fn_->ProcessElement(batch[i], context_, out_);
    }
    if (out_.size() > 0) RETURN_IF_ERROR(next_->Consume(out_.view(), out_.timestamps()));
    return side_ == nullptr ? Status::Ok() : side_->Flush();
  }
  Status ProcessWatermark(int64_t watermark_ms) override {
    if (side_ != nullptr) RETURN_IF_ERROR(side_->ForwardWatermark(watermark_ms));
    return next_->ProcessWatermark(watermark_ms);
  }
  Status ProcessWatermarkStatus(bool idle) override {
    if (side_ != nullptr) RETURN_IF_ERROR(side_->ForwardWatermarkStatus(idle));
    return next_->ProcessWatermarkStatus(idle);
  }

 private:
  std::unique_ptr<ProcessFunction<In, Out>> fn_;
  BatchConsumer<Out>* next_;
  SideOutputs* side_;
  ProcessContext context_;
  Collector<Out> out_;
};

// Two inputs, one output (Flink's CoFlatMapFunction): flat_map1 for records of the first input,
// flat_map2 for the second. Records of the two inputs interleave in arrival order.
template <typename In1, typename In2, typename Out>
class CoFlatMapLink final : public ChainLink {
 public:
  using Function1 = std::function<void(const In1&, Collector<Out>&)>;
  using Function2 = std::function<void(const In2&, Collector<Out>&)>;
  CoFlatMapLink(Function1 fn1, Function2 fn2, BatchConsumer<Out>* next)
      : input1_(this, 0, std::move(fn1)), input2_(this, 1, std::move(fn2)), next_(next) {}
  ChainLink* Input(int index) override {
    return InputPort(index, &input1_, &input2_);
  }

 private:
  template <typename In>
  class Port final : public BatchConsumer<In> {
   public:
    using Function = std::function<void(const In&, Collector<Out>&)>;
    Port(CoFlatMapLink* owner, int index, Function fn)
        : owner_(owner), index_(index), fn_(std::move(fn)) {}
    Status Consume(std::span<const In> batch, std::span<const int64_t> timestamps) override {
      Collector<Out>& out = owner_->out_;
      out.Clear();
      for (size_t i = 0; i < batch.size(); ++i) {
        out.SetTimestamp(TimestampAt(timestamps, i));
        fn_(batch[i], out);
      }
      return out.size() == 0 ? Status::Ok() : owner_->next_->Consume(out.view(), out.timestamps());
    }
    Status ProcessWatermark(int64_t watermark_ms) override {
      return EmitValveOutput(owner_->watermark_.OnWatermark(index_, watermark_ms), owner_->next_);
    }
    Status ProcessWatermarkStatus(bool idle) override {
      return EmitValveOutput(owner_->watermark_.OnStatus(index_, idle), owner_->next_);
    }

   private:
    CoFlatMapLink* owner_;
    int index_;
    Function fn_;
  };
  WatermarkValve watermark_{2};
  Port<In1> input1_;
  Port<In2> input2_;
  BatchConsumer<Out>* next_;
  Collector<Out> out_;
};

// A keyed function with one ValueState<S> per key (S{} before the first update), over keys of
// any type K: state is stored under the key's bytes (KeyBytes) in the subtask's key groups, on
// the heap or, with state.backend.type: rocksdb, in the task's RocksDB instance for it (each
// record reads its key's value and puts it back if it changed; the value bytes are the heap
// snapshot's, so snapshots of either backend restore into the other).
template <typename In, typename K, typename S, typename Out>
class KeyedProcessLink final : public BatchConsumer<In> {
 public:
  using KeyFunction = std::function<K(const In&)>;
  using Function = std::function<void(const In&, ValueState<S>&, Collector<Out>&)>;
  KeyedProcessLink(const TaskContext& ctx, KeyFunction key_fn, Function fn,
                   BatchConsumer<Out>* next)
      : key_fn_(std::move(key_fn)),
        fn_(std::move(fn)),
        next_(next),
        max_parallelism_(ctx.max_parallelism),
        backend_(ctx.max_parallelism,
                 KeyGroupRangeForOperator(ctx.max_parallelism, ctx.parallelism, ctx.subtask)),
        what_(ctx.task_name),
        rocksdb_(ctx.rocksdb) {}
  Status Open(std::span<const std::string_view> restored) override {
    if (rocksdb_ != nullptr) {
      ASSIGN_OR_RETURN(rocks_, rocksdb_->Create(max_parallelism_, backend_.range()));
      if (restored.empty()) return Status::Ok();
      return rocks_->Restore(restored, what_, [](ByteReader& r, std::string_view* value) {
        const std::string_view before = r.rest();
        S parsed{};
        if (!Serializer<S>::Read(r, &parsed)) return false;
        *value = before.substr(0, before.size() - r.rest().size());
        return true;
      });
    }
    return restored.empty() ? Status::Ok() : backend_.Restore(restored, what_);
  }
  StateRedistribution redistribution() const override { return StateRedistribution::kKeyGroups; }
  Status Consume(std::span<const In> batch, std::span<const int64_t> timestamps) override {
    if (rocks_ != nullptr) return ConsumeWithRocksDb(batch, timestamps);
    out_.Clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      const In& record = batch[i];
      out_.SetTimestamp(TimestampAt(timestamps, i));
      // The sender computed the key's group to route it here; the backend recomputes it only for
      // a key it has not seen (see keyed_state.h), not per record.
      const K key = key_fn_(record);
      ValueState<S> state(&backend_.GetOrCreate(KeyBytes<K>::Of(key, &key_bytes_),
                                                [&](std::string_view) {
                                                  return KeyGroupForKeyOf(key, max_parallelism_);
                                                }));
      fn_(record, state, out_);
    }
    return out_.size() == 0 ? Status::Ok() : next_->Consume(out_.view(), out_.timestamps());
  }
  Status ProcessWatermark(int64_t watermark_ms) override {
    return next_->ProcessWatermark(watermark_ms);
  }
  Status ProcessWatermarkStatus(bool idle) override { return next_->ProcessWatermarkStatus(idle); }
  Status Snapshot(int64_t, std::string* out) override {
    if (rocks_ != nullptr) return rocks_->Snapshot(out);
    backend_.Snapshot(out);
    return Status::Ok();
  }

 private:
  // Per record: the key's value from RocksDB (S{} if absent), the function, and the value put
  // back if it is new or changed. Then the batch's disk latency is paid (may suspend).
  Status ConsumeWithRocksDb(std::span<const In> batch, std::span<const int64_t> timestamps) {
    out_.Clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      const In& record = batch[i];
      out_.SetTimestamp(TimestampAt(timestamps, i));
      const K key = key_fn_(record);
      const int key_group = KeyGroupForKeyOf(key, max_parallelism_);
      const std::string_view key_bytes = KeyBytes<K>::Of(key, &key_bytes_);
      ASSIGN_OR_RETURN(const bool found, rocks_->Get(key_group, key_bytes, &loaded_));
      S value{};
      if (found) {
        ByteReader r(loaded_);
        if (!Serializer<S>::Read(r, &value) || !r.empty()) {
          return DataLossError(what_ + ": malformed RocksDB state of a key");
        }
      }
      ValueState<S> state(&value);
      fn_(record, state, out_);
      encoded_.clear();
      ByteWriter w(&encoded_);
      Serializer<S>::Write(w, value);
      if (!found || encoded_ != loaded_) {
        RETURN_IF_ERROR(rocks_->Put(key_group, key_bytes, encoded_).WithContext(what_));
      }
    }
    if (out_.size() > 0) RETURN_IF_ERROR(next_->Consume(out_.view(), out_.timestamps()));
    rocks_->PayLatency();
    return Status::Ok();
  }

  KeyFunction key_fn_;
  Function fn_;
  BatchConsumer<Out>* next_;
  int max_parallelism_;
  HeapValueStateBackend<S> backend_;
  std::string what_;
  std::string key_bytes_;
  Collector<Out> out_;
  RocksDbStateBackend* rocksdb_;  // state.backend.type: rocksdb; null: the heap backend_
  std::unique_ptr<RocksDbKeyedStateBackend> rocks_;
  std::string loaded_;   // the key's value bytes as read
  std::string encoded_;  // as written back
};

template <typename T>
class TypedDecoder final : public RecordDecoder {
 public:
  explicit TypedDecoder(BatchConsumer<T>* port) : port_(port) {}
  Status Decode(std::string_view records, uint32_t count, std::string_view timestamps) override {
    batch_.Clear();
    ByteReader r(records);
    ByteReader t(timestamps);
    for (uint32_t i = 0; i < count; ++i) {
      if (!timestamps.empty()) {
        int64_t timestamp = 0;
        if (!t.GetSignedVarint(&timestamp)) return DataLossError("malformed record timestamps");
        batch_.SetTimestamp(timestamp);
      }
      if (!Serializer<T>::Read(r, &batch_.Next())) return DataLossError("malformed record batch");
    }
    if (!r.empty()) return DataLossError("trailing bytes in record batch");
    if (!t.empty()) return DataLossError("trailing bytes in record timestamps");
    return port_->Consume(batch_.view(), batch_.timestamps());
  }

 private:
  BatchConsumer<T>* port_;
  Collector<T> batch_;
};

template <typename T>
DecoderFactory MakeDecoder() {
  return [](ChainLink* port) -> std::unique_ptr<RecordDecoder> {
    SLUICE_ASSERT(port != nullptr, "a network edge feeds an input the operator has");
    return std::make_unique<TypedDecoder<T>>(As<T>(port));
  };
}

}  // namespace sluice::internal
