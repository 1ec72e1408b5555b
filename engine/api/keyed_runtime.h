// The keyed operators behind KeyedProcessFunction and KeyedCoProcessFunction
// (engine/api/keyed_process_function.h, which includes this file): KeyedRuntime, the state, timers
// and key binding of one keyed operator instance; the runtime links built on it; and the
// reference semantics the reference evaluator runs instead, which share none of that runtime.
// Not for user code. Nothing here is thread-safe; nothing suspends.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "engine/api/keyed_process_function.h"
#include "engine/api/reference_operators.h"
#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/serializer.h"
#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"
#include "engine/graph/side_outputs.h"
#include "engine/graph/watermark_valve.h"
#include "engine/partition/key_group.h"
#include "engine/partition/key_hash.h"
#include "engine/state/keyed_state.h"
#include "engine/state/keyed_state_store.h"
#include "engine/state/rocksdb_keyed_state_backend.h"

namespace sluice {

namespace internal {

// An owning copy of a key type (std::string for std::string_view).
template <typename K>
using OwnedKey = std::conditional_t<std::is_same_v<K, std::string_view>, std::string, K>;

// The runtime of one keyed operator instance, whatever its inputs: keys → entries of a
// key-group-indexed table (HeapValueStateBackend used as the key index, its values caching each
// key's group + 1), state in the store's columns, timers in InternalTimers. Snapshot:
// [schema][timers][key-group sections], each entry's value the store's slot bytes as one string.
// With state.backend.type: rocksdb (TaskContext::rocksdb), the key-group sections live in a
// RocksDB instance instead (the same entry values, so the snapshot bytes are the same): Bind
// reads the key's entry into the store's one slot, and the slot goes back (put, or deleted once
// every state is empty) when another key is bound or a snapshot is taken. Timers stay on the
// heap with either backend (Flink's state.backend.rocksdb.timer-service.factory: HEAP).
// The owning link calls BeginBatch, Bind per record, then EndBatch (which may suspend, to pay
// RocksDB's disk latency). Not thread-safe.
template <typename K, typename Out>
class KeyedRuntime {
 public:
  KeyedRuntime(const TaskContext& ctx, BatchConsumer<Out>* next)
      : next_(next),
        max_parallelism_(ctx.max_parallelism),
        range_(KeyGroupRangeForOperator(ctx.max_parallelism, ctx.parallelism, ctx.subtask)),
        keys_(ctx.max_parallelism, range_),
        timer_service_(&timers_,
                       [host = ctx.host] { return host->clock.NowNs() / kNanosPerMilli; }),
        context_(&timer_service_),
        side_(ctx.side_outputs),
        what_(ctx.task_name),
        host_(ctx.host),
        rocksdb_(ctx.rocksdb) {
    context_.BindSideOutputs(side_);
  }

  KeyedStateStore& store() { return store_; }
  const std::string& what() const { return what_; }

  // Restores the snapshots of the old subtasks whose key groups overlap this one's (one at an
  // unchanged parallelism; engine/partition/state_assignment.h), keeping this subtask's key
  // groups' state and timers. Empty snapshots (a fresh start) are skipped.
  Status Restore(std::span<const std::string_view> restored) {
    RETURN_IF_ERROR(store_.error());
    if (rocksdb_ != nullptr && rocks_ == nullptr) {
      ASSIGN_OR_RETURN(rocks_, rocksdb_->Create(max_parallelism_, range_));
    }
    std::vector<std::string_view> rows;  // each snapshot's key-group sections
    timers_.Clear();
    for (std::string_view snapshot : restored) {
      if (snapshot.empty()) continue;
      ByteReader r(snapshot);
      RETURN_IF_ERROR(store_.CheckSchema(r, what_));
      if (!timers_.Read(r, [this](int32_t key_group) { return range_.Contains(key_group); })) {
        return DataLossError(what_ + ": bad timers");
      }
      rows.push_back(r.rest());
    }
    if (rows.empty()) return Status::Ok();
    store_.Reset();
    if (rocks_ != nullptr) {
      rocks_bound_ = false;
      return rocks_->Restore(rows, what_, [](ByteReader& in, std::string_view* value) {
        const std::string_view before = in.rest();
        std::string_view row;
        if (!in.GetString(&row)) return false;
        *value = before.substr(0, before.size() - in.rest().size());
        return true;
      });
    }
    return keys_.RestoreWith(rows, what_, [this](ByteReader& in, bool keep, uint32_t entry) {
      std::string_view row;
      if (!in.GetString(&row)) return false;
      if (!keep) return true;
      ByteReader row_reader(row);
      return store_.ReadSlot(entry, row_reader);
    });
  }
  // May suspend (RocksDB).
  Status Snapshot(std::string* out) {
    ByteWriter w(out);
    store_.WriteSchema(w);
    timers_.Write(w);
    if (rocks_ != nullptr) {
      RETURN_IF_ERROR(WriteBack());
      return rocks_->Snapshot(out);
    }
    keys_.SnapshotWith(
        out, [this](uint32_t entry) { return store_.Present(entry); },
        [this](uint32_t entry, ByteWriter& writer) {
          row_.clear();
          ByteWriter row_writer(&row_);
          store_.WriteSlot(entry, row_writer);
          writer.PutString(row_);
        });
    return Status::Ok();
  }

