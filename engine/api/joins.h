// Joins of two keyed streams in event time (Flink's interval join and window join), built as
// KeyedCoProcessFunctions (engine/api/keyed_process_function.h), so they are checkpointed by key
// group, restored, and judged by the reference evaluator like any keyed function.
//
//   // Each bid with the auctions of its key whose time is in [bid - 5 s, bid + 1 s]:
//   bids.KeyBy(bid_key).IntervalJoin(auctions.KeyBy(auction_key))
//       .Between(-5'000, 1'000)
//       .Process<Out>("Join", [](const Bid& b, const Auction& a, Collector<Out>& out) { ... });
//
//   // Every pair with equal keys in the same 10 s tumbling window:
//   persons.Join(auctions).Where(person_id).EqualTo(seller)
//       .Window(TumblingEventTimeWindows::Of(10'000))
//       .Apply<Out>("Join", [](const Person& p, const Auction& a) { return Out{...}; });
//
// Interval join (Flink's IntervalJoinOperator): a left record at t meets every right record of
// its key at t' with t + lower <= t' <= t + upper (either bound exclusive on request); the pair
// leaves with timestamp max(t, t'). Each side's records wait in keyed MapState until the
// watermark passes the last time a partner could arrive, then a timer drops them. A record
// behind the watermark (late) is dropped, as in Flink.
//
// Window join (Flink's JoinedStreams with a non-merging window assigner: tumbling or sliding):
// when the watermark reaches a window's max timestamp, every pair of its left and right records
// of one key leaves, with the window's max timestamp; a record whose every window is past the
// watermark is dropped (late). Session windows are refused (kInvalidArgument at Build).
//
// Functions run on the task fiber and must not suspend.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

#include "engine/api/data_stream.h"
#include "engine/api/keyed_process_function.h"
#include "engine/api/windows.h"
#include "engine/state/keyed_state_store.h"

namespace sluice {

// Flink's ProcessJoinFunction and FlatJoinFunction: a matched pair, collecting any output.
template <typename T1, typename T2, typename Out>
using JoinPairFunction = std::function<void(const T1& left, const T2& right, Collector<Out>& out)>;

namespace internal {

// Each side's buffer: (timestamp, sequence number) → record, in time order.
template <typename T>
using JoinBuffer = MapState<std::pair<int64_t, int64_t>, T>;

template <typename K, typename T1, typename T2, typename Out>
class IntervalJoinFunction final : public KeyedCoProcessFunction<K, T1, T2, Out> {
 public:
  using Context = KeyedContext<K>;
  // [lower, upper] after applying exclusivity: both inclusive, in ms relative to the left time.
  IntervalJoinFunction(int64_t lower_ms, int64_t upper_ms, JoinPairFunction<T1, T2, Out> fn)
      : lower_(lower_ms), upper_(upper_ms), fn_(std::move(fn)) {}
  void Open(KeyedStateStore& state) override {
    left_ = &state.GetMapState<std::pair<int64_t, int64_t>, T1>("interval-join-left");
    right_ = &state.GetMapState<std::pair<int64_t, int64_t>, T2>("interval-join-right");
    sequence_ = &state.GetValueState<int64_t>("interval-join-sequence");
  }
  void ProcessElement1(const T1& value, Context& ctx, Collector<Out>& out) override {
    const int64_t t = ctx.timestamp();
    if (!Admit(t, ctx)) return;
    left_->put({t, NextSequence()}, value);
    for (auto it = right_->entries().lower_bound({t + lower_, INT64_MIN});
         it != right_->entries().end() && it->first.first <= t + upper_; ++it) {
      Emit(value, it->second, std::max(t, it->first.first), out);
    }
    ctx.timer_service().RegisterEventTimeTimer(t + std::max<int64_t>(upper_, 0));
  }
  void ProcessElement2(const T2& value, Context& ctx, Collector<Out>& out) override {
    const int64_t t = ctx.timestamp();
    if (!Admit(t, ctx)) return;
    right_->put({t, NextSequence()}, value);
    for (auto it = left_->entries().lower_bound({t - upper_, INT64_MIN});
         it != left_->entries().end() && it->first.first <= t - lower_; ++it) {
      Emit(it->second, value, std::max(t, it->first.first), out);
    }
    ctx.timer_service().RegisterEventTimeTimer(t + std::max<int64_t>(-lower_, 0));
  }
  // Drops what can meet no future record: a left record at t once the watermark passes
  // t + max(upper, 0), a right one at t' once it passes t' + max(-lower, 0).
  void OnTimer(int64_t timestamp, Context&, Collector<Out>&) override {
    Drop(*left_, timestamp - std::max<int64_t>(upper_, 0));
    Drop(*right_, timestamp - std::max<int64_t>(-lower_, 0));
    if (left_->empty() && right_->empty()) sequence_->clear();
  }

