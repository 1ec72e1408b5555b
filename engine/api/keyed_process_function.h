// KeyedProcessFunction (Flink's KeyedProcessFunction): a user function over a keyed stream with
// the keyed state of engine/state/keyed_state_store.h. Open registers its states once per
// operator instance; ProcessElement runs per record with every state handle bound to the record's
// key. The runtime keeps the state per key group in a HeapKeyedStateBackend and checkpoints it
// with every barrier; the reference evaluator keeps its own map (engine/api/reference_operators.h
// style), so a bug in key groups, snapshots or restores shows up as a difference.
//
//   class CountAndList : public KeyedProcessFunction<std::string, Event, Out> {
//     ValueState<int64_t>* count_ = nullptr;
//     ListState<std::string>* seen_ = nullptr;
//     void Open(KeyedStateStore& state) override {
//       count_ = &state.GetValueState<int64_t>("count");
//       seen_ = &state.GetListState<std::string>("seen");
//     }
//     void ProcessElement(const Event& e, Context& ctx, Collector<Out>& out) override { ... }
//   };
//   stream.KeyBy(...).Process<Out>("Name", [] { return std::make_unique<CountAndList>(); });
//
// Timers (Flink's TimerService): per key, in event time (fire when the watermark reaches them) or
// processing time (the host clock, ms). A timer is identified by (key, time): registering it
// twice is once. They are checkpointed with the state, by key group, and fire OnTimer with the
// key's state bound, the timer's time as the output's timestamp. Event-time timers fire in
// (time, key) order; the final watermark at the end of a finite input fires all that are left.
// Processing-time timers still pending at the end are dropped (as in Flink), so output that
// depends on processing time cannot be judged by the reference evaluator.
//
// Functions run on the task fiber and must not suspend or keep state outside the store (it would
// not survive a restore).
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "engine/base/bytes.h"
#include "engine/base/serializer.h"
#include "engine/base/status.h"
#include "engine/base/assert.h"
#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"
#include "engine/graph/side_outputs.h"
#include "engine/partition/key_group.h"
#include "engine/partition/key_hash.h"
#include "engine/state/keyed_state.h"
#include "engine/state/keyed_state_store.h"

namespace sluice {

enum class TimeDomain : uint8_t { kEventTime, kProcessingTime };

// The timers of one keyed operator instance: (time, key bytes, key group), ordered by time, then
// key. Not thread-safe; never suspends.
class InternalTimers {
 public:
  struct Timer {
    int64_t time_ms = 0;
    std::string key;  // the key's bytes
    int32_t key_group = 0;
    bool operator<(const Timer& o) const {
      return time_ms != o.time_ms ? time_ms < o.time_ms : key < o.key;
    }
  };
  std::set<Timer>& of(TimeDomain domain) {
    return domain == TimeDomain::kEventTime ? event_ : processing_;
  }
  const std::set<Timer>& of(TimeDomain domain) const {
    return domain == TimeDomain::kEventTime ? event_ : processing_;
  }
  // [varint count][i64 time][string key][u32 key group]... for event, then processing time.
  void Write(ByteWriter& w) const {
    for (const std::set<Timer>* timers : {&event_, &processing_}) {
      w.PutVarint(timers->size());
      for (const Timer& t : *timers) {
        w.PutU64(static_cast<uint64_t>(t.time_ms));
        w.PutString(t.key);
        w.PutU32(static_cast<uint32_t>(t.key_group));
      }
    }
  }
  void Clear() {
    event_.clear();
    processing_.clear();
  }
  // Adds the timers whose key group `keep` accepts. False on malformed bytes.
  template <typename Keep>
  bool Read(ByteReader& r, Keep&& keep) {
    for (std::set<Timer>* timers : {&event_, &processing_}) {
      uint64_t count = 0;
      if (!r.GetVarint(&count) || count > r.remaining()) return false;
      for (uint64_t i = 0; i < count; ++i) {
        uint64_t time = 0;
        uint32_t key_group = 0;
        Timer t;
        if (!r.GetU64(&time) || !r.GetString(&t.key) || !r.GetU32(&key_group)) return false;
        t.time_ms = static_cast<int64_t>(time);
        t.key_group = static_cast<int32_t>(key_group);
        if (keep(t.key_group)) timers->insert(std::move(t));
      }
    }
    return true;
  }

 private:
  std::set<Timer> event_;
  std::set<Timer> processing_;
};

// What a function sees of time and timers, for the current key (Flink's TimerService).
class TimerService {
 public:
  int64_t current_processing_time() const { return processing_time_(); }
  int64_t current_watermark() const { return watermark_; }
  void RegisterEventTimeTimer(int64_t time_ms) { Add(TimeDomain::kEventTime, time_ms); }
  void RegisterProcessingTimeTimer(int64_t time_ms) { Add(TimeDomain::kProcessingTime, time_ms); }
  void DeleteEventTimeTimer(int64_t time_ms) { Remove(TimeDomain::kEventTime, time_ms); }
  void DeleteProcessingTimeTimer(int64_t time_ms) { Remove(TimeDomain::kProcessingTime, time_ms); }

