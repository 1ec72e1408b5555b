// Keyed state on the heap, organized by key group (Flink's HeapKeyedStateBackend, reduced to
// ValueState). A backend holds the state of one keyed operator subtask: one hash table per key
// group in its KeyGroupRange, so that a snapshot is a sequence of per-key-group sections and a
// restore (or a future rescale) takes exactly the key groups a subtask owns.
//
// Snapshot format: [varint section count] then per non-empty key group, ascending:
//   [u32 key group][varint entry count] then entries sorted by key: [string key][Serializer<S>]
// Keys are sorted so that a snapshot's bytes never depend on hash-table iteration order.
// Not thread-safe; never suspends.
#pragma once

#include <algorithm>
#include <cassert>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/api/serializer.h"
#include "engine/base/bytes.h"
#include "engine/base/status.h"
#include "engine/partition/key_group.h"

namespace sluice {

struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <typename S>
class HeapValueStateBackend {
 public:
  HeapValueStateBackend(int max_parallelism, KeyGroupRange range)
      : max_parallelism_(max_parallelism), range_(range), groups_(range.size()) {}

  // The value slot of `key` (in `key_group`, which must be in range), created as S{} if absent.
  S& GetOrCreate(std::string_view key, int key_group) {
    assert(range_.Contains(key_group) && "key routed to the wrong subtask");
    auto& table = groups_[key_group - range_.start];
    auto it = table.find(key);
    if (it == table.end()) it = table.emplace(std::string(key), S{}).first;
    return it->second;
  }
  const S* Find(std::string_view key, int key_group) const {
    if (!range_.Contains(key_group)) return nullptr;
    const auto& table = groups_[key_group - range_.start];
    auto it = table.find(key);
    return it == table.end() ? nullptr : &it->second;
  }
  size_t size() const {
    size_t n = 0;
    for (const auto& table : groups_) n += table.size();
    return n;
  }

  void Snapshot(std::string* out) const {
    ByteWriter w(out);
    size_t sections = 0;
    for (const auto& table : groups_) sections += table.empty() ? 0 : 1;
    w.PutVarint(sections);
    std::vector<const typename Table::value_type*> entries;
    for (int i = 0; i < range_.size(); ++i) {
      const auto& table = groups_[i];
      if (table.empty()) continue;
      entries.clear();
      for (const auto& entry : table) entries.push_back(&entry);
      std::sort(entries.begin(), entries.end(),
                [](auto* a, auto* b) { return a->first < b->first; });
      w.PutU32(static_cast<uint32_t>(range_.start + i));
      w.PutVarint(entries.size());
      for (const auto* entry : entries) {
        w.PutString(entry->first);
        Serializer<S>::Write(w, entry->second);
      }
    }
  }

  // Loads the sections of key groups in this backend's range; others are skipped (they belong to
  // another subtask after a rescale). kDataLoss on malformed bytes; `what` names the source.
  Status Restore(std::string_view data, const std::string& what) {
    for (auto& table : groups_) table.clear();
    ByteReader r(data);
    uint64_t sections = 0;
    if (!r.GetVarint(&sections)) return DataLossError(what + ": bad keyed-state header");
    for (uint64_t s = 0; s < sections; ++s) {
      uint32_t key_group = 0;
      uint64_t count = 0;
      if (!r.GetU32(&key_group) || !r.GetVarint(&count) ||
          key_group >= static_cast<uint32_t>(max_parallelism_)) {
        return DataLossError(what + ": bad key-group section " + std::to_string(s));
      }
      const bool mine = range_.Contains(static_cast<int>(key_group));
      for (uint64_t e = 0; e < count; ++e) {
        std::string key;
        S value{};
        if (!r.GetString(&key) || !Serializer<S>::Read(r, &value)) {
          return DataLossError(what + ": bad entry in key group " + std::to_string(key_group));
        }
        if (mine) groups_[key_group - range_.start].emplace(std::move(key), std::move(value));
      }
    }
    return Status::Ok();
  }

  const KeyGroupRange& range() const { return range_; }

 private:
  using Table = std::unordered_map<std::string, S, TransparentStringHash, std::equal_to<>>;
  int max_parallelism_;
  KeyGroupRange range_;
  std::vector<Table> groups_;
};

// The ValueState<S> handed to a keyed user function: the state of the record's key.
template <typename S>
class ValueState {
 public:
  explicit ValueState(S* slot) : slot_(slot) {}
  const S& value() const { return *slot_; }
  void update(const S& value) { *slot_ = value; }

 private:
  S* slot_;
};

}  // namespace sluice