  void BeginBatch() { out_.Clear(); }
  // Binds state, timers and the context to `key` for a record at `timestamp`; the function's
  // output goes to out().
  KeyedContext<K>& Bind(const K& key, int64_t timestamp) {
    out_.SetTimestamp(timestamp);
    const std::string_view key_bytes = KeyBytes<K>::Of(key, &key_bytes_);
    if (rocks_ != nullptr) {
      const int key_group = KeyGroupForKeyOf(key, max_parallelism_);
      BindRocks(key_bytes, key_group);
      timer_service_.SetCurrentKey(key_bytes, key_group);
      context_.Set(&key, timestamp);
      return context_;
    }
    const uint32_t entry = keys_.FindOrInsertIndex(
        key_bytes, [&](std::string_view) { return KeyGroupForKeyOf(key, max_parallelism_); });
    // The entry's value caches its key group + 1 (0: not yet known, e.g. after a restore), so
    // that a record of a known key pays for no hash.
    int32_t& cached_group = keys_.value(entry);
    if (cached_group == 0) cached_group = KeyGroupForKeyOf(key, max_parallelism_) + 1;
    store_.SetCurrent(entry);
    timer_service_.SetCurrentKey(key_bytes, cached_group - 1);
    context_.Set(&key, timestamp);
    return context_;
  }
  Collector<Out>& out() { return out_; }
  // The function's failure, if it called Fail.
  // Or the state backend's failure.
  Status error() const {
    if (!rocks_error_.ok()) return rocks_error_.WithContext(what_);
    return context_.error().ok() ? Status::Ok() : context_.error().WithContext(what_);
  }
  // Hands the batch's output on, and its side outputs. May suspend (RocksDB's disk latency).
  Status EndBatch() {
    if (out_.size() > 0) RETURN_IF_ERROR(next_->Consume(out_.view(), out_.timestamps()));
    if (rocks_ != nullptr) rocks_->PayLatency();
    return side_ == nullptr ? Status::Ok() : side_->Flush();
  }

