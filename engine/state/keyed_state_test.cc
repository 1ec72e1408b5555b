#include "engine/state/keyed_state.h"

#include "engine/partition/state_assignment.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {

TEST(KeyedStateTest, SnapshotRestoresOnlyTheOwnedKeyGroups) {
  const int max_p = 128;
  HeapValueStateBackend<int64_t> whole(max_p, KeyGroupRange{0, max_p - 1});
  const char* keys[] = {"apple", "pear", "plum", "fig", "kiwi", "lime", "date", "sloe"};
  for (int i = 0; i < 8; ++i) whole.GetOrCreate(keys[i]) = i + 1;
  std::string snapshot;
  whole.Snapshot(&snapshot);

  size_t restored_total = 0;
  for (int subtask = 0; subtask < 3; ++subtask) {
    const KeyGroupRange range = KeyGroupRangeForOperator(max_p, 3, subtask);
    HeapValueStateBackend<int64_t> part(max_p, range);
    ASSERT_TRUE(part.Restore(snapshot, "test").ok());
    restored_total += part.size();
    for (int i = 0; i < 8; ++i) {
      const int kg = KeyGroupForKey(keys[i], max_p);
      const int64_t* value = part.Find(keys[i]);
      if (range.Contains(kg)) {
        ASSERT_NE(value, nullptr) << keys[i];
        EXPECT_EQ(*value, i + 1);
      } else {
        EXPECT_EQ(value, nullptr) << keys[i];
      }
    }
  }
  EXPECT_EQ(restored_total, 8u);
}

// A rescale from 3 subtasks to 2 and back to 5: each new subtask merges the snapshots of the old
// subtasks its key-group range overlaps (OldSubtasksToRestore) and ends with exactly its keys.
TEST(KeyedStateTest, RescaledRestoreMergesTheOverlappingSnapshots) {
  const int max_p = 128;
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back("key-" + std::to_string(i));
  std::vector<std::string> snapshots;
  for (int subtask = 0; subtask < 3; ++subtask) {
    HeapValueStateBackend<int64_t> old(max_p, KeyGroupRangeForOperator(max_p, 3, subtask));
    for (int i = 0; i < 200; ++i) {
      if (old.range().Contains(KeyGroupForKey(keys[i], max_p))) old.GetOrCreate(keys[i]) = i;
    }
    snapshots.emplace_back();
    old.Snapshot(&snapshots.back());
  }
  for (int to : {2, 5}) {
    size_t total = 0;
    for (int subtask = 0; subtask < to; ++subtask) {
      HeapValueStateBackend<int64_t> part(max_p, KeyGroupRangeForOperator(max_p, to, subtask));
      std::vector<std::string_view> read;
      for (int j : OldSubtasksToRestore(StateRedistribution::kKeyGroups, max_p, 3, to, subtask)) {
        read.push_back(snapshots[j]);
      }
      ASSERT_TRUE(part.Restore(read, "test").ok());
      total += part.size();
      for (int i = 0; i < 200; ++i) {
        const int64_t* value = part.Find(keys[i]);
        if (part.range().Contains(KeyGroupForKey(keys[i], max_p))) {
          ASSERT_NE(value, nullptr) << keys[i] << " at subtask " << subtask << " of " << to;
          EXPECT_EQ(*value, i);
        } else {
          EXPECT_EQ(value, nullptr) << keys[i];
        }
      }
    }
    EXPECT_EQ(total, keys.size()) << "every key restored once at parallelism " << to;
  }
}

TEST(KeyedStateTest, SnapshotBytesDoNotDependOnInsertionOrder) {
  HeapValueStateBackend<int64_t> a(16, KeyGroupRange{0, 15}), b(16, KeyGroupRange{0, 15});
  const char* keys[] = {"x", "y", "z", "w", "v", "u"};
  for (int i = 0; i < 6; ++i) a.GetOrCreate(keys[i]) = i;
  for (int i = 5; i >= 0; --i) b.GetOrCreate(keys[i]) = i;
  std::string sa, sb;
  a.Snapshot(&sa);
  b.Snapshot(&sb);
  EXPECT_EQ(sa, sb);
}

