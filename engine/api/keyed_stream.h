// KeyedStream and WindowedStream of the DataStream API (engine/api/data_stream.h, which includes
// this file; either may be included first): what a stream partitioned by key offers, keyed
// functions with state and timers (engine/api/keyed_process_function.h), keyed aggregations and
// event-time windows (engine/api/windows.h). Building never suspends.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "engine/api/data_stream.h"
#include "engine/api/keyed_process_function.h"
#include "engine/api/operators.h"
#include "engine/api/reference_operators.h"
#include "engine/api/windows.h"
#include "engine/state/keyed_state.h"
#include "engine/state/keyed_state_store.h"

namespace sluice {

template <typename T1, typename T2, typename K>
class IntervalJoinBuilder;
template <typename B>
class BroadcastStream;
template <typename T, typename K, typename B>
class KeyedBroadcastConnectedStreams;

template <typename T, typename K>
class KeyedStream {
 public:
  KeyedStream(DataStream<T> stream, std::function<K(const T&)> key_of)
      : stream_(std::move(stream)), key_of_(std::move(key_of)) {}

  // A keyed function with one ValueState<S> per key (S{} before the first update).
  template <typename S, typename Out>
  DataStream<Out> Process(std::string name,
                          typename internal::KeyedProcessLink<T, K, S, Out>::Function fn) {
    auto key_of = key_of_;
    return stream_.template Then<Out>(
        std::move(name),
        [key_of, fn](const TaskContext& ctx, ChainLink* next) {
          return std::unique_ptr<ChainLink>(
              std::make_unique<internal::KeyedProcessLink<T, K, S, Out>>(ctx, key_of, fn,
                                                                         internal::As<Out>(next)));
        },
        [key_of, fn]() -> std::unique_ptr<ReferenceOperator> {
          return std::make_unique<internal::ReferenceKeyedProcess<T, K, S, Out>>(key_of, fn);
        });
  }

  // A KeyedProcessFunction (engine/api/keyed_process_function.h) with every kind of keyed state;
  // `factory` makes one function object per operator instance.
  template <typename Out>
  DataStream<Out> Process(std::string name, KeyedProcessFunctionFactory<K, T, Out> factory) {
    auto key_of = key_of_;
    DataStream<Out> out = stream_.template Then<Out>(
        std::move(name),
        [key_of, factory](const TaskContext& ctx, ChainLink* next) {
          return std::unique_ptr<ChainLink>(
              std::make_unique<internal::KeyedProcessFunctionLink<T, K, Out>>(
                  ctx, key_of, factory, internal::As<Out>(next)));
        },
        [key_of, factory]() -> std::unique_ptr<ReferenceOperator> {
          return std::make_unique<internal::ReferenceKeyedProcessFunction<T, K, Out>>(key_of,
                                                                                      factory);
        });
    stream_.env_->graph_.nodes[out.operator_node()].emits_side_outputs = true;
    return out;
  }

  // The running aggregate per key: emits fn's result after every record (the accumulator is the
  // operator's keyed state).
  template <typename Acc, typename Out>
  DataStream<Out> Aggregate(std::string name,
                            std::shared_ptr<const AggregateFunction<T, Acc, Out>> fn) {
    class Running final : public KeyedProcessFunction<K, T, Out> {
     public:
      explicit Running(std::shared_ptr<const AggregateFunction<T, Acc, Out>> f) : fn_(std::move(f)) {}
      void Open(KeyedStateStore& state) override {
        acc_ = &state.GetAggregatingState<T, Acc, Out>("aggregate", fn_);
      }
      void ProcessElement(const T& value, typename KeyedProcessFunction<K, T, Out>::Context&,
                          Collector<Out>& out) override {
        acc_->add(value);
        out.Emit(*acc_->get());
      }

     private:
      std::shared_ptr<const AggregateFunction<T, Acc, Out>> fn_;
      AggregatingState<T, Acc, Out>* acc_ = nullptr;
    };
    return Process<Out>(std::move(name), KeyedProcessFunctionFactory<K, T, Out>([fn] {
                          return std::make_unique<Running>(fn);
                        }));
  }