  // Fires the event-time timers up to `watermark_ms` through on_timer(time, ctx, out), then
  // forwards the watermark.
  template <typename OnTimer>
  Status AdvanceWatermark(int64_t watermark_ms, OnTimer&& on_timer) {
    timer_service_.SetWatermark(watermark_ms);
    RETURN_IF_ERROR(Fire(TimeDomain::kEventTime, watermark_ms, on_timer));
    if (side_ != nullptr) RETURN_IF_ERROR(side_->ForwardWatermark(watermark_ms));
    return next_->ProcessWatermark(watermark_ms);
  }
  // Forwards the input's watermark status (timers are unaffected: an idle input only stops
  // holding back the watermark).
  Status ForwardWatermarkStatus(bool idle) {
    if (side_ != nullptr) RETURN_IF_ERROR(side_->ForwardWatermarkStatus(idle));
    return next_->ProcessWatermarkStatus(idle);
  }
  int64_t NextProcessingTimeMs() const {
    const auto& timers = timers_.of(TimeDomain::kProcessingTime);
    return timers.empty() ? INT64_MAX : timers.begin()->time_ms;
  }
  // Fires, in (time, key) order, every timer of `domain` at or before `up_to_ms`, including those
  // registered while firing.
  template <typename OnTimer>
  Status Fire(TimeDomain domain, int64_t up_to_ms, OnTimer&& on_timer) {
    std::set<InternalTimers::Timer>& timers = timers_.of(domain);
    int64_t fired = 0;
    while (!timers.empty() && timers.begin()->time_ms <= up_to_ms) {
      // A watermark that passes many timers (the final one fires every window) would keep the
      // thread for long: let the host's other fibers (heartbeats, lease renewal, other tasks) run
      // now and then. Nothing else touches this operator meanwhile.
      if (host_ != nullptr && ++fired % kTimersPerYield == 0) host_->fibers.Yield();
      const InternalTimers::Timer timer = *timers.begin();
      timers.erase(timers.begin());
      const int32_t key_group = timer.key_group;
      if (rocks_ != nullptr) {
        BindRocks(timer.key, key_group);
        RETURN_IF_ERROR(error());
      } else {
        const uint32_t entry = keys_.FindOrInsertIndex(
            timer.key, [key_group](std::string_view) { return key_group; });
        store_.SetCurrent(entry);
      }
      timer_service_.SetCurrentKey(timer.key, key_group);
      OwnedKey<K> owned{};
      if constexpr (std::is_same_v<OwnedKey<K>, std::string>) {
        owned = timer.key;
      } else {
        ByteReader r(timer.key);
        if (!Serializer<K>::Read(r, &owned)) return DataLossError(what_ + ": bad timer key");
      }
      const K key(owned);
      context_.Set(&key, timer.time_ms, domain);
      out_.Clear();
      out_.SetTimestamp(timer.time_ms);
      on_timer(timer.time_ms, context_, out_);
      RETURN_IF_ERROR(error());
      RETURN_IF_ERROR(EndBatch());
    }
    return Status::Ok();
  }

 private:
  // RocksDB: binds the store's slot 0 to `key_bytes`' entry (read from RocksDB), first writing
  // back the key bound before. Never suspends; a failure is kept in rocks_error_ (error()).
  void BindRocks(std::string_view key_bytes, int key_group) {
    if (rocks_bound_ && key_group == rocks_group_ && key_bytes == rocks_key_) return;
    if (Status written = WriteBack(); !written.ok() && rocks_error_.ok()) rocks_error_ = written;
    rocks_key_.assign(key_bytes);
    rocks_group_ = key_group;
    rocks_bound_ = true;
    store_.ClearSlot(0);
    Result<bool> found = rocks_->Get(key_group, key_bytes, &rocks_loaded_);
    rocks_loaded_present_ = found.ok() && *found;
    if (!found.ok()) {
      if (rocks_error_.ok()) rocks_error_ = found.status();
      return;
    }
    if (!rocks_loaded_present_) return;
    ByteReader r(rocks_loaded_);
    std::string_view row;
    if (r.GetString(&row) && r.empty()) {
      ByteReader row_reader(row);
      if (store_.ReadSlot(0, row_reader)) return;
    }
    if (rocks_error_.ok()) rocks_error_ = DataLossError("malformed RocksDB state of a key");
  }
  // RocksDB: puts the bound key's slot back if it changed, or deletes it if it is now empty.
  // Never suspends.
  Status WriteBack() {
    if (!rocks_bound_) return Status::Ok();
    if (!store_.Present(0)) {
      if (!rocks_loaded_present_) return Status::Ok();
      rocks_loaded_present_ = false;
      return rocks_->Delete(rocks_group_, rocks_key_);
    }
    row_.clear();
    ByteWriter row_writer(&row_);
    store_.WriteSlot(0, row_writer);
    rocks_value_.clear();
    ByteWriter value_writer(&rocks_value_);
    value_writer.PutString(row_);
    if (rocks_loaded_present_ && rocks_value_ == rocks_loaded_) return Status::Ok();
    rocks_loaded_.swap(rocks_value_);
    rocks_loaded_present_ = true;
    return rocks_->Put(rocks_group_, rocks_key_, rocks_loaded_);
  }

