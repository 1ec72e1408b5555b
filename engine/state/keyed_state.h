// Keyed state on the heap, organized by key group (Flink's HeapKeyedStateBackend, reduced to
// ValueState). A backend holds the state of one keyed operator subtask: one hash table for
// lookups (StringKeyTable), plus an index per key group in its KeyGroupRange, so that a snapshot
// is a sequence of per-key-group sections and a restore (or a future rescale) takes exactly the
// key groups a subtask owns.
//
// Snapshot format: [varint section count] then per non-empty key group, ascending:
//   [u32 key group][varint entry count] then entries sorted by key: [string key][Serializer<S>]
// Keys are sorted so that a snapshot's bytes never depend on hash-table or insertion order.
//
// Cost: a record pays one hash-table lookup; its key group (KeyGroupForKey) is computed only the
// first time its key is seen. Each key group keeps its keys sorted as of the last snapshot, plus
// the keys added since; a snapshot sorts only those and merges them in, so that checkpoints do
// not re-sort the whole (ever growing) key set each time.
// Not thread-safe; never suspends.
#pragma once

#include <algorithm>
#include <functional>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/serializer.h"
#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/status.h"
#include "engine/partition/key_group.h"
#include "engine/state/string_key_table.h"

namespace sluice {

// For std::unordered_map<std::string, ...> lookups by std::string_view without a copy.
struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The bytes a key is stored under (state tables are keyed by bytes, as RocksDB's are): a string
// key is its own bytes; any other key its Serializer encoding, written into *scratch. Equal keys
// give equal bytes. Never suspends.
template <typename K>
struct KeyBytes {
  static std::string_view Of(const K& key, std::string* scratch) {
    scratch->clear();
    ByteWriter w(scratch);
    Serializer<K>::Write(w, key);
    return *scratch;
  }
};
template <>
struct KeyBytes<std::string> {
  static std::string_view Of(const std::string& key, std::string*) { return key; }
};
template <>
struct KeyBytes<std::string_view> {
  static std::string_view Of(std::string_view key, std::string*) { return key; }
};

// The first varint of an incremental RocksDB snapshot (rocksdb_keyed_state_backend.h): above any
// count of key-group sections, so that a full snapshot and an incremental one tell apart.
inline constexpr uint64_t kIncrementalSnapshotMarker = uint64_t{1} << 40;

// Walks one full snapshot in the format above: entry(key_group, key, r) is called for each entry
// with `r` at its value, which it must consume; a non-Ok Status it returns stops the walk.
// kDataLoss naming `what` for malformed bytes (SnapshotEntryError for a value the callback finds
// malformed), kFailedPrecondition for an incremental RocksDB snapshot. Never suspends (the
// callback may).
inline Status SnapshotEntryError(const std::string& what, uint32_t key_group) {
  return DataLossError(what + ": bad entry in key group " + std::to_string(key_group));
}
template <typename Entry>
Status ForEachSnapshotEntry(std::string_view data, int max_parallelism, const std::string& what,
                            Entry&& entry) {
  ByteReader r(data);
  uint64_t sections = 0;
  if (!r.GetVarint(&sections)) return DataLossError(what + ": bad keyed-state header");
  if (sections == kIncrementalSnapshotMarker) {
    return FailedPreconditionError(what + ": the checkpoint holds an incremental RocksDB "
                                          "snapshot, which restores only with "
                                          "state.backend.type: rocksdb");
  }
  for (uint64_t s = 0; s < sections; ++s) {
    uint32_t key_group = 0;
    uint64_t count = 0;
    if (!r.GetU32(&key_group) || !r.GetVarint(&count) ||
        key_group >= static_cast<uint32_t>(max_parallelism)) {
      return DataLossError(what + ": bad key-group section " + std::to_string(s));
    }
    for (uint64_t e = 0; e < count; ++e) {
      std::string_view key;
      if (!r.GetString(&key)) {
        return DataLossError(what + ": bad key in key group " + std::to_string(key_group));
      }
      RETURN_IF_ERROR(entry(key_group, key, r));
    }
  }
  return Status::Ok();
}

template <typename S>
class HeapValueStateBackend {
 public:
  HeapValueStateBackend(int max_parallelism, KeyGroupRange range)
      : max_parallelism_(max_parallelism), range_(range), groups_(range.size()) {}

  // The value slot of `key`, created as S{} if absent. The key's group must be in this
  // backend's range (the record was routed to the right subtask). The reference is valid until
  // the next GetOrCreate or Restore (a new key may move the slots).
  S& GetOrCreate(std::string_view key) {
    return GetOrCreate(key, [this](std::string_view k) { return KeyGroupForKey(k, max_parallelism_); });
  }
  // The same for a key of any type: `key` is its bytes (KeyBytes, below) and `key_group_of(key)`
  // gives its key group (KeyGroupForKeyOf on the typed key); it is called only for a new key.
  template <typename KeyGroupOf>
  S& GetOrCreate(std::string_view key, KeyGroupOf&& key_group_of) {
    return table_.value(FindOrInsertIndex(key, key_group_of));
  }
  // nullptr if absent; valid until the next GetOrCreate or Restore.
  const S* Find(std::string_view key) const {
    const Index index = table_.Find(key);
    return index == Table::kNotFound ? nullptr : &table_.value(index);
  }
  size_t size() const { return table_.size(); }
  // The value of entry `index` (from FindOrInsertIndex); valid until the next insert or Restore.
  S& value(typename StringKeyTable<S>::Index index) { return table_.value(index); }

  // Not const: first folds the keys added since the last snapshot into each group's sorted index.
  void Snapshot(std::string* out) {
    SnapshotWith(
        out, [](Index) { return true; },
        [this](Index index, ByteWriter& w) { Serializer<S>::Write(w, table_.value(index)); });
  }

  // Replaces the state with the sections of key groups in this backend's range from the
  // snapshots `data` (one, or after a rescale each old subtask's whose range overlaps this one's:
  // engine/partition/state_assignment.h); others are skipped (they belong to another subtask).
  // A key present twice keeps its first value. kDataLoss on malformed bytes; `what` names the
  // source.
  Status Restore(std::string_view data, const std::string& what) {
    return Restore(std::span<const std::string_view>(&data, 1), what);
  }
  Status Restore(std::span<const std::string_view> data, const std::string& what) {
    return RestoreWith(data, what, [this](ByteReader& r, bool keep, Index index) {
      S value{};
      if (!Serializer<S>::Read(r, &value)) return false;
      if (keep) table_.value(index) = std::move(value);
      return true;
    });
  }

  // The general forms, for state kept outside the table by entry number (KeyedStateStore):
  // Snapshot writes, in the format above, the entries for which present(index) holds, each value
  // by write(index, w). Restore calls read(r, keep, index) to parse one value from r, keeping it
  // for entry `index` if `keep` (a new key of this backend's range); false = malformed.
  using Index = typename StringKeyTable<S>::Index;
  template <typename Present, typename Write>
  void SnapshotWith(std::string* out, Present&& present, Write&& write) {
    size_t sections = 0;
    for (GroupIndex& group : groups_) {
      FoldAdded(group);
      sections += std::any_of(group.sorted.begin(), group.sorted.end(), present) ? 1 : 0;
    }
    ByteWriter w(out);
    w.PutVarint(sections);
    for (int i = 0; i < range_.size(); ++i) {
      const std::vector<Index>& sorted = groups_[i].sorted;
      const size_t entries = static_cast<size_t>(std::count_if(sorted.begin(), sorted.end(), present));
      if (entries == 0) continue;
      w.PutU32(static_cast<uint32_t>(range_.start + i));
      w.PutVarint(entries);
      for (const Index index : sorted) {
        if (!present(index)) continue;
        w.PutString(table_.key(index));
        write(index, w);
      }
    }
  }
  template <typename Read>
  Status RestoreWith(std::span<const std::string_view> snapshots, const std::string& what,
                     Read&& read) {
    table_.Clear();
    for (GroupIndex& group : groups_) group = GroupIndex{};
    for (std::string_view data : snapshots) RETURN_IF_ERROR(RestoreOne(data, what, read));
    return Status::Ok();
  }
  template <typename Read>
  Status RestoreWith(std::string_view data, const std::string& what, Read&& read) {
    return RestoreWith(std::span<const std::string_view>(&data, 1), what, read);
  }
  // The entry number of `key`, inserted (value S{}) if absent; key_group_of(key) is called only
  // for a new key. Entry numbers are stable until Restore.
  template <typename KeyGroupOf>
  Index FindOrInsertIndex(std::string_view key, KeyGroupOf&& key_group_of) {
    bool inserted = false;
    const Index index = table_.FindOrInsert(key, &inserted);
    if (inserted) AddToGroup(index, key_group_of(key));
    return index;
  }

  const KeyGroupRange& range() const { return range_; }

 private:
  template <typename Read>
  Status RestoreOne(std::string_view data, const std::string& what, Read& read) {
    return ForEachSnapshotEntry(
        data, max_parallelism_, what,
        [&](uint32_t key_group, std::string_view key, ByteReader& r) -> Status {
          bool inserted = false;
          const Index index = range_.Contains(static_cast<int>(key_group))
                                  ? table_.FindOrInsert(key, &inserted)
                                  : Table::kNotFound;
          if (!read(r, inserted, index)) return SnapshotEntryError(what, key_group);
          if (inserted) AddToGroup(index, static_cast<int>(key_group));
          return Status::Ok();
        });
  }
  using Table = StringKeyTable<S>;
  // One key group's keys, as entry numbers of table_ (stable until Restore clears both).
  struct GroupIndex {
    std::vector<Index> sorted;  // by key, as of the last snapshot
    std::vector<Index> added;   // inserted since, in insertion order
  };

  void AddToGroup(Index index, int key_group) {
    SLUICE_ASSERT(range_.Contains(key_group), "key routed to the wrong subtask");
    groups_[key_group - range_.start].added.push_back(index);
  }

  void FoldAdded(GroupIndex& group) {
    if (group.added.empty()) return;
    // Keys are unique, so "by key" is a strict total order and the result is deterministic.
    auto by_key = [this](Index a, Index b) { return table_.key(a) < table_.key(b); };
    std::sort(group.added.begin(), group.added.end(), by_key);
    if (group.added.size() * kFewAddedRatio <= group.sorted.size()) {
      // Few new keys among many (the usual case between two checkpoints): a binary search per
      // new key costs far fewer key comparisons than a merge's one per key. Each search starts
      // where the previous key went in (the new keys are sorted too).
      auto from = group.sorted.begin();
      for (const Index index : group.added) {
        from =
            group.sorted.insert(std::upper_bound(from, group.sorted.end(), index, by_key), index);
      }
    } else {
      merged_.clear();
      merged_.reserve(group.sorted.size() + group.added.size());
      std::merge(group.sorted.begin(), group.sorted.end(), group.added.begin(), group.added.end(),
                 std::back_inserter(merged_), by_key);
      group.sorted.swap(merged_);
    }
    group.added.clear();
    SLUICE_ASSERT(std::is_sorted(group.sorted.begin(), group.sorted.end(), by_key), "a key group's keys stay sorted after a fold");
  }
  // FoldAdded inserts one by one while sorted holds at least this many times as many keys as
  // added; each insert moves the tail of the index (4-byte entries), a merge rewrites it once.
  static constexpr size_t kFewAddedRatio = 16;

  int max_parallelism_;
  KeyGroupRange range_;
  Table table_;
  std::vector<GroupIndex> groups_;  // index = key group - range_.start
  std::vector<Index> merged_;       // FoldAdded's scratch, kept for its capacity
};

// The ValueState<S> handed to a keyed user function (Flink's ValueState): the state of the
// current record's key; value() is S{} until the first update and after clear().
template <typename S>
class ValueState {
 public:
  ValueState() = default;
  // `present` (optional) records whether the key has a value, for stores that drop cleared keys.
  explicit ValueState(S* slot, uint8_t* present = nullptr) : slot_(slot), present_(present) {}
  const S& value() const { return *slot_; }
  void update(const S& value) {
    *slot_ = value;
    if (present_ != nullptr) *present_ = 1;
  }
  void clear() {
    *slot_ = S{};
    if (present_ != nullptr) *present_ = 0;
  }

 private:
  S* slot_ = nullptr;
  uint8_t* present_ = nullptr;
};

}  // namespace sluice
