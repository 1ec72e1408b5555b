// Key-group ranges partition [0, max parallelism) for every parallelism: contiguous, disjoint,
// covering, and consistent with the key group → subtask mapping (Flink's KeyGroupRangeAssignment).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "engine/partition/key_group.h"

namespace sluice {
namespace {

void ExpectPartition(int max_parallelism, int parallelism) {
  int next = 0;
  for (int i = 0; i < parallelism; ++i) {
    const KeyGroupRange range = KeyGroupRangeForOperator(max_parallelism, parallelism, i);
    RC_ASSERT(range.start == next);  // contiguous and disjoint
    RC_ASSERT(range.size() >= 1);    // parallelism <= max parallelism: nobody is left empty
    RC_ASSERT(OperatorIndexForKeyGroup(max_parallelism, parallelism, range.start) == i);
    RC_ASSERT(OperatorIndexForKeyGroup(max_parallelism, parallelism, range.end) == i);
    next = range.end + 1;
  }
  RC_ASSERT(next == max_parallelism);  // covering
}

RC_GTEST_PROP(KeyGroupProperties, RangesPartitionTheKeyGroups, ()) {
  const int max_parallelism = *rc::gen::inRange(1, kUpperBoundMaxParallelism + 1);
  const int parallelism = *rc::gen::inRange(1, max_parallelism + 1);
  ExpectPartition(max_parallelism, parallelism);
}

RC_GTEST_PROP(KeyGroupProperties, EveryKeyLandsInItsSubtasksRange, (std::string key)) {
  const int max_parallelism = *rc::gen::inRange(1, 1025);
  const int parallelism = *rc::gen::inRange(1, max_parallelism + 1);
  const int key_group = KeyGroupForKey(key, max_parallelism);
  RC_ASSERT(key_group >= 0);
  RC_ASSERT(key_group < max_parallelism);
  const int subtask = OperatorIndexForKeyGroup(max_parallelism, parallelism, key_group);
  RC_ASSERT(KeyGroupRangeForOperator(max_parallelism, parallelism, subtask).Contains(key_group));
}

TEST(KeyGroupExhaustive, DefaultMaxParallelismEveryParallelism) {
  for (int p = 1; p <= kDefaultMaxParallelism; ++p) {
    int next = 0;
    for (int i = 0; i < p; ++i) {
      const KeyGroupRange range = KeyGroupRangeForOperator(kDefaultMaxParallelism, p, i);
      ASSERT_EQ(range.start, next) << "p=" << p << " i=" << i;
      ASSERT_GE(range.size(), 1);
      next = range.end + 1;
    }
    ASSERT_EQ(next, kDefaultMaxParallelism) << "p=" << p;
  }
}

}  // namespace
}  // namespace sluice
