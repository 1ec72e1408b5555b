// Key groups: the unit of keyed-state partitioning, exactly as Flink defines it
// (org.apache.flink.runtime.state.KeyGroupRangeAssignment):
//   key group  = murmurHash(hashCode(key)) mod max_parallelism
//   subtask    = key_group * parallelism / max_parallelism
//   range(i)   = [ceil(i * maxP / p), ((i + 1) * maxP - 1) / p]   (contiguous, disjoint, covering)
// hashCode of a string key is Java's String.hashCode over its bytes (s[0]*31^(n-1) + ... as int32),
// so that a key lands in the same key group here as in Flink for ASCII keys.
// Pure functions; never suspend.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice {

constexpr int kDefaultMaxParallelism = 128;
constexpr int kUpperBoundMaxParallelism = 1 << 15;

struct KeyGroupRange {
  int start = 0;  // inclusive
  int end = -1;   // inclusive; end < start means empty
  int size() const { return end >= start ? end - start + 1 : 0; }
  bool Contains(int key_group) const { return key_group >= start && key_group <= end; }
};

// Java's String.hashCode over the bytes of `key`.
int32_t JavaStringHash(std::string_view key);
// Flink's MathUtils.murmurHash(int): a non-negative 32-bit mix of `code`.
int32_t FlinkMurmurHash(int32_t code);
int KeyGroupForHash(int32_t key_hash, int max_parallelism);
inline int KeyGroupForKey(std::string_view key, int max_parallelism) {
  return KeyGroupForHash(JavaStringHash(key), max_parallelism);
}
int OperatorIndexForKeyGroup(int max_parallelism, int parallelism, int key_group);
KeyGroupRange KeyGroupRangeForOperator(int max_parallelism, int parallelism, int operator_index);

}  // namespace sluice