  static constexpr int64_t kTimersPerYield = 1024;
  BatchConsumer<Out>* next_;
  int max_parallelism_;
  KeyGroupRange range_;
  HeapValueStateBackend<int32_t> keys_;  // key → entry number; value: key group + 1 (0: unknown)
  KeyedStateStore store_;
  InternalTimers timers_;
  TimerService timer_service_;
  KeyedContext<K> context_;
  SideOutputs* side_;
  std::string what_;
  Host* host_;  // for Yield during long timer firings; null where links run without a host
  std::string key_bytes_;
  std::string row_;
  Collector<Out> out_;
  // state.backend.type: rocksdb: the task's backends, this operator's instance (from Restore),
  // and the key bound to the store's slot 0: its group, bytes and entry as last read or written.
  RocksDbStateBackend* rocksdb_;
  std::unique_ptr<RocksDbKeyedStateBackend> rocks_;
  bool rocks_bound_ = false;
  int rocks_group_ = 0;
  std::string rocks_key_;
  bool rocks_loaded_present_ = false;
  std::string rocks_loaded_;
  std::string rocks_value_;  // WriteBack's scratch
  Status rocks_error_;
};

// What the keyed links share: the function, its KeyedRuntime, restore, snapshot and timers.
// `Base` is the link's interface (BatchConsumer<In> for one input, ChainLink for two).
template <typename Base, typename K, typename Out, typename Fn>
class KeyedLink : public Base {
 public:
  Status Open(std::span<const std::string_view> restored) override {
    return runtime_.Restore(restored);
  }
  StateRedistribution redistribution() const override { return StateRedistribution::kKeyGroups; }
  int64_t NextProcessingTimeMs() const override { return runtime_.NextProcessingTimeMs(); }
  Status OnProcessingTime(int64_t now_ms) override {
    return runtime_.Fire(TimeDomain::kProcessingTime, now_ms, OnTimer());
  }
  Status Snapshot(int64_t, std::string* out) override { return runtime_.Snapshot(out); }

