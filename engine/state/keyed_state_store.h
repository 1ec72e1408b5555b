// KeyedStateStore: the keyed state of one keyed operator instance, as the user's function sees it
// (Flink's KeyedStateStore and its state primitives): named states registered once (Open), each a
// column with one slot per key, and handles that always point at the current key's slots.
//
//   ValueState<S>              value(), update(v), clear()           (keyed_state.h)
//   ListState<T>               get(), add(v), update(list), clear()
//   MapState<UK, UV>           get(k), put(k, v), remove(k), contains(k), entries(), clear()
//   ReducingState<T>           get(), add(v) (folds with the ReduceFunction), clear()
//   AggregatingState<I, A, O>  get(), add(v) (an AggregateFunction), clear()
//
// Who maps keys to slot numbers is the store's owner: the runtime's HeapKeyedStateBackend
// (key groups, snapshots) or the reference evaluator's own map. SetCurrent(slot) binds every
// handle to that key's slots; handle references stay valid for the store's life, the slots
// they point at until the next SetCurrent. A key whose every state is empty (never set or
// cleared) is absent: snapshots skip it.
//
// A slot's bytes (WriteSlot/ReadSlot): per state in registration order, [u8 present] then, if
// present, the value (Serializer). The schema (WriteSchema/CheckSchema) lists the states' names
// and kinds, so that a restore into a function that registered other states fails instead of
// misreading. Not thread-safe; never suspends.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/base/serializer.h"
#include "engine/base/status.h"
#include "engine/state/keyed_state.h"

namespace sluice {

template <typename T>
class ListState {
 public:
  const std::vector<T>& get() const { return *slot_; }
  void add(const T& value) { slot_->push_back(value); }
  void update(std::vector<T> values) { *slot_ = std::move(values); }
  void clear() { slot_->clear(); }
  void Bind(std::vector<T>* slot) { slot_ = slot; }

 private:
  std::vector<T>* slot_ = nullptr;
};

template <typename UK, typename UV>
class MapState {
 public:
  // nullptr if `key` has no value.
  const UV* get(const UK& key) const {
    auto it = slot_->find(key);
    return it == slot_->end() ? nullptr : &it->second;
  }
  void put(const UK& key, const UV& value) { (*slot_)[key] = value; }
  void remove(const UK& key) { slot_->erase(key); }
  bool contains(const UK& key) const { return slot_->count(key) > 0; }
  // In key order.
  const std::map<UK, UV>& entries() const { return *slot_; }
  bool empty() const { return slot_->empty(); }
  void clear() { slot_->clear(); }
  void Bind(std::map<UK, UV>* slot) { slot_ = slot; }

 private:
  std::map<UK, UV>* slot_ = nullptr;
};

// Flink's ReduceFunction: combines two values of one type.
template <typename T>
using ReduceFunction = std::function<T(const T& accumulated, const T& value)>;

template <typename T>
class ReducingState {
 public:
  explicit ReducingState(ReduceFunction<T> reduce) : reduce_(std::move(reduce)) {}
  // The reduction of every value added since the last clear; nullptr if none.
  const T* get() const { return slot_->has_value() ? &**slot_ : nullptr; }
  void add(const T& value) { *slot_ = slot_->has_value() ? reduce_(**slot_, value) : value; }
  void clear() { slot_->reset(); }
  void Bind(std::optional<T>* slot) { slot_ = slot; }

 private:
  ReduceFunction<T> reduce_;
  std::optional<T>* slot_ = nullptr;
};

// Flink's AggregateFunction<IN, ACC, OUT>: an accumulator folded over the inputs and read out.
template <typename In, typename Acc, typename Out>
class AggregateFunction {
 public:
  virtual ~AggregateFunction() = default;
  virtual Acc CreateAccumulator() const = 0;
  virtual Acc Add(const In& value, Acc accumulator) const = 0;
  virtual Out GetResult(const Acc& accumulator) const = 0;
  virtual Acc Merge(Acc a, const Acc& b) const = 0;
};

template <typename In, typename Acc, typename Out>
class AggregatingState {
 public:
  explicit AggregatingState(std::shared_ptr<const AggregateFunction<In, Acc, Out>> fn)
      : fn_(std::move(fn)) {}
  // The result over every value added since the last clear; nullopt if none.
  std::optional<Out> get() const {
    if (!slot_->has_value()) return std::nullopt;
    return fn_->GetResult(**slot_);
  }
  void add(const In& value) {
    *slot_ = fn_->Add(value, slot_->has_value() ? std::move(**slot_) : fn_->CreateAccumulator());
  }
  void clear() { slot_->reset(); }
  void Bind(std::optional<Acc>* slot) { slot_ = slot; }