 private:
  bool Admit(int64_t t, Context& ctx) {
    if (t == kNoTimestamp) {
      ctx.Fail("an interval join got a record without a timestamp: is "
               "AssignTimestampsAndWatermarks missing upstream?");
      return false;
    }
    const int64_t watermark = ctx.timer_service().current_watermark();
    return watermark == kMinWatermark || t >= watermark;  // else late: dropped
  }
  int64_t NextSequence() {
    const int64_t next = sequence_->value() + 1;
    sequence_->update(next);
    return next;
  }
  void Emit(const T1& left, const T2& right, int64_t timestamp, Collector<Out>& out) {
    const int64_t saved = out.current_timestamp();
    out.SetTimestamp(timestamp);
    fn_(left, right, out);
    out.SetTimestamp(saved);
  }
  template <typename T>
  static void Drop(JoinBuffer<T>& buffer, int64_t up_to) {
    while (!buffer.empty() && buffer.entries().begin()->first.first <= up_to) {
      buffer.remove(buffer.entries().begin()->first);
    }
  }

  int64_t lower_;
  int64_t upper_;
  JoinPairFunction<T1, T2, Out> fn_;
  JoinBuffer<T1>* left_ = nullptr;
  JoinBuffer<T2>* right_ = nullptr;
  ValueState<int64_t>* sequence_ = nullptr;
};

template <typename K, typename T1, typename T2, typename Out>
class WindowJoinFunction final : public KeyedCoProcessFunction<K, T1, T2, Out> {
 public:
  using Context = KeyedContext<K>;
  // Buffers: (window start, window end, sequence number) → record.
  template <typename T>
  using Buffer = MapState<std::tuple<int64_t, int64_t, int64_t>, T>;

  WindowJoinFunction(WindowAssigner assigner, JoinPairFunction<T1, T2, Out> fn)
      : assigner_(std::move(assigner)), fn_(std::move(fn)) {}
  void Open(KeyedStateStore& state) override {
    left_ = &state.GetMapState<std::tuple<int64_t, int64_t, int64_t>, T1>("window-join-left");
    right_ = &state.GetMapState<std::tuple<int64_t, int64_t, int64_t>, T2>("window-join-right");
    sequence_ = &state.GetValueState<int64_t>("window-join-sequence");
  }
  void ProcessElement1(const T1& value, Context& ctx, Collector<Out>&) override {
    Add(*left_, value, ctx);
  }
  void ProcessElement2(const T2& value, Context& ctx, Collector<Out>&) override {
    Add(*right_, value, ctx);
  }
  // Emits every pair of the windows ending at `timestamp` + 1, then forgets them.
  void OnTimer(int64_t timestamp, Context&, Collector<Out>& out) override {
    std::vector<std::pair<int64_t, int64_t>> windows;
    for (const auto& [key, value] : left_->entries()) {
      const auto& [start, end, sequence] = key;
      if (end - 1 == timestamp && (windows.empty() || windows.back().first != start)) {
        windows.push_back({start, end});
      }
    }
    for (const auto& [start, end] : windows) {
      for (auto l = left_->entries().lower_bound({start, end, INT64_MIN});
           l != left_->entries().end() && std::get<0>(l->first) == start &&
           std::get<1>(l->first) == end;
           ++l) {
        for (auto r = right_->entries().lower_bound({start, end, INT64_MIN});
             r != right_->entries().end() && std::get<0>(r->first) == start &&
             std::get<1>(r->first) == end;
             ++r) {
          fn_(l->second, r->second, out);
        }
      }
    }
    Forget(*left_, timestamp);
    Forget(*right_, timestamp);
    if (left_->empty() && right_->empty()) sequence_->clear();
  }

