// StringKeyTable<V>: a hash table from string keys to values V for per-record lookups (keyed
// state looks up every record's key). The entries sit in one vector in insertion order; an
// open-addressing index (linear probing over a power-of-two array of entry numbers, at most half
// full) finds them. Against std::unordered_map, a lookup pays no division (the slot is the hash
// masked, not the hash modulo a prime bucket count) and one dependent cache miss fewer (slot →
// entry, instead of bucket → previous node → node), and an insert allocates no node.
//
// Entries are numbered 0, 1, ... in insertion order; a number stays valid until Clear().
// References to keys and values do not: an insert may move the entries, as std::vector does.
// No erase: keyed state drops keys only all at once (Clear). Not thread-safe; never suspends.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/assert.h"

namespace sluice {

template <typename V>
class StringKeyTable {
 public:
  using Index = uint32_t;
  static constexpr Index kNotFound = UINT32_MAX;
  // Slots hold entry number + 1 in an Index, and kNotFound is not an entry number.
  static constexpr size_t kEntriesMax = UINT32_MAX - 1;

  // The entry number of `key`, inserted with value V{} if absent (then *inserted is true).
  Index FindOrInsert(std::string_view key, bool* inserted) {
    const uint64_t hash = Hash(key);
    if (const Index found = Lookup(key, hash); found != kNotFound) {
      *inserted = false;
      return found;
    }
    SLUICE_ASSERT(entries_.size() < kEntriesMax, "StringKeyTable is full");
    if ((entries_.size() + 1) * 2 > slots_.size()) Grow();  // keep the index at most half full
    const auto index = static_cast<Index>(entries_.size());
    entries_.push_back(Entry{std::string(key), V{}, hash});
    Place(hash, index);
    *inserted = true;
    SLUICE_ASSERT(Lookup(key, hash) == index, "an inserted key is found at its index");
    return index;
  }
  // The entry number of `key`, or kNotFound.
  Index Find(std::string_view key) const { return Lookup(key, Hash(key)); }

  size_t size() const { return entries_.size(); }
  const std::string& key(Index index) const {
    SLUICE_ASSERT(index < entries_.size(), "no such entry");
    return entries_[index].key;
  }
  V& value(Index index) {
    SLUICE_ASSERT(index < entries_.size(), "no such entry");
    return entries_[index].value;
  }
  const V& value(Index index) const {
    SLUICE_ASSERT(index < entries_.size(), "no such entry");
    return entries_[index].value;
  }
  // Removes every entry (entry numbers start again at 0); keeps the index's capacity.
  void Clear() {
    entries_.clear();
    std::fill(slots_.begin(), slots_.end(), Index{0});
  }

 private:
  struct Entry {
    std::string key;
    V value;
    uint64_t hash;  // Hash(key), kept so that growing never rehashes a key
  };
  static constexpr size_t kInitialSlots = 16;

  static uint64_t Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

  Index Lookup(std::string_view key, uint64_t hash) const {
    if (slots_.empty()) return kNotFound;
    const size_t mask = slots_.size() - 1;
    // Terminates: the index is at most half full, so an empty slot lies ahead.
    for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
      const Index stored = slots_[slot];
      if (stored == 0) return kNotFound;
      const Entry& entry = entries_[stored - 1];
      if (entry.hash == hash && entry.key == key) return stored - 1;
    }
  }

  // Puts entry `index` in the first free slot of its probe sequence.
  void Place(uint64_t hash, Index index) {
    const size_t mask = slots_.size() - 1;
    size_t slot = hash & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = index + 1;
  }

  void Grow() {
    const size_t capacity = slots_.empty() ? kInitialSlots : slots_.size() * 2;
    SLUICE_ASSERT((capacity & (capacity - 1)) == 0, "the slot count is a power of two");
    slots_.assign(capacity, Index{0});
    for (size_t i = 0; i < entries_.size(); ++i) Place(entries_[i].hash, static_cast<Index>(i));
  }

  std::vector<Entry> entries_;  // in insertion order; entry number = position
  std::vector<Index> slots_;    // entry number + 1, or 0 for empty; size 0 or a power of two
};

}  // namespace sluice
