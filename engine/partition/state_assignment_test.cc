#include "engine/partition/state_assignment.h"

#include <gtest/gtest.h>

#include <set>

namespace sluice {
namespace {
namespace state_assignment_test {

using V = std::vector<int>;

TEST(StateAssignmentTest, SameParallelismRestoresOwnState) {
  for (auto mode : {StateRedistribution::kKeyGroups, StateRedistribution::kSplitDistribute,
                    StateRedistribution::kBroadcast}) {
    EXPECT_EQ(OldSubtasksToRestore(mode, 128, 3, 3, 2), V{2});
  }
}

TEST(StateAssignmentTest, KeyGroupsReadEveryOverlappingRange) {
  // max parallelism 128: p=2 → [0,63] [64,127]; p=3 → [0,42] [43,85] [86,127].
  EXPECT_EQ(OldSubtasksToRestore(StateRedistribution::kKeyGroups, 128, 2, 3, 0), V{0});
  EXPECT_EQ(OldSubtasksToRestore(StateRedistribution::kKeyGroups, 128, 2, 3, 1), (V{0, 1}));
  EXPECT_EQ(OldSubtasksToRestore(StateRedistribution::kKeyGroups, 128, 2, 3, 2), V{1});
  EXPECT_EQ(OldSubtasksToRestore(StateRedistribution::kKeyGroups, 128, 4, 1, 0), (V{0, 1, 2, 3}));
}

// Every key group of the new subtask is owned by one of the old subtasks it reads, for every
// pair of parallelisms: nothing keyed is left behind by a rescale.
TEST(StateAssignmentTest, KeyGroupsCoverEveryNewRange) {
  for (int max_parallelism : {1, 7, 128}) {
    for (int from = 1; from <= std::min(max_parallelism, 9); ++from) {
      for (int to = 1; to <= std::min(max_parallelism, 9); ++to) {
        for (int i = 0; i < to; ++i) {
          const V old =
              OldSubtasksToRestore(StateRedistribution::kKeyGroups, max_parallelism, from, to, i);
          const std::set<int> read(old.begin(), old.end());
          const KeyGroupRange mine = KeyGroupRangeForOperator(max_parallelism, to, i);
          for (int g = mine.start; g <= mine.end; ++g) {
            EXPECT_TRUE(read.count(OperatorIndexForKeyGroup(max_parallelism, from, g)))
                << "key group " << g << " max " << max_parallelism << " " << from << "->" << to;
          }
        }
      }
    }
  }
}

// Split-distributed state: every old subtask's list goes to exactly one new subtask.
TEST(StateAssignmentTest, SplitDistributeRestoresEachListOnce) {
  for (int from = 1; from <= 9; ++from) {
    for (int to = 1; to <= 9; ++to) {
      std::vector<int> times(from, 0);
      for (int i = 0; i < to; ++i) {
        for (int j : OldSubtasksToRestore(StateRedistribution::kSplitDistribute, 128, from, to, i))
          ++times[j];
      }
      for (int j = 0; j < from; ++j) EXPECT_EQ(times[j], 1) << from << "->" << to << " old " << j;
    }
  }
}

TEST(StateAssignmentTest, BroadcastReadsOneCopy) {
  EXPECT_EQ(OldSubtasksToRestore(StateRedistribution::kBroadcast, 128, 2, 5, 4), V{0});
  EXPECT_EQ(OldSubtasksToRestore(StateRedistribution::kBroadcast, 128, 5, 2, 1), V{1});
}

}  // namespace state_assignment_test
}  // namespace
}  // namespace sluice