// Snapshots fold the keys added since the previous snapshot into a sorted index: interleaving
// inserts, updates, snapshots and a restore must give the bytes a fresh backend gives.
TEST(KeyedStateTest, IncrementalSnapshotsMatchAFreshBackend) {
  const int max_p = 16;
  const KeyGroupRange all{0, max_p - 1};
  const std::vector<std::string> keys = {"m",  "c", "x", "a", "q", "b", "zz", "k", "e", "aa",
                                         "ma", "f", "y", "d", "n", "o", "p",  "r", "s", "t"};
  HeapValueStateBackend<int64_t> incremental(max_p, all);
  std::string ignored;
  for (size_t i = 0; i < keys.size(); ++i) {
    incremental.GetOrCreate(keys[i]) += static_cast<int64_t>(i) + 1;
    if (i % 3 == 0) incremental.GetOrCreate(keys[i / 2]) += 100;  // update an older key
    if (i % 4 == 3) incremental.Snapshot(&ignored);
  }
  std::string from_incremental;
  incremental.Snapshot(&from_incremental);

  HeapValueStateBackend<int64_t> fresh(max_p, all);
  ASSERT_TRUE(fresh.Restore(from_incremental, "test").ok());
  EXPECT_EQ(fresh.size(), keys.size());
  // Replay the same updates in reverse key order into a third backend, snapshot once.
  HeapValueStateBackend<int64_t> reversed(max_p, all);
  for (size_t i = keys.size(); i-- > 0;) {
    reversed.GetOrCreate(keys[i]) = *incremental.Find(keys[i]);
  }
  std::string from_reversed, from_restored;
  reversed.Snapshot(&from_reversed);
  fresh.Snapshot(&from_restored);
  EXPECT_EQ(from_incremental, from_reversed);
  EXPECT_EQ(from_incremental, from_restored);

  // After a restore, new keys join the restored ones in order.
  fresh.GetOrCreate("b0") = 7;
  reversed.GetOrCreate("b0") = 7;
  from_reversed.clear();
  from_restored.clear();
  reversed.Snapshot(&from_reversed);
  fresh.Snapshot(&from_restored);
  EXPECT_EQ(from_restored, from_reversed);
}

// One key group holding many keys, then a few more per snapshot: the path that inserts new keys
// into the sorted index one by one instead of merging.
TEST(KeyedStateTest, FewKeysAddedToManyKeepTheSnapshotSorted) {
  const KeyGroupRange only_group{0, 0};  // max parallelism 1: every key is in key group 0
  HeapValueStateBackend<int64_t> incremental(1, only_group);
  HeapValueStateBackend<int64_t> at_once(1, only_group);
  std::string ignored;
  for (int i = 0; i < 400; ++i) {
    const std::string key = "w" + std::to_string(i * 37 % 400);
    incremental.GetOrCreate(key) = i;
    at_once.GetOrCreate(key) = i;
    if (i >= 200 && i % 5 == 0) incremental.Snapshot(&ignored);  // 200 keys, then +5 at a time
  }
  std::string from_incremental, from_at_once;
  incremental.Snapshot(&from_incremental);
  at_once.Snapshot(&from_at_once);
  EXPECT_EQ(from_incremental, from_at_once);
}

TEST(KeyedStateTest, MalformedSnapshotIsDataLossNamingTheSource) {
  HeapValueStateBackend<int64_t> backend(16, KeyGroupRange{0, 15});
  Status s = backend.Restore(std::string("\x01\xff\xff\xff\xff", 5), "chk-3/1-2");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("chk-3/1-2"), std::string::npos);
}

}  // namespace
}  // namespace sluice
