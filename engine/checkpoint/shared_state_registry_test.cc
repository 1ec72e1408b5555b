#include "engine/checkpoint/shared_state_registry.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace sluice {
namespace {
namespace shared_state_registry_test {

TEST(SharedStateRegistryTest, AFileGoesWhenTheLastCheckpointNamingItIsUnregistered) {
  SharedStateRegistry registry;
  registry.Register(1, {"a", "b"});
  registry.Register(2, {"b", "c"});
  registry.Register(2, {"x"});  // a repeated registration changes nothing
  EXPECT_EQ(registry.References("b"), 2);
  EXPECT_EQ(registry.References("x"), 0);
  EXPECT_EQ(registry.CheckpointIds(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(registry.Unregister(1), (std::vector<std::string>{"a"})) << "b is still named by 2";
  EXPECT_EQ(registry.LiveFiles(), (std::set<std::string>{"b", "c"}));
  EXPECT_TRUE(registry.Unregister(1).empty()) << "unknown now";
  EXPECT_EQ(registry.Files(1), nullptr);
  EXPECT_EQ(registry.Unregister(2), (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(registry.LiveFiles().empty());
}

TEST(SharedStateRegistryTest, ASharedFileNameSaysWhichCheckpointUploadedIt) {
  EXPECT_EQ(SharedFileCheckpointId("12-000007.sst"), 12);
  EXPECT_EQ(SharedFileCheckpointId("0-000001.sst"), 0);
  EXPECT_EQ(SharedFileCheckpointId("000007.sst"), -1);
  EXPECT_EQ(SharedFileCheckpointId("-1-x"), -1);
  EXPECT_EQ(SharedFileCheckpointId("x1-000007.sst"), -1);
  EXPECT_EQ(SharedFileCheckpointId("99999999999999999999999-1.sst"), -1);
}

}  // namespace shared_state_registry_test
}  // namespace
}  // namespace sluice
