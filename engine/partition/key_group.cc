#include "engine/partition/key_group.h"

#include <cassert>

namespace sluice {
namespace {

uint32_t RotateLeft(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

uint32_t BitMix(uint32_t in) {
  in ^= in >> 16;
  in *= 0x85ebca6bu;
  in ^= in >> 13;
  in *= 0xc2b2ae35u;
  in ^= in >> 16;
  return in;
}

}  // namespace

int32_t JavaStringHash(std::string_view key) {
  uint32_t h = 0;
  for (char c : key) h = 31 * h + static_cast<uint8_t>(c);
  return static_cast<int32_t>(h);
}

int32_t FlinkMurmurHash(int32_t code) {
  uint32_t c = static_cast<uint32_t>(code);
  c *= 0xcc9e2d51u;
  c = RotateLeft(c, 15);
  c *= 0x1b873593u;
  c = RotateLeft(c, 13);
  c = c * 5 + 0xe6546b64u;
  c ^= 4;
  const int32_t mixed = static_cast<int32_t>(BitMix(c));
  if (mixed >= 0) return mixed;
  if (mixed != INT32_MIN) return -mixed;
  return 0;
}

int KeyGroupForHash(int32_t key_hash, int max_parallelism) {
  assert(max_parallelism > 0 && max_parallelism <= kUpperBoundMaxParallelism);
  return FlinkMurmurHash(key_hash) % max_parallelism;
}

int OperatorIndexForKeyGroup(int max_parallelism, int parallelism, int key_group) {
  assert(parallelism > 0 && parallelism <= max_parallelism);
  assert(key_group >= 0 && key_group < max_parallelism);
  return static_cast<int>(static_cast<int64_t>(key_group) * parallelism / max_parallelism);
}

KeyGroupRange KeyGroupRangeForOperator(int max_parallelism, int parallelism, int operator_index) {
  assert(parallelism > 0 && parallelism <= max_parallelism);
  assert(operator_index >= 0 && operator_index < parallelism);
  const int64_t max_p = max_parallelism;
  const int start = static_cast<int>((operator_index * max_p + parallelism - 1) / parallelism);
  const int end = static_cast<int>(((operator_index + 1) * max_p - 1) / parallelism);
  return KeyGroupRange{start, end};
}

}  // namespace sluice