 protected:
  KeyedLink(const TaskContext& ctx, std::unique_ptr<Fn> fn, BatchConsumer<Out>* next)
      : fn_(std::move(fn)), runtime_(ctx, next) {
    fn_->Open(runtime_.store());
  }
  auto OnTimer() {
    return [this](int64_t time, KeyedContext<K>& ctx, Collector<Out>& out) {
      fn_->OnTimer(time, ctx, out);
    };
  }
  std::unique_ptr<Fn> fn_;
  KeyedRuntime<K, Out> runtime_;
};

// The runtime operator of a KeyedProcessFunction.
template <typename In, typename K, typename Out>
class KeyedProcessFunctionLink final
    : public KeyedLink<BatchConsumer<In>, K, Out, KeyedProcessFunction<K, In, Out>> {
 public:
  KeyedProcessFunctionLink(const TaskContext& ctx, std::function<K(const In&)> key_of,
                           const KeyedProcessFunctionFactory<K, In, Out>& factory,
                           BatchConsumer<Out>* next)
      : KeyedProcessFunctionLink::KeyedLink(ctx, factory(), next), key_of_(std::move(key_of)) {}
  Status Consume(std::span<const In> batch, std::span<const int64_t> timestamps) override {
    auto& runtime = this->runtime_;
    runtime.BeginBatch();
    for (size_t i = 0; i < batch.size(); ++i) {
      const K key = key_of_(batch[i]);
      this->fn_->ProcessElement(batch[i], runtime.Bind(key, TimestampAt(timestamps, i)),
                                runtime.out());
      RETURN_IF_ERROR(runtime.error());
    }
    return runtime.EndBatch();
  }
  // Fires the event-time timers up to the watermark, then forwards it.
  Status ProcessWatermark(int64_t watermark_ms) override {
    return this->runtime_.AdvanceWatermark(watermark_ms, this->OnTimer());
  }
  Status ProcessWatermarkStatus(bool idle) override {
    return this->runtime_.ForwardWatermarkStatus(idle);
  }

 private:
  std::function<K(const In&)> key_of_;
};

// The runtime operator of a KeyedCoProcessFunction: two input ports over one KeyedRuntime.
template <typename In1, typename In2, typename K, typename Out>
class KeyedCoProcessFunctionLink final
    : public KeyedLink<ChainLink, K, Out, KeyedCoProcessFunction<K, In1, In2, Out>> {
 public:
  KeyedCoProcessFunctionLink(const TaskContext& ctx, std::function<K(const In1&)> key_of1,
                             std::function<K(const In2&)> key_of2,
                             const KeyedCoProcessFunctionFactory<K, In1, In2, Out>& factory,
                             BatchConsumer<Out>* next)
      : KeyedCoProcessFunctionLink::KeyedLink(ctx, factory(), next),
        input1_(this, 0, std::move(key_of1)),
        input2_(this, 1, std::move(key_of2)) {}
  ChainLink* Input(int index) override { return InputPort(index, &input1_, &input2_); }

 private:
  template <typename In>
  class Port final : public BatchConsumer<In> {
   public:
    Port(KeyedCoProcessFunctionLink* owner, int index, std::function<K(const In&)> key_of)
        : owner_(owner), index_(index), key_of_(std::move(key_of)) {}
    Status Consume(std::span<const In> batch, std::span<const int64_t> timestamps) override {
      KeyedRuntime<K, Out>& runtime = owner_->runtime_;
      runtime.BeginBatch();
      for (size_t i = 0; i < batch.size(); ++i) {
        const K key = key_of_(batch[i]);
        KeyedContext<K>& ctx = runtime.Bind(key, TimestampAt(timestamps, i));
        if constexpr (std::is_same_v<In, In1>) {
          if (index_ == 0) owner_->fn_->ProcessElement1(batch[i], ctx, runtime.out());
        }
        if constexpr (std::is_same_v<In, In2>) {
          if (index_ == 1) owner_->fn_->ProcessElement2(batch[i], ctx, runtime.out());
        }
        RETURN_IF_ERROR(runtime.error());
      }
      return runtime.EndBatch();
    }
    Status ProcessWatermark(int64_t watermark_ms) override {
      return owner_->Emit(owner_->watermark_.OnWatermark(index_, watermark_ms));
    }
    Status ProcessWatermarkStatus(bool idle) override {
      return owner_->Emit(owner_->watermark_.OnStatus(index_, idle));
    }

   private:
    KeyedCoProcessFunctionLink* owner_;
    int index_;
    std::function<K(const In&)> key_of_;
  };

  // The combined watermark of both inputs: timers fire, then it and the status go downstream.
  Status Emit(const WatermarkValve::Output& out) {
    return EmitValveOutput(
        out,
        [this](int64_t watermark_ms) {
          return this->runtime_.AdvanceWatermark(watermark_ms, this->OnTimer());
        },
        [this](bool idle) { return this->runtime_.ForwardWatermarkStatus(idle); });
  }

  WatermarkValve watermark_{2};
  Port<In1> input1_;
  Port<In2> input2_;
};

// The reference semantics of a keyed operator (one or two inputs): keys → slots through an
// ordered map of the key's Serializer bytes; event-time timers fire at EndOfInput (the final
// watermark) in (time, key) order; processing-time timers never fire (the reference has no
// processing time: it reads 0). Shares no code with KeyedRuntime.
template <typename K, typename Out>
class ReferenceKeyedCore {
 public:
  ReferenceKeyedCore()
      : timer_service_(&timers_, [] { return int64_t{0}; }), context_(&timer_service_) {}
  KeyedStateStore& store() { return store_; }
  void BindSideOutputs(SideOutputs* side) { context_.BindSideOutputs(side); }
  // Binds state and timers to `key` for a record at `timestamp`; output goes to out().
  KeyedContext<K>& Bind(const K& key, int64_t timestamp) {
    std::string key_bytes;
    ByteWriter w(&key_bytes);
    Serializer<OwnedKey<K>>::Write(w, OwnedKey<K>(key));
    BindBytes(key_bytes);
    context_.Set(&key, timestamp);
    out_.Clear();
    out_.SetTimestamp(timestamp);
    return context_;
  }
  Collector<Out>& out() { return out_; }
  void Emit(const ReferenceEmit& emit) { EmitReferenceRecords(out_, &scratch_, emit); }
  template <typename OnTimer>
  void EndOfInput(const ReferenceEmit& emit, OnTimer&& on_timer) {
    timer_service_.SetWatermark(kMaxWatermark);
    std::set<InternalTimers::Timer>& timers = timers_.of(TimeDomain::kEventTime);
    while (!timers.empty()) {
      const InternalTimers::Timer timer = *timers.begin();
      timers.erase(timers.begin());
      BindBytes(timer.key);
      OwnedKey<K> owned{};
      ByteReader r(timer.key);
      SLUICE_ASSERT(Serializer<OwnedKey<K>>::Read(r, &owned), "timer keys are encoded here");
      const K key(owned);
      context_.Set(&key, timer.time_ms, TimeDomain::kEventTime);
      out_.Clear();
      out_.SetTimestamp(timer.time_ms);
      on_timer(timer.time_ms, context_, out_);
      Emit(emit);
    }
  }

