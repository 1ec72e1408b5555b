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
// Functions run on the task fiber and must not suspend or keep state outside the store (it would
// not survive a restore). Timers are not yet offered (issue 8).
#pragma once

#include <functional>
#include <memory>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "engine/base/bytes.h"
#include "engine/base/serializer.h"
#include "engine/base/status.h"
#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"
#include "engine/partition/key_group.h"
#include "engine/partition/key_hash.h"
#include "engine/state/keyed_state.h"
#include "engine/state/keyed_state_store.h"

namespace sluice {

template <typename K, typename In, typename Out>
class KeyedProcessFunction {
 public:
  class Context {
   public:
    // The key of the record being processed.
    const K& current_key() const { return *key_; }
    void SetKey(const K* key) { key_ = key; }

   private:
    const K* key_ = nullptr;
  };
  virtual ~KeyedProcessFunction() = default;
  // Registers the function's keyed state. Called once per operator instance, before any record
  // and before a restore fills the state.
  virtual void Open(KeyedStateStore& state) {}
  virtual void ProcessElement(const In& value, Context& ctx, Collector<Out>& out) = 0;
};

template <typename K, typename In, typename Out>
using KeyedProcessFunctionFactory =
    std::function<std::unique_ptr<KeyedProcessFunction<K, In, Out>>()>;

namespace internal {

// The runtime operator: keys → entries of a key-group-indexed table (HeapValueStateBackend used as
// the key index), state in the store's columns. Snapshot: [schema][key-group sections], each
// entry's value the store's slot bytes as one string.
template <typename In, typename K, typename Out>
class KeyedProcessFunctionLink final : public BatchConsumer<In> {
 public:
  KeyedProcessFunctionLink(const TaskContext& ctx, std::function<K(const In&)> key_of,
                           const KeyedProcessFunctionFactory<K, In, Out>& factory,
                           BatchConsumer<Out>* next)
      : key_of_(std::move(key_of)),
        fn_(factory()),
        next_(next),
        max_parallelism_(ctx.max_parallelism),
        keys_(ctx.max_parallelism,
              KeyGroupRangeForOperator(ctx.max_parallelism, ctx.parallelism, ctx.subtask)),
        what_(ctx.task_name) {
    fn_->Open(store_);
  }
  Status Open(std::string_view restored) override {
    RETURN_IF_ERROR(store_.error());
    if (restored.empty()) return Status::Ok();
    ByteReader r(restored);
    RETURN_IF_ERROR(store_.CheckSchema(r, what_));
    store_.Reset();
    return keys_.RestoreWith(r.rest(), what_, [this](ByteReader& in, bool keep, uint32_t entry) {
      std::string_view row;
      if (!in.GetString(&row)) return false;
      if (!keep) return true;
      ByteReader row_reader(row);
      return store_.ReadSlot(entry, row_reader);
    });
  }
  Status Consume(std::span<const In> batch) override {
    out_.Clear();
    for (const In& record : batch) {
      const K key = key_of_(record);
      const uint32_t entry = keys_.FindOrInsertIndex(
          KeyBytes<K>::Of(key, &key_bytes_),
          [&](std::string_view) { return KeyGroupForKeyOf(key, max_parallelism_); });
      store_.SetCurrent(entry);
      context_.SetKey(&key);
      fn_->ProcessElement(record, context_, out_);
    }
    return out_.size() == 0 ? Status::Ok() : next_->Consume(out_.view());
  }
  Status Snapshot(int64_t, std::string* out) override {
    ByteWriter w(out);
    store_.WriteSchema(w);
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

 private:
  std::function<K(const In&)> key_of_;
  std::unique_ptr<KeyedProcessFunction<K, In, Out>> fn_;
  BatchConsumer<Out>* next_;
  int max_parallelism_;
  HeapValueStateBackend<uint8_t> keys_;  // key → entry number (its value is unused)
  KeyedStateStore store_;
  typename KeyedProcessFunction<K, In, Out>::Context context_;
  std::string what_;
  std::string key_bytes_;
  std::string row_;
  Collector<Out> out_;
};

// The reference semantics: keys → slots through an ordered map of the key's Serializer bytes.
template <typename In, typename K, typename Out>
class ReferenceKeyedProcessFunction final : public ReferenceOperator {
 public:
  ReferenceKeyedProcessFunction(std::function<K(const In&)> key_of,
                                const KeyedProcessFunctionFactory<K, In, Out>& factory)
      : key_of_(std::move(key_of)), fn_(factory()) {
    fn_->Open(store_);
  }
  void Process(int, std::string_view bytes, const ReferenceEmit& emit) override {
    In record{};
    ByteReader r(bytes);
    SLUICE_ASSERT(Serializer<In>::Read(r, &record) && r.empty(),
                  "the reference evaluator passes only records it encoded");
    const K key = key_of_(record);
    std::string key_bytes;
    if constexpr (std::is_same_v<K, std::string_view>) {
      key_bytes = key;
    } else {
      ByteWriter w(&key_bytes);
      Serializer<K>::Write(w, key);
    }
    auto [it, fresh] = slots_.try_emplace(std::move(key_bytes), slots_.size());
    store_.SetCurrent(it->second);
    context_.SetKey(&key);
    out_.Clear();
    fn_->ProcessElement(record, context_, out_);
    for (const Out& value : out_.view()) {
      scratch_.clear();
      ByteWriter w(&scratch_);
      Serializer<Out>::Write(w, value);
      emit(scratch_);
    }
  }

 private:
  std::function<K(const In&)> key_of_;
  std::unique_ptr<KeyedProcessFunction<K, In, Out>> fn_;
  KeyedStateStore store_;
  std::map<std::string, size_t> slots_;
  typename KeyedProcessFunction<K, In, Out>::Context context_;
  Collector<Out> out_;
  std::string scratch_;
};

}  // namespace internal
}  // namespace sluice