 private:
  std::shared_ptr<const AggregateFunction<In, Acc, Out>> fn_;
  std::optional<Acc>* slot_ = nullptr;
};

class KeyedStateStore {
 public:
  KeyedStateStore() = default;
  KeyedStateStore(const KeyedStateStore&) = delete;
  KeyedStateStore& operator=(const KeyedStateStore&) = delete;

  // Registration (from the function's Open). A name registered twice is an error (error()).
  template <typename S>
  ValueState<S>& GetValueState(const std::string& name) {
    return Register(name, std::make_unique<ValueColumn<S>>())->handle;
  }
  template <typename T>
  ListState<T>& GetListState(const std::string& name) {
    return Register(name, std::make_unique<ContainerColumn<ListState<T>, std::vector<T>>>(
                              ListState<T>()))
        ->handle;
  }
  template <typename UK, typename UV>
  MapState<UK, UV>& GetMapState(const std::string& name) {
    return Register(name, std::make_unique<ContainerColumn<MapState<UK, UV>, std::map<UK, UV>>>(
                              MapState<UK, UV>()))
        ->handle;
  }
  template <typename T>
  ReducingState<T>& GetReducingState(const std::string& name, ReduceFunction<T> reduce) {
    return Register(name, std::make_unique<OptionalColumn<ReducingState<T>, T>>(
                              ReducingState<T>(std::move(reduce))))
        ->handle;
  }
  template <typename In, typename Acc, typename Out>
  AggregatingState<In, Acc, Out>& GetAggregatingState(
      const std::string& name, std::shared_ptr<const AggregateFunction<In, Acc, Out>> fn) {
    return Register(name, std::make_unique<OptionalColumn<AggregatingState<In, Acc, Out>, Acc>>(
                              AggregatingState<In, Acc, Out>(std::move(fn))))
        ->handle;
  }
  // The first registration error (a name used twice), or Ok.
  const Status& error() const { return error_; }

  // Binds every handle to `slot`'s values, growing the columns if needed.
  void SetCurrent(size_t slot) {
    if (slot >= slots_) {
      slots_ = std::max(slot + 1, slots_ * 2);
      for (auto& column : columns_) column->Resize(slots_);
    }
    for (auto& column : columns_) column->Bind(slot);
  }
  // Whether any state of `slot` holds a value.
  bool Present(size_t slot) const {
    if (slot >= slots_) return false;
    for (const auto& column : columns_) {
      if (column->Present(slot)) return true;
    }
    return false;
  }
  void WriteSlot(size_t slot, ByteWriter& w) const {
    for (const auto& column : columns_) {
      const bool present = column->Present(slot);
      w.PutU8(present ? 1 : 0);
      if (present) column->Write(slot, w);
    }
  }
  // False on malformed bytes.
  bool ReadSlot(size_t slot, ByteReader& r) {
    SetCurrent(slot);
    for (auto& column : columns_) {
      uint8_t present = 0;
      if (!r.GetU8(&present) || present > 1) return false;
      if (present == 1 && !column->Read(slot, r)) return false;
    }
    return r.empty();
  }
  void WriteSchema(ByteWriter& w) const {
    w.PutVarint(columns_.size());
    for (const auto& column : columns_) {
      w.PutString(column->name);
      w.PutU8(column->kind);
    }
  }
  // kDataLoss naming `what` if the bytes are not this store's schema.
  Status CheckSchema(ByteReader& r, const std::string& what) const {
    uint64_t count = 0;
    if (!r.GetVarint(&count)) return DataLossError(what + ": bad keyed-state schema");
    if (count != columns_.size()) {
      return DataLossError(what + ": the checkpoint has " + std::to_string(count) +
                           " keyed states, the function registers " +
                           std::to_string(columns_.size()));
    }
    for (const auto& column : columns_) {
      std::string name;
      uint8_t kind = 0;
      if (!r.GetString(&name) || !r.GetU8(&kind)) {
        return DataLossError(what + ": bad keyed-state schema");
      }
      if (name != column->name || kind != column->kind) {
        return DataLossError(what + ": the checkpoint's keyed state '" + name +
                             "' is not the function's '" + column->name + "'");
      }
    }
    return Status::Ok();
  }
  // Empties `slot` (every state of it absent), growing the columns if needed.
  void ClearSlot(size_t slot) {
    SetCurrent(slot);
    for (auto& column : columns_) column->Clear(slot);
  }
  // Empties every slot (before a restore).
  void Reset() {
    slots_ = 0;
    for (auto& column : columns_) column->Resize(0);
  }