  // Running sum, minimum or maximum of a field per key (Flink's sum/min/max: the other fields
  // are the key's first record's), and the record with the least or greatest field so far
  // (minBy/maxBy: the earliest such record on ties). `field` returns a reference to the field
  // for a const and a non-const record alike: `[](auto& r) -> auto& { return r.second; }`.
  template <typename F>
  DataStream<T> Sum(std::string name, F field) {
    return Reduce(std::move(name), [field](const T& acc, const T& value) {
      T next = acc;
      field(next) += field(value);
      return next;
    });
  }
  template <typename F>
  DataStream<T> Min(std::string name, F field) {
    return KeepField(std::move(name), field, [](const auto& a, const auto& b) { return a < b; });
  }
  template <typename F>
  DataStream<T> Max(std::string name, F field) {
    return KeepField(std::move(name), field, [](const auto& a, const auto& b) { return b < a; });
  }
  template <typename F>
  DataStream<T> MinBy(std::string name, F field) {
    return Reduce(std::move(name), [field](const T& acc, const T& value) {
      return field(value) < field(acc) ? value : acc;
    });
  }
  template <typename F>
  DataStream<T> MaxBy(std::string name, F field) {
    return Reduce(std::move(name), [field](const T& acc, const T& value) {
      return field(acc) < field(value) ? value : acc;
    });
  }

  // An interval join with `other`, keyed alike (engine/api/joins.h):
  // .Between(lower_ms, upper_ms).Process<Out>(name, fn).
  template <typename T2>
  IntervalJoinBuilder<T, T2, K> IntervalJoin(const KeyedStream<T2, K>& other) const;

  // With a broadcast stream: a KeyedBroadcastProcessFunction (engine/api/broadcast.h).
  template <typename B>
  KeyedBroadcastConnectedStreams<T, K, B> Connect(const BroadcastStream<B>& other) const;

  // Event-time windows per key (engine/api/windows.h).
  WindowedStream<T, K> Window(WindowAssigner assigner) {
    return WindowedStream<T, K>(*this, std::move(assigner));
  }

  // The running reduction per key (Flink's KeyedStream.reduce): emits fn(previous, record) for
  // every record after a key's first, which is emitted as it is.
  DataStream<T> Reduce(std::string name, std::function<T(const T&, const T&)> fn) {
    return Process<std::optional<T>, T>(
        std::move(name), [fn](const T& record, ValueState<std::optional<T>>& acc,
                              Collector<T>& out) {
          const std::optional<T>& previous = acc.value();
          acc.update(previous.has_value() ? fn(*previous, record) : record);
          out.Emit(*acc.value());
        });
  }

