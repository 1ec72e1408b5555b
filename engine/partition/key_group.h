// Key groups: the unit of keyed-state partitioning, exactly as Flink defines it
// (org.apache.flink.runtime.state.KeyGroupRangeAssignment):
//   key group  = murmurHash(hashCode(key)) mod max_parallelism
//   subtask    = key_group * parallelism / max_parallelism
//   range(i)   = [ceil(i * maxP / p), ((i + 1) * maxP - 1) / p]   (contiguous, disjoint, covering)
// hashCode of a string key is Java's String.hashCode of the String its UTF-8 bytes decode to
// (s[0]*31^(n-1) + ... over UTF-16 code units, as int32; engine/partition/java_hash.h), so that a
// key lands in the same key group here as in Flink. Other key types: engine/partition/key_hash.h.
// Pure functions; never suspend.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/base/assert.h"
#include "engine/partition/java_hash.h"

namespace sluice {

constexpr int kDefaultMaxParallelism = 128;
constexpr int kUpperBoundMaxParallelism = 1 << 15;

struct KeyGroupRange {
  int start = 0;  // inclusive
  int end = -1;   // inclusive; end < start means empty
  int size() const { return end >= start ? end - start + 1 : 0; }
  bool Contains(int key_group) const { return key_group >= start && key_group <= end; }
};

// The functions a record pays for on every hash-partitioned edge are inline, so that the record
// writer's loop makes no out-of-line call per record for them.

namespace key_group_internal {
inline uint32_t RotateLeft(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
inline uint32_t BitMix(uint32_t in) {
  in ^= in >> 16;
  in *= 0x85ebca6bu;
  in ^= in >> 13;
  in *= 0xc2b2ae35u;
  in ^= in >> 16;
  return in;
}
}  // namespace key_group_internal

// Java's String.hashCode of the String the UTF-8 bytes of `key` decode to (for ASCII, the plain
// loop over the bytes). The same function as JavaStringHashCode; this name stays for its callers.
inline int32_t JavaStringHash(std::string_view key) { return JavaStringHashCode(key); }

// Flink's MathUtils.murmurHash(int): a non-negative 32-bit mix of `code`.
inline int32_t FlinkMurmurHash(int32_t code) {
  using key_group_internal::RotateLeft;
  uint32_t c = static_cast<uint32_t>(code);
  c *= 0xcc9e2d51u;
  c = RotateLeft(c, 15);
  c *= 0x1b873593u;
  c = RotateLeft(c, 13);
  c = c * 5 + 0xe6546b64u;
  c ^= 4;
  const int32_t mixed = static_cast<int32_t>(key_group_internal::BitMix(c));
  if (mixed >= 0) return mixed;
  if (mixed != INT32_MIN) return -mixed;
  return 0;
}

inline int KeyGroupForHash(int32_t key_hash, int max_parallelism) {
  SLUICE_ASSERT(max_parallelism > 0, "max parallelism is at least 1");
  SLUICE_ASSERT(max_parallelism <= kUpperBoundMaxParallelism, "max parallelism is at most 32768");
  return FlinkMurmurHash(key_hash) % max_parallelism;
}

inline int KeyGroupForKey(std::string_view key, int max_parallelism) {
  return KeyGroupForHash(JavaStringHash(key), max_parallelism);
}

inline int OperatorIndexForKeyGroup(int max_parallelism, int parallelism, int key_group) {
  SLUICE_ASSERT(parallelism > 0, "parallelism is at least 1");
  SLUICE_ASSERT(parallelism <= max_parallelism, "parallelism is at most max parallelism");
  SLUICE_ASSERT(key_group >= 0, "a key group is non-negative");
  SLUICE_ASSERT(key_group < max_parallelism, "a key group is below max parallelism");
  return static_cast<int>(static_cast<int64_t>(key_group) * parallelism / max_parallelism);
}

KeyGroupRange KeyGroupRangeForOperator(int max_parallelism, int parallelism, int operator_index);

}  // namespace sluice