 private:
  template <typename T>
  void Add(Buffer<T>& buffer, const T& value, Context& ctx) {
    if (ctx.timestamp() == kNoTimestamp) {
      ctx.Fail("a window join got a record without a timestamp: is "
               "AssignTimestampsAndWatermarks missing upstream?");
      return;
    }
    const int64_t watermark = ctx.timer_service().current_watermark();
    for (const TimeWindow& window : assigner_.assign(ctx.timestamp())) {
      if (watermark != kMinWatermark && window.max_timestamp() <= watermark) continue;  // late
      const int64_t next = sequence_->value() + 1;
      sequence_->update(next);
      buffer.put({window.start, window.end, next}, value);
      ctx.timer_service().RegisterEventTimeTimer(window.max_timestamp());
    }
  }
  // Removes the entries of windows whose max timestamp is at or before `timestamp`.
  template <typename T>
  static void Forget(Buffer<T>& buffer, int64_t timestamp) {
    std::vector<std::tuple<int64_t, int64_t, int64_t>> done;
    for (const auto& [key, value] : buffer.entries()) {
      if (std::get<1>(key) - 1 <= timestamp) done.push_back(key);
    }
    for (const auto& key : done) buffer.remove(key);
  }

  WindowAssigner assigner_;
  JoinPairFunction<T1, T2, Out> fn_;
  Buffer<T1>* left_ = nullptr;
  Buffer<T2>* right_ = nullptr;
  ValueState<int64_t>* sequence_ = nullptr;
};

}  // namespace internal

// keyed1.IntervalJoin(keyed2) (Flink's KeyedStream.IntervalJoin): see the top of this file.
template <typename T1, typename T2, typename K>
class IntervalJoinBuilder {
 public:
  IntervalJoinBuilder(KeyedStream<T1, K> left, KeyedStream<T2, K> right)
      : left_(std::move(left)), right_(std::move(right)) {}
  // Right records at t' with t + lower_ms <= t' <= t + upper_ms meet a left record at t.
  IntervalJoinBuilder& Between(int64_t lower_ms, int64_t upper_ms) {
    lower_ = lower_ms;
    upper_ = upper_ms;
    return *this;
  }
  IntervalJoinBuilder& LowerBoundExclusive() {
    lower_exclusive_ = true;
    return *this;
  }
  IntervalJoinBuilder& UpperBoundExclusive() {
    upper_exclusive_ = true;
    return *this;
  }
  template <typename Out>
  DataStream<Out> Process(std::string name, JoinPairFunction<T1, T2, Out> fn) {
    const int64_t lower = lower_ + (lower_exclusive_ ? 1 : 0);
    const int64_t upper = upper_ - (upper_exclusive_ ? 1 : 0);
    KeyedConnectedStreams<T1, T2, K> connected(left_, right_);
    if (lower > upper) {
      connected.Invalid("interval join '" + name + "': the lower bound is above the upper bound");
    }
    return connected.template Process<Out>(
        std::move(name), KeyedCoProcessFunctionFactory<K, T1, T2, Out>([lower, upper, fn] {
          return std::make_unique<internal::IntervalJoinFunction<K, T1, T2, Out>>(lower, upper,
                                                                                  fn);
        }));
  }

