// State assignment at restore (Flink's StateAssignmentOperation): which subtasks of the
// checkpoint being restored a subtask takes its operator's state from, when the operator may now
// run at another parallelism than the one it was checkpointed at (rescaling). Each operator says
// how its state splits (StateRedistribution):
//   - kKeyGroups: keyed state, stored per key group. New subtask i owns the key-group range
//     KeyGroupRangeForOperator(max_parallelism, new_parallelism, i) and reads every old subtask
//     whose range overlaps it, keeping only its own key groups (Flink's
//     StateAssignmentOperation.getKeyGroupsStateHandles). The max parallelism cannot change.
//   - kSplitDistribute: operator state that is a list of independent pieces (a sink's pending
//     committables): old subtask j's list goes to new subtask j mod new_parallelism, so that every
//     piece is restored exactly once. Flink's RoundRobinOperatorStateRepartitioner deals the
//     single elements round-robin; Sluice keeps each old subtask's list whole (its sections are
//     opaque to the task), which is as correct and less even when scaling up (the new subtasks
//     j >= old_parallelism start empty). Source readers' splits are dealt element by element
//     (engine/taskmanager/task.cc).
//   - kBroadcast: every subtask holds the same state (broadcast state): new subtask i reads one
//     copy, old subtask i mod old_parallelism's.
// At an unchanged parallelism every mode gives subtask i its own old state, {i}.
// Pure; never suspends; thread-compatible.
#pragma once

#include <vector>

#include "engine/base/assert.h"
#include "engine/partition/key_group.h"

namespace sluice {

enum class StateRedistribution { kSplitDistribute, kKeyGroups, kBroadcast };

// The old subtasks, ascending, whose state new subtask `subtask` of `new_parallelism` restores.
// Requires 1 <= parallelisms <= max_parallelism and 0 <= subtask < new_parallelism.
inline std::vector<int> OldSubtasksToRestore(StateRedistribution mode, int max_parallelism,
                                             int old_parallelism, int new_parallelism,
                                             int subtask) {
  SLUICE_ASSERT(old_parallelism >= 1 && new_parallelism >= 1,
                "a restored operator ran, and runs, at parallelism 1 or more");
  SLUICE_ASSERT(subtask >= 0 && subtask < new_parallelism, "the subtask is one of the operator's");
  if (old_parallelism == new_parallelism) return {subtask};
  std::vector<int> old;
  switch (mode) {
    case StateRedistribution::kKeyGroups: {
      const KeyGroupRange mine =
          KeyGroupRangeForOperator(max_parallelism, new_parallelism, subtask);
      if (mine.size() == 0) return old;
      // Ranges are contiguous and ascending in the subtask index: the owners of the first and
      // the last key group bound the overlapping ones.
      const int first = OperatorIndexForKeyGroup(max_parallelism, old_parallelism, mine.start);
      const int last = OperatorIndexForKeyGroup(max_parallelism, old_parallelism, mine.end);
      for (int j = first; j <= last; ++j) old.push_back(j);
      return old;
    }
    case StateRedistribution::kSplitDistribute:
      for (int j = subtask; j < old_parallelism; j += new_parallelism) old.push_back(j);
      return old;
    case StateRedistribution::kBroadcast:
      return {subtask % old_parallelism};
  }
  return old;
}

}  // namespace sluice