 private:
  void BindBytes(const std::string& key_bytes) {
    auto [it, fresh] = slots_.try_emplace(key_bytes, slots_.size());
    store_.SetCurrent(it->second);
    timer_service_.SetCurrentKey(it->first, 0);
  }
  KeyedStateStore store_;
  std::map<std::string, size_t> slots_;
  InternalTimers timers_;
  TimerService timer_service_;
  KeyedContext<K> context_;
  Collector<Out> out_;
  std::string scratch_;
};

template <typename In, typename K, typename Out>
class ReferenceKeyedProcessFunction final : public ReferenceOperator {
 public:
  ReferenceKeyedProcessFunction(std::function<K(const In&)> key_of,
                                const KeyedProcessFunctionFactory<K, In, Out>& factory)
      : key_of_(std::move(key_of)), fn_(factory()) {
    fn_->Open(core_.store());
  }
  void BindSideOutputs(SideOutputs* side) override { core_.BindSideOutputs(side); }
  void Process(int, std::string_view bytes, int64_t timestamp, const ReferenceEmit& emit) override {
    const In record = DecodeReferenceRecord<In>(bytes);
    const K key = key_of_(record);
    fn_->ProcessElement(record, core_.Bind(key, timestamp), core_.out());
    core_.Emit(emit);
  }
  void EndOfInput(const ReferenceEmit& emit) override {
    core_.EndOfInput(emit, [this](int64_t time, KeyedContext<K>& ctx, Collector<Out>& out) {
      fn_->OnTimer(time, ctx, out);
    });
  }

 private:
  std::function<K(const In&)> key_of_;
  std::unique_ptr<KeyedProcessFunction<K, In, Out>> fn_;
  ReferenceKeyedCore<K, Out> core_;
};

template <typename In1, typename In2, typename K, typename Out>
class ReferenceKeyedCoProcessFunction final : public ReferenceOperator {
 public:
  ReferenceKeyedCoProcessFunction(std::function<K(const In1&)> key_of1,
                                  std::function<K(const In2&)> key_of2,
                                  const KeyedCoProcessFunctionFactory<K, In1, In2, Out>& factory)
      : key_of1_(std::move(key_of1)), key_of2_(std::move(key_of2)), fn_(factory()) {
    fn_->Open(core_.store());
  }
  void BindSideOutputs(SideOutputs* side) override { core_.BindSideOutputs(side); }
  void Process(int input_index, std::string_view bytes, int64_t timestamp,
               const ReferenceEmit& emit) override {
    if (input_index == 0) {
      const In1 record = DecodeReferenceRecord<In1>(bytes);
      const K key = key_of1_(record);
      fn_->ProcessElement1(record, core_.Bind(key, timestamp), core_.out());
    } else {
      const In2 record = DecodeReferenceRecord<In2>(bytes);
      const K key = key_of2_(record);
      fn_->ProcessElement2(record, core_.Bind(key, timestamp), core_.out());
    }
    core_.Emit(emit);
  }
  void EndOfInput(const ReferenceEmit& emit) override {
    core_.EndOfInput(emit, [this](int64_t time, KeyedContext<K>& ctx, Collector<Out>& out) {
      fn_->OnTimer(time, ctx, out);
    });
  }

 private:
  std::function<K(const In1&)> key_of1_;
  std::function<K(const In2&)> key_of2_;
  std::unique_ptr<KeyedCoProcessFunction<K, In1, In2, Out>> fn_;
  ReferenceKeyedCore<K, Out> core_;
};

}  // namespace internal
}  // namespace sluice
