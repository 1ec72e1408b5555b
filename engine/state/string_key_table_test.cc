#include "engine/state/string_key_table.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace sluice {
namespace {

TEST(StringKeyTableTest, FindsWhatItInsertedAcrossGrowth) {
  StringKeyTable<int64_t> table;
  std::map<std::string, int64_t> model;  // the reference
  for (int i = 0; i < 5000; ++i) {
    const std::string key = "k" + std::to_string(i * 7919 % 3001);  // repeats after 3001
    bool inserted = false;
    const auto index = table.FindOrInsert(key, &inserted);
    EXPECT_EQ(inserted, model.count(key) == 0) << key;
    table.value(index) += i;
    model[key] += i;
    EXPECT_EQ(table.key(index), key);
  }
  ASSERT_EQ(table.size(), model.size());
  for (const auto& [key, sum] : model) {
    const auto index = table.Find(key);
    ASSERT_NE(index, StringKeyTable<int64_t>::kNotFound) << key;
    EXPECT_EQ(table.value(index), sum) << key;
  }
  EXPECT_EQ(table.Find("absent"), StringKeyTable<int64_t>::kNotFound);
}

TEST(StringKeyTableTest, NumbersEntriesInInsertionOrderUntilClear) {
  StringKeyTable<int> table;
  bool inserted = false;
  EXPECT_EQ(table.Find(""), StringKeyTable<int>::kNotFound);  // empty table, no slots yet
  EXPECT_EQ(table.FindOrInsert("b", &inserted), 0u);
  EXPECT_EQ(table.FindOrInsert("a", &inserted), 1u);
  EXPECT_EQ(table.FindOrInsert("", &inserted), 2u);  // the empty key is a key
  EXPECT_TRUE(inserted);
  EXPECT_EQ(table.FindOrInsert("b", &inserted), 0u);
  EXPECT_FALSE(inserted);
  table.Clear();
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.Find("b"), StringKeyTable<int>::kNotFound);
  EXPECT_EQ(table.FindOrInsert("a", &inserted), 0u);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(table.value(0), 0) << "a re-inserted key starts from V{}";
}

}  // namespace
}  // namespace sluice
