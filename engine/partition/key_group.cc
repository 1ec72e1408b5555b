#include "engine/partition/key_group.h"

#include <cassert>

namespace sluice {

KeyGroupRange KeyGroupRangeForOperator(int max_parallelism, int parallelism, int operator_index) {
  assert(parallelism > 0 && parallelism <= max_parallelism);
  assert(operator_index >= 0 && operator_index < parallelism);
  const int64_t max_p = max_parallelism;
  const int start = static_cast<int>((operator_index * max_p + parallelism - 1) / parallelism);
  const int end = static_cast<int>(((operator_index + 1) * max_p - 1) / parallelism);
  return KeyGroupRange{start, end};
}

}  // namespace sluice
