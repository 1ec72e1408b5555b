// The line source's split discovery on a shared mount (the simulator's input store): every
// visible file of the input directory is a split, in name order; a missing directory is
// kNotFound naming it (the JobManager waits for it), not a source without splits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/connectors/line_source.h"
#include "engine/runtime/storage_directory.h"
#include "simnet/sim_disk.h"
#include "simnet/store_server.h"
#include "simnet/world.h"

namespace sluice {
namespace {
namespace line_source_test {

constexpr uint16_t kPort = 7000;

TEST(LineSourceTest, SplitsAreTheVisibleFilesAndAMissingDirectoryIsAnError) {
  sim::World world(sim::WorldOptions{.seed = 3});
  const sim::World::HostId store = world.AddHost("input-store", [](Host& host) {
    (void)RunStoreServer(host, StoreServerConfig{kPort, "store"});
  });
  Status missing;
  std::vector<std::string> splits;
  bool done = false;
  const sim::World::HostId jobmanager = world.AddHost("jobmanager", [&](Host& host) {
    const Source<std::string> source = LineSource(SourceSpec{"input"});
    const ExternalServices services{"mnt/input", "", ""};
    missing = source.discover(host, services, 2).status();
    StorageDirectory input(host.fs, "mnt/input/input");
    for (const char* name : {"part-1", "part-0", ".hidden", "_SUCCESS"}) {
      ASSERT_TRUE(input.WriteAtomic(name, "a line\n").ok());
    }
    splits = source.discover(host, services, 2).value_or(std::vector<std::string>{"error"});
    done = true;
  });
  world.MountShared(jobmanager, "mnt/input", Address{"input-store", kPort});
  world.RunUntil([&] { return done; }, 60 * kNanosPerSecond);
  ASSERT_TRUE(done) << "seed 3";
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.ToString();
  EXPECT_NE(missing.message().find("mnt/input/input"), std::string::npos) << missing.ToString();
  EXPECT_EQ(splits, (std::vector<std::string>{"input/part-0", "input/part-1"}));
  EXPECT_TRUE(world.disk(store).ExistsCurrent("store/input/part-0"));
}

}  // namespace line_source_test
}  // namespace
}  // namespace sluice
