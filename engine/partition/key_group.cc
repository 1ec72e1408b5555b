#include "engine/partition/key_group.h"

#include "engine/base/assert.h"


namespace sluice {

KeyGroupRange KeyGroupRangeForOperator(int max_parallelism, int parallelism, int operator_index) {
  SLUICE_ASSERT(parallelism > 0, "parallelism is at least 1");
  SLUICE_ASSERT(parallelism <= max_parallelism, "parallelism is at most max parallelism");
  SLUICE_ASSERT(operator_index >= 0, "a subtask index is non-negative");
  SLUICE_ASSERT(operator_index < parallelism, "a subtask index is below the parallelism");
  const int64_t max_p = max_parallelism;
  const int start = static_cast<int>((operator_index * max_p + parallelism - 1) / parallelism);
  const int end = static_cast<int>(((operator_index + 1) * max_p - 1) / parallelism);
  return KeyGroupRange{start, end};
}

}  // namespace sluice
