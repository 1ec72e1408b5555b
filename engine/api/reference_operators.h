// The reference semantics of the DataStream API's operators (ReferenceOperator,
// engine/graph/job_graph.h), for Sluice's oracle (scenarios/reference_evaluator.h). Each one
// applies the user's function to one record at a time and keeps keyed state in a plain ordered
// map per instance: none of the runtime's chain links, batches, record writers, key-group state
// backends or snapshots is used, so that a bug there shows up as a difference from this.
// Records arrive and leave as Serializer bytes. Never suspends.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/serializer.h"
#include "engine/api/operators.h"
#include "engine/graph/chain.h"
#include "engine/graph/side_outputs.h"
#include "engine/graph/job_graph.h"
#include "engine/partition/key_group.h"
#include "engine/partition/key_hash.h"
#include "engine/state/keyed_state.h"

namespace sluice::internal {

template <typename T>
T DecodeReferenceRecord(std::string_view bytes) {
  T record{};
  ByteReader r(bytes);
  SLUICE_ASSERT(Serializer<T>::Read(r, &record) && r.empty(),
                "the reference evaluator passes only records it encoded");
  return record;
}

template <typename T>
void EmitReferenceRecords(const Collector<T>& out, std::string* scratch,
                          const ReferenceEmit& emit) {
  const std::span<const T> records = out.view();
  for (size_t i = 0; i < records.size(); ++i) {
    scratch->clear();
    ByteWriter w(scratch);
    Serializer<T>::Write(w, records[i]);
    emit(*scratch, TimestampAt(out.timestamps(), i));
  }
}

// Any operator whose output for a record of input `i` is what fns[i] collects (FlatMap, Map,
// Filter, CoFlatMap, CoMap).
template <typename In1, typename In2, typename Out>
class ReferenceFlatMap final : public ReferenceOperator {
 public:
  using Function1 = std::function<void(const In1&, Collector<Out>&)>;
  using Function2 = std::function<void(const In2&, Collector<Out>&)>;
  ReferenceFlatMap(Function1 fn1, Function2 fn2) : fn1_(std::move(fn1)), fn2_(std::move(fn2)) {}
  void Process(int input_index, std::string_view record, int64_t timestamp,
               const ReferenceEmit& emit) override {
    out_.Clear();
    out_.SetTimestamp(timestamp);
    if (input_index == 0) {
      fn1_(DecodeReferenceRecord<In1>(record), out_);
    } else {
      SLUICE_ASSERT(fn2_ != nullptr, "only a two-input operator has a second input");
      fn2_(DecodeReferenceRecord<In2>(record), out_);
    }
    EmitReferenceRecords(out_, &scratch_, emit);
  }

 private:
  Function1 fn1_;
  Function2 fn2_;
  Collector<Out> out_;
  std::string scratch_;
};

// A ProcessFunction: its output per record, side outputs through BindSideOutputs.
template <typename In, typename Out>
class ReferenceProcessFunction final : public ReferenceOperator {
 public:
  explicit ReferenceProcessFunction(std::unique_ptr<ProcessFunction<In, Out>> fn)
      : fn_(std::move(fn)) {}
  void BindSideOutputs(SideOutputs* side) override { context_.BindSideOutputs(side); }
  void Process(int, std::string_view record, int64_t timestamp,
               const ReferenceEmit& emit) override {
    out_.Clear();
    out_.SetTimestamp(timestamp);
    context_.SetTimestamp(timestamp);
    fn_->ProcessElement(DecodeReferenceRecord<In>(record), context_, out_);
    EmitReferenceRecords(out_, &scratch_, emit);
  }

 private:
  std::unique_ptr<ProcessFunction<In, Out>> fn_;
  ProcessContext context_;
  Collector<Out> out_;
  std::string scratch_;
};

// A keyed function over ValueState<S>: one value per key (by the key's Serializer bytes; a
// std::string_view key by its characters).
template <typename In, typename K, typename S, typename Out>
class ReferenceKeyedProcess final : public ReferenceOperator {
 public:
  using Function = std::function<void(const In&, ValueState<S>&, Collector<Out>&)>;
  ReferenceKeyedProcess(std::function<K(const In&)> key_of, Function fn)
      : key_of_(std::move(key_of)), fn_(std::move(fn)) {}
  void Process(int, std::string_view bytes, int64_t timestamp,
               const ReferenceEmit& emit) override {
    const In record = DecodeReferenceRecord<In>(bytes);
    std::string key;
    if constexpr (std::is_same_v<K, std::string_view>) {
      key = key_of_(record);
    } else {
      ByteWriter w(&key);
      Serializer<K>::Write(w, key_of_(record));
    }
    ValueState<S> state(&values_[key]);
    out_.Clear();
    out_.SetTimestamp(timestamp);
    fn_(record, state, out_);
    EmitReferenceRecords(out_, &scratch_, emit);
  }

 private:
  std::function<K(const In&)> key_of_;
  Function fn_;
  std::map<std::string, S> values_;
  Collector<Out> out_;
  std::string scratch_;
};

// A sink: emits what committing each record adds to the committed output.
template <typename T>
class ReferenceSink final : public ReferenceOperator {
 public:
  explicit ReferenceSink(std::function<void(const T&, std::string*)> committed)
      : committed_(std::move(committed)) {}
  void Process(int, std::string_view bytes, int64_t, const ReferenceEmit& emit) override {
    scratch_.clear();
    committed_(DecodeReferenceRecord<T>(bytes), &scratch_);
    emit(scratch_, kNoTimestamp);
  }

 private:
  std::function<void(const T&, std::string*)> committed_;
  std::string scratch_;
};

// The consumer of a record on a key_by edge: the key group of its key, as in the runtime's
// HashSelector (the key-group formula is Flink's contract, not the runtime's code).
template <typename T, typename K>
ReferenceRoute MakeHashRoute(std::function<K(const T&)> key_of) {
  return [key_of](std::string_view bytes, int channels, int max_parallelism) {
    return OperatorIndexForKeyGroup(
        max_parallelism, channels,
        KeyGroupForKeyOf(key_of(DecodeReferenceRecord<T>(bytes)), max_parallelism));
  };
}

template <typename T>
ReferenceRoute MakeCustomRoute(std::function<int(const T&, int channels)> select) {
  return [select](std::string_view bytes, int channels, int) {
    return select(DecodeReferenceRecord<T>(bytes), channels);
  };
}

}  // namespace sluice::internal
