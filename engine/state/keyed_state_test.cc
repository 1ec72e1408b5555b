#include "engine/state/keyed_state.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(KeyedStateTest, SnapshotRestoresOnlyTheOwnedKeyGroups) {
  const int max_p = 128;
  HeapValueStateBackend<int64_t> whole(max_p, KeyGroupRange{0, max_p - 1});
  const char* keys[] = {"apple", "pear", "plum", "fig", "kiwi", "lime", "date", "sloe"};
  for (int i = 0; i < 8; ++i) whole.GetOrCreate(keys[i], KeyGroupForKey(keys[i], max_p)) = i + 1;
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
      const int64_t* value = part.Find(keys[i], kg);
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

TEST(KeyedStateTest, SnapshotBytesDoNotDependOnInsertionOrder) {
  HeapValueStateBackend<int64_t> a(16, KeyGroupRange{0, 15}), b(16, KeyGroupRange{0, 15});
  const char* keys[] = {"x", "y", "z", "w", "v", "u"};
  for (int i = 0; i < 6; ++i) a.GetOrCreate(keys[i], KeyGroupForKey(keys[i], 16)) = i;
  for (int i = 5; i >= 0; --i) b.GetOrCreate(keys[i], KeyGroupForKey(keys[i], 16)) = i;
  std::string sa, sb;
  a.Snapshot(&sa);
  b.Snapshot(&sb);
  EXPECT_EQ(sa, sb);
}

TEST(KeyedStateTest, MalformedSnapshotIsDataLossNamingTheSource) {
  HeapValueStateBackend<int64_t> backend(16, KeyGroupRange{0, 15});
  Status s = backend.Restore(std::string("\x01\xff\xff\xff\xff", 5), "chk-3/1-2");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("chk-3/1-2"), std::string::npos);
}

}  // namespace
}  // namespace sluice