  // For the operator that owns it.
  TimerService(InternalTimers* timers, std::function<int64_t()> processing_time)
      : timers_(timers), processing_time_(std::move(processing_time)) {}
  void SetCurrentKey(std::string_view key, int32_t key_group) {
    key_ = key;
    key_group_ = key_group;
  }
  void SetWatermark(int64_t watermark_ms) { watermark_ = watermark_ms; }

 private:
  void Add(TimeDomain domain, int64_t time_ms) {
    timers_->of(domain).insert({time_ms, std::string(key_), key_group_});
  }
  void Remove(TimeDomain domain, int64_t time_ms) {
    timers_->of(domain).erase({time_ms, std::string(key_), key_group_});
  }
  InternalTimers* timers_;
  std::function<int64_t()> processing_time_;
  std::string_view key_;
  int32_t key_group_ = 0;
  int64_t watermark_ = kMinWatermark;
};

// What a keyed function sees of the record or timer at hand (the Context of Flink's
// KeyedProcessFunction and KeyedCoProcessFunction).
template <typename K>
class KeyedContext {
 public:
  // The key of the record being processed, or of the timer firing.
  const K& current_key() const { return *key_; }
  // The record's event timestamp (kNoTimestamp if it has none), or the firing timer's time.
  int64_t timestamp() const { return timestamp_; }
  // In OnTimer: which kind of timer fired.
  TimeDomain time_domain() const { return domain_; }
  TimerService& timer_service() { return *timers_; }
  // Fails the task with `reason` once the current call returns (Flink: the function throws).
  void Fail(std::string reason) {
    if (error_.ok()) error_ = InvalidArgumentError(std::move(reason));
  }
  // Emits `value` to the side output `tag` with timestamp(), the record's or the timer's (Flink's
  // ctx.output; DataStream::GetSideOutput(tag) reads them). Dropped if nothing reads that tag.
  template <typename X>
  void Output(const OutputTag<X>& tag, const X& value) {
    if (side_ != nullptr) side_->Emit(tag, value, timestamp_);
  }

  // For the operator that owns it.
  const Status& error() const { return error_; }
  explicit KeyedContext(TimerService* timers) : timers_(timers) {}
  void BindSideOutputs(SideOutputs* side) { side_ = side; }
  void Set(const K* key, int64_t timestamp, TimeDomain domain = TimeDomain::kEventTime) {
    key_ = key;
    timestamp_ = timestamp;
    domain_ = domain;
  }

 private:
  TimerService* timers_;
  SideOutputs* side_ = nullptr;
  Status error_;
  const K* key_ = nullptr;
  int64_t timestamp_ = kNoTimestamp;
  TimeDomain domain_ = TimeDomain::kEventTime;
};

template <typename K, typename In, typename Out>
class KeyedProcessFunction {
 public:
  using Context = KeyedContext<K>;
  virtual ~KeyedProcessFunction() = default;
  // Registers the function's keyed state. Called once per operator instance, before any record
  // and before a restore fills the state.
  virtual void Open(KeyedStateStore& state) {}
  virtual void ProcessElement(const In& value, Context& ctx, Collector<Out>& out) = 0;
  // A timer registered for the current key fired at `timestamp` (ms).
  virtual void OnTimer(int64_t timestamp, Context& ctx, Collector<Out>& out) {}
};

template <typename K, typename In, typename Out>
using KeyedProcessFunctionFactory =
    std::function<std::unique_ptr<KeyedProcessFunction<K, In, Out>>()>;

// Two keyed inputs with one key type and shared keyed state and timers (Flink's
// KeyedCoProcessFunction, from ConnectedStreams::KeyBy): ProcessElement1 for records of the first
// input, ProcessElement2 for the second's, interleaved in arrival order. The operator's watermark
// is the minimum of its two inputs'. Everything else is as for KeyedProcessFunction: a join whose
// output must not depend on arrival order keeps both sides in state (see IntervalJoin and the
// window join in engine/api/joins.h).
template <typename K, typename In1, typename In2, typename Out>
class KeyedCoProcessFunction {
 public:
  using Context = KeyedContext<K>;
  virtual ~KeyedCoProcessFunction() = default;
  virtual void Open(KeyedStateStore& state) {}
  virtual void ProcessElement1(const In1& value, Context& ctx, Collector<Out>& out) = 0;
  virtual void ProcessElement2(const In2& value, Context& ctx, Collector<Out>& out) = 0;
  virtual void OnTimer(int64_t timestamp, Context& ctx, Collector<Out>& out) {}
};

template <typename K, typename In1, typename In2, typename Out>
using KeyedCoProcessFunctionFactory =
    std::function<std::unique_ptr<KeyedCoProcessFunction<K, In1, In2, Out>>()>;

}  // namespace sluice

// The runtime and reference operators behind these functions.
#include "engine/api/keyed_runtime.h"  // IWYU pragma: export