 private:
  enum Kind : uint8_t { kValue = 1, kList = 2, kMap = 3, kReducing = 4, kAggregating = 5 };
  struct Column {
    virtual ~Column() = default;
    virtual void Resize(size_t slots) = 0;
    virtual void Bind(size_t slot) = 0;
    virtual void Clear(size_t slot) = 0;
    virtual bool Present(size_t slot) const = 0;
    virtual void Write(size_t slot, ByteWriter& w) const = 0;
    virtual bool Read(size_t slot, ByteReader& r) = 0;
    std::string name;
    uint8_t kind = 0;
  };
  template <typename S>
  struct ValueColumn final : Column {
    ValueColumn() { kind = kValue; }
    void Resize(size_t slots) override {
      if (slots == 0) values.clear(), present.clear();
      values.resize(slots);
      present.resize(slots, 0);
    }
    void Bind(size_t slot) override { handle = ValueState<S>(&values[slot], &present[slot]); }
    void Clear(size_t slot) override {
      values[slot] = S{};
      present[slot] = 0;
    }
    bool Present(size_t slot) const override { return present[slot] != 0; }
    void Write(size_t slot, ByteWriter& w) const override { Serializer<S>::Write(w, values[slot]); }
    bool Read(size_t slot, ByteReader& r) override {
      present[slot] = 1;
      return Serializer<S>::Read(r, &values[slot]);
    }
    std::vector<S> values;
    std::vector<uint8_t> present;
    ValueState<S> handle;
  };
  // A list or map per key: present = non-empty.
  template <typename Handle, typename Container>
  struct ContainerColumn final : Column {
    explicit ContainerColumn(Handle h) : handle(std::move(h)) {
      kind = std::is_same_v<Container, std::vector<typename Container::value_type>> ? kList : kMap;
    }
    void Resize(size_t slots) override {
      if (slots == 0) values.clear();
      values.resize(slots);
    }
    void Bind(size_t slot) override { handle.Bind(&values[slot]); }
    void Clear(size_t slot) override { values[slot].clear(); }
    bool Present(size_t slot) const override { return !values[slot].empty(); }
    void Write(size_t slot, ByteWriter& w) const override {
      Serializer<Container>::Write(w, values[slot]);
    }
    bool Read(size_t slot, ByteReader& r) override {
      return Serializer<Container>::Read(r, &values[slot]);
    }
    std::vector<Container> values;
    Handle handle;
  };
  // A reduction or aggregate per key: present = has a value.
  template <typename Handle, typename V>
  struct OptionalColumn final : Column {
    explicit OptionalColumn(Handle h) : handle(std::move(h)) {
      kind = std::is_same_v<Handle, ReducingState<V>> ? kReducing : kAggregating;
    }
    void Resize(size_t slots) override {
      if (slots == 0) values.clear();
      values.resize(slots);
    }
    void Bind(size_t slot) override { handle.Bind(&values[slot]); }
    void Clear(size_t slot) override { values[slot].reset(); }
    bool Present(size_t slot) const override { return values[slot].has_value(); }
    void Write(size_t slot, ByteWriter& w) const override { Serializer<V>::Write(w, *values[slot]); }
    bool Read(size_t slot, ByteReader& r) override {
      V value{};
      if (!Serializer<V>::Read(r, &value)) return false;
      values[slot] = std::move(value);
      return true;
    }
    std::vector<std::optional<V>> values;
    Handle handle;
  };

  template <typename C>
  C* Register(const std::string& name, std::unique_ptr<C> column) {
    for (const auto& existing : columns_) {
      if (existing->name == name && error_.ok()) {
        error_ = InvalidArgumentError("keyed state '" + name + "' is registered twice");
      }
    }
    column->name = name;
    column->Resize(slots_);
    C* raw = column.get();
    columns_.push_back(std::move(column));
    return raw;
  }

  std::vector<std::unique_ptr<Column>> columns_;
  size_t slots_ = 0;
  Status error_;
};

}  // namespace sluice