 private:
  template <typename T1, typename T2, typename K2>
  friend class KeyedConnectedStreams;
  template <typename T1, typename K1, typename B>
  friend class KeyedBroadcastConnectedStreams;
  // Min and Max: the key's first record with `field` replaced whenever a record's is better.
  template <typename F, typename Better>
  DataStream<T> KeepField(std::string name, F field, Better better) {
    return Reduce(std::move(name), [field, better](const T& acc, const T& value) {
      T next = acc;
      if (better(field(value), field(next))) field(next) = field(value);
      return next;
    });
  }
  DataStream<T> stream_;
  std::function<K(const T&)> key_of_;
};

// A keyed stream cut into windows (Flink's WindowedStream); each function's result leaves with
// the window's max timestamp when the watermark reaches it.
template <typename T, typename K>
class WindowedStream {
 public:
  WindowedStream(KeyedStream<T, K> keyed, WindowAssigner assigner)
      : keyed_(std::move(keyed)), assigner_(std::move(assigner)) {}
  // Keep each window's state this long past its end, firing again for records that arrive then.
  WindowedStream& AllowedLateness(int64_t lateness_ms) {
    lateness_ms_ = lateness_ms;
    return *this;
  }
  // Late records (every window past its allowed lateness) go to side output `tag` instead of
  // being dropped: GetSideOutput(tag) on the window's stream reads them (Flink's
  // sideOutputLateData). Which records are late depends on how far the watermark had got, so a
  // job whose output depends on them cannot be judged by the reference evaluator (which sees no
  // late records).
  WindowedStream& SideOutputLateData(OutputTag<T> tag) {
    late_tag_ = std::move(tag);
    return *this;
  }
  // The reduction of each window's records (Flink's ReduceFunction).
  DataStream<T> Reduce(std::string name, ReduceFunction<T> fn) {
    return Apply<T, T>(std::move(name),
                       {[fn](T& acc, const T& value, bool first) {
                          acc = first ? value : fn(acc, value);
                        },
                        [fn](T& into, const T& other) { into = fn(into, other); },
                        [](const K&, const TimeWindow&, const T& acc, Collector<T>& out) {
                          out.Emit(acc);
                        }});
  }
  // Each window's aggregate (Flink's AggregateFunction).
  template <typename Acc, typename Out>
  DataStream<Out> Aggregate(std::string name,
                            std::shared_ptr<const AggregateFunction<T, Acc, Out>> fn) {
    return Apply<Acc, Out>(
        std::move(name),
        {[fn](Acc& acc, const T& value, bool first) {
           acc = fn->Add(value, first ? fn->CreateAccumulator() : std::move(acc));
         },
         [fn](Acc& into, const Acc& other) { into = fn->Merge(std::move(into), other); },
         [fn](const K&, const TimeWindow&, const Acc& acc, Collector<Out>& out) {
           out.Emit(fn->GetResult(acc));
         }});
  }
  // Each window's aggregate handed, with the key and the window, to `window_fn` (Flink's
  // aggregate(AggregateFunction, ProcessWindowFunction): incremental, and the window known).
  template <typename Acc, typename R, typename Out>
  DataStream<Out> Aggregate(
      std::string name, std::shared_ptr<const AggregateFunction<T, Acc, R>> fn,
      std::function<void(const K&, const TimeWindow&, const R&, Collector<Out>&)> window_fn) {
    return Apply<Acc, Out>(
        std::move(name),
        {[fn](Acc& acc, const T& value, bool first) {
           acc = fn->Add(value, first ? fn->CreateAccumulator() : std::move(acc));
         },
         [fn](Acc& into, const Acc& other) { into = fn->Merge(std::move(into), other); },
         [fn, window_fn](const K& key, const TimeWindow& window, const Acc& acc,
                         Collector<Out>& out) { window_fn(key, window, fn->GetResult(acc), out); }});
  }
  // All of each window's records, with its key and bounds (Flink's ProcessWindowFunction).
  template <typename Out>
  DataStream<Out> Process(std::string name, ProcessWindowFunction<K, T, Out> fn) {
    return Apply<std::vector<T>, Out>(
        std::move(name),
        {[](std::vector<T>& acc, const T& value, bool) { acc.push_back(value); },
         [](std::vector<T>& into, const std::vector<T>& other) {
           into.insert(into.end(), other.begin(), other.end());
         },
         [fn](const K& key, const TimeWindow& window, const std::vector<T>& acc,
              Collector<Out>& out) { fn(key, window, acc, out); }});
  }

 private:
  template <typename Acc, typename Out>
  DataStream<Out> Apply(std::string name, internal::WindowAggregation<K, T, Acc, Out> aggregation) {
    auto assigner = assigner_;
    const int64_t lateness = lateness_ms_;
    auto late_tag = late_tag_;
    return keyed_.template Process<Out>(
        std::move(name),
        KeyedProcessFunctionFactory<K, T, Out>([assigner, lateness, aggregation, late_tag] {
          return std::make_unique<internal::WindowOperator<K, T, Acc, Out>>(
              assigner, lateness, aggregation, late_tag);
        }));
  }
  KeyedStream<T, K> keyed_;
  WindowAssigner assigner_;
  int64_t lateness_ms_ = 0;
  std::optional<OutputTag<T>> late_tag_;
};

}  // namespace sluice