 private:
  KeyedStream<T1, K> left_;
  KeyedStream<T2, K> right_;
  int64_t lower_ = 0;
  int64_t upper_ = 0;
  bool lower_exclusive_ = false;
  bool upper_exclusive_ = false;
};

template <typename T, typename K>
template <typename T2>
IntervalJoinBuilder<T, T2, K> KeyedStream<T, K>::IntervalJoin(const KeyedStream<T2, K>& other) const {
  return IntervalJoinBuilder<T, T2, K>(*this, other);
}

// A window join once keyed and windowed (Flink's JoinedStreams.WithWindow).
template <typename T1, typename T2, typename K>
class WindowedJoin {
 public:
  WindowedJoin(KeyedStream<T1, K> left, KeyedStream<T2, K> right, WindowAssigner assigner)
      : left_(std::move(left)), right_(std::move(right)), assigner_(std::move(assigner)) {}
  // Flink's JoinFunction: one output record per pair.
  template <typename F,
            typename Out = std::decay_t<std::invoke_result_t<F&, const T1&, const T2&>>>
  DataStream<Out> Apply(std::string name, F fn) {
    std::function<Out(const T1&, const T2&)> join = std::move(fn);
    return FlatApply<Out>(std::move(name), [join](const T1& l, const T2& r, Collector<Out>& out) {
      out.Emit(join(l, r));
    });
  }
  // Flink's FlatJoinFunction: any output per pair.
  template <typename Out>
  DataStream<Out> FlatApply(std::string name, JoinPairFunction<T1, T2, Out> fn) {
    auto assigner = assigner_;
    KeyedConnectedStreams<T1, T2, K> connected(left_, right_);
    if (assigner.merging) {
      connected.Invalid("window join '" + name + "': session (merging) windows are not offered");
    }
    return connected.template Process<Out>(
        std::move(name), KeyedCoProcessFunctionFactory<K, T1, T2, Out>([assigner, fn] {
          return std::make_unique<internal::WindowJoinFunction<K, T1, T2, Out>>(assigner, fn);
        }));
  }

 private:
  KeyedStream<T1, K> left_;
  KeyedStream<T2, K> right_;
  WindowAssigner assigner_;
};

template <typename T1, typename T2, typename F1, typename F2>
class JoinEqualTo {
 public:
  JoinEqualTo(DataStream<T1> left, DataStream<T2> right, F1 key1, F2 key2)
      : left_(std::move(left)), right_(std::move(right)), key1_(key1), key2_(key2) {}
  auto Window(WindowAssigner assigner) {
    using K = std::decay_t<std::invoke_result_t<F1&, const T1&>>;
    static_assert(std::is_same_v<K, std::decay_t<std::invoke_result_t<F2&, const T2&>>>,
                  "both key functions must return the same key type");
    return WindowedJoin<T1, T2, K>(left_.KeyBy(key1_), right_.KeyBy(key2_), std::move(assigner));
  }

 private:
  DataStream<T1> left_;
  DataStream<T2> right_;
  F1 key1_;
  F2 key2_;
};

template <typename T1, typename T2, typename F1>
class JoinWhere {
 public:
  JoinWhere(DataStream<T1> left, DataStream<T2> right, F1 key1)
      : left_(std::move(left)), right_(std::move(right)), key1_(std::move(key1)) {}
  template <typename F2>
  JoinEqualTo<T1, T2, F1, F2> EqualTo(F2 key2) {
    return JoinEqualTo<T1, T2, F1, F2>(left_, right_, key1_, std::move(key2));
  }

 private:
  DataStream<T1> left_;
  DataStream<T2> right_;
  F1 key1_;
};

// stream1.Join(stream2) (Flink's JoinedStreams): .Where(k1).EqualTo(k2).Window(a).Apply(fn).
template <typename T1, typename T2>
class JoinedStreams {
 public:
  JoinedStreams(DataStream<T1> left, DataStream<T2> right)
      : left_(std::move(left)), right_(std::move(right)) {}
  template <typename F1>
  JoinWhere<T1, T2, F1> Where(F1 key1) {
    return JoinWhere<T1, T2, F1>(left_, right_, std::move(key1));
  }

 private:
  DataStream<T1> left_;
  DataStream<T2> right_;
};

template <typename T>
template <typename T2>
JoinedStreams<T, T2> DataStream<T>::Join(const DataStream<T2>& other) const {
  return JoinedStreams<T, T2>(*this, other);
}

}  // namespace sluice
