#include "engine/state/keyed_state_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/partition/key_group.h"

namespace sluice {
namespace {
namespace keyed_state_store_test {

class Average final : public AggregateFunction<int64_t, std::pair<int64_t, int64_t>, double> {
 public:
  std::pair<int64_t, int64_t> CreateAccumulator() const override { return {0, 0}; }
  std::pair<int64_t, int64_t> Add(const int64_t& v, std::pair<int64_t, int64_t> acc) const override {
    return {acc.first + v, acc.second + 1};
  }
  double GetResult(const std::pair<int64_t, int64_t>& acc) const override {
    return static_cast<double>(acc.first) / static_cast<double>(acc.second);
  }
  std::pair<int64_t, int64_t> Merge(std::pair<int64_t, int64_t> a,
                                    const std::pair<int64_t, int64_t>& b) const override {
    return {a.first + b.first, a.second + b.second};
  }
};

struct States {
  explicit States(KeyedStateStore& store)
      : value(store.GetValueState<std::string>("value")),
        list(store.GetListState<int64_t>("list")),
        map((store.GetMapState<std::string, int64_t>("map"))),
        sum(store.GetReducingState<int64_t>("sum",
                                            [](const int64_t& a, const int64_t& b) { return a + b; })),
        average(store.GetAggregatingState<int64_t, std::pair<int64_t, int64_t>, double>(
            "average", std::make_shared<const Average>())) {}
  ValueState<std::string>& value;
  ListState<int64_t>& list;
  MapState<std::string, int64_t>& map;
  ReducingState<int64_t>& sum;
  AggregatingState<int64_t, std::pair<int64_t, int64_t>, double>& average;
};

TEST(KeyedStateStoreTest, HandlesFollowTheCurrentKey) {
  KeyedStateStore store;
  States s(store);
  ASSERT_TRUE(store.error().ok());
  store.SetCurrent(0);
  EXPECT_FALSE(store.Present(0));
  s.value.update("zero");
  s.list.add(1);
  s.list.add(2);
  s.map.put("a", 7);
  s.sum.add(3);
  s.sum.add(4);
  s.average.add(1);
  s.average.add(2);
  store.SetCurrent(5);  // grows the columns; slot 0 keeps its values
  EXPECT_EQ(s.value.value(), "");
  EXPECT_TRUE(s.list.get().empty());
  EXPECT_EQ(s.map.get("a"), nullptr);
  EXPECT_EQ(s.sum.get(), nullptr);
  EXPECT_FALSE(s.average.get().has_value());
  store.SetCurrent(0);
  EXPECT_EQ(s.value.value(), "zero");
  EXPECT_EQ(s.list.get(), (std::vector<int64_t>{1, 2}));
  ASSERT_NE(s.map.get("a"), nullptr);
  EXPECT_EQ(*s.map.get("a"), 7);
  EXPECT_EQ(*s.sum.get(), 7);
  EXPECT_DOUBLE_EQ(*s.average.get(), 1.5);
  EXPECT_TRUE(store.Present(0));
  EXPECT_FALSE(store.Present(5));
  s.value.clear();
  s.list.clear();
  s.map.remove("a");
  s.sum.clear();
  EXPECT_TRUE(store.Present(0)) << "the aggregate still holds a value";
  s.average.clear();
  EXPECT_FALSE(store.Present(0)) << "a key whose every state is cleared is absent";
}

TEST(KeyedStateStoreTest, SlotsRoundTripAndSchemasMustMatch) {
  KeyedStateStore a;
  States sa(a);
  a.SetCurrent(2);
  sa.value.update("v");
  sa.map.put("k", 1);
  sa.average.add(4);
  std::string schema, slot;
  ByteWriter schema_writer(&schema), slot_writer(&slot);
  a.WriteSchema(schema_writer);
  a.WriteSlot(2, slot_writer);

  KeyedStateStore b;
  States sb(b);
  ByteReader schema_reader(schema);
  ASSERT_TRUE(b.CheckSchema(schema_reader, "test").ok());
  ByteReader slot_reader(slot);
  ASSERT_TRUE(b.ReadSlot(0, slot_reader));
  b.SetCurrent(0);
  EXPECT_EQ(sb.value.value(), "v");
  EXPECT_TRUE(sb.list.get().empty());
  EXPECT_EQ(*sb.map.get("k"), 1);
  EXPECT_EQ(sb.sum.get(), nullptr);
  EXPECT_DOUBLE_EQ(*sb.average.get(), 4.0);

  for (size_t cut = 0; cut < slot.size(); ++cut) {
    KeyedStateStore c;
    States sc(c);
    ByteReader truncated(std::string_view(slot).substr(0, cut));
    EXPECT_FALSE(c.ReadSlot(0, truncated)) << "cut at " << cut;
  }

  KeyedStateStore other;
  other.GetValueState<std::string>("value");
  other.GetListState<int64_t>("renamed");
  ByteReader again(schema);
  Status mismatch = other.CheckSchema(again, "chk-3");
  EXPECT_EQ(mismatch.code(), StatusCode::kDataLoss);
  EXPECT_NE(mismatch.message().find("chk-3"), std::string::npos) << mismatch.message();
}

TEST(KeyedStateStoreTest, ANameRegisteredTwiceIsAnError) {
  KeyedStateStore store;
  store.GetValueState<int64_t>("x");
  store.GetListState<int64_t>("x");
  EXPECT_EQ(store.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(store.error().message().find("'x'"), std::string::npos);
}

// The runtime's layout: keys in a key-group-indexed table, values in the store's slots. A
// snapshot of one instance restores into three (a rescale), each taking only its key groups, and
// keys whose states are all empty are left out.
TEST(KeyedStateStoreTest, SnapshotsSplitByKeyGroupAndSkipAbsentKeys) {
  const int max_p = 128;
  HeapValueStateBackend<uint8_t> keys(max_p, KeyGroupRange{0, max_p - 1});
  KeyedStateStore store;
  States s(store);
  const std::vector<std::string> names = {"apple", "pear", "plum", "fig", "kiwi", "lime"};
  for (size_t i = 0; i < names.size(); ++i) {
    const uint32_t entry = keys.FindOrInsertIndex(
        names[i], [&](std::string_view k) { return KeyGroupForKey(k, max_p); });
    store.SetCurrent(entry);
    if (names[i] == "fig") continue;  // inserted, never set: absent
    s.list.add(static_cast<int64_t>(i));
    s.map.put(names[i], static_cast<int64_t>(i));
  }
  std::string snapshot;
  keys.SnapshotWith(
      &snapshot, [&](uint32_t entry) { return store.Present(entry); },
      [&](uint32_t entry, ByteWriter& w) {
        std::string row;
        ByteWriter row_writer(&row);
        store.WriteSlot(entry, row_writer);
        w.PutString(row);
      });
  size_t restored = 0;
  for (int subtask = 0; subtask < 3; ++subtask) {
    HeapValueStateBackend<uint8_t> part(max_p, KeyGroupRangeForOperator(max_p, 3, subtask));
    KeyedStateStore part_store;
    States ps(part_store);
    ASSERT_TRUE(part.RestoreWith(snapshot, "test", [&](ByteReader& r, bool keep, uint32_t entry) {
                      std::string_view row;
                      if (!r.GetString(&row)) return false;
                      if (!keep) return true;
                      ByteReader row_reader(row);
                      return part_store.ReadSlot(entry, row_reader);
                    }).ok());
    restored += part.size();
    for (size_t i = 0; i < names.size(); ++i) {
      const bool mine =
          KeyGroupRangeForOperator(max_p, 3, subtask).Contains(KeyGroupForKey(names[i], max_p));
      if (!mine || names[i] == "fig") {
        EXPECT_EQ(part.Find(names[i]), nullptr) << names[i] << " was restored here";
        continue;
      }
      ASSERT_NE(part.Find(names[i]), nullptr) << names[i];
      const uint32_t entry = part.FindOrInsertIndex(
          names[i], [&](std::string_view k) { return KeyGroupForKey(k, max_p); });
      part_store.SetCurrent(entry);
      EXPECT_EQ(ps.list.get(), (std::vector<int64_t>{static_cast<int64_t>(i)})) << names[i];
      EXPECT_EQ(*ps.map.get(names[i]), static_cast<int64_t>(i));
    }
  }
  EXPECT_EQ(restored, names.size() - 1) << "fig had no state";
}

}  // namespace keyed_state_store_test
}  // namespace
}  // namespace sluice
