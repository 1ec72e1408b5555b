// A host with two disks: paths below the mount point live on the second disk, its faults and
// durable state are its own, renames across disks fail, and a crash hits both.
#include "simnet/mounted_file_system.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "simnet/sim_test_util.h"
#include "simnet/world.h"

namespace sluice::sim {
namespace {

using testing::RunFor;
using testing::SeededOptions;

void Check(const Status& status) { ASSERT_TRUE(status.ok()) << status.ToString(); }

TEST(MountedFileSystemTest, PathsBelowTheMountPointLiveOnTheSecondDisk) {
  World world(SeededOptions(701));
  Status cross_device;
  std::vector<std::string> listed;
  const World::HostId id = world.AddHost("h", [&](Host& host) {
    host.fibers.SleepFor(kNanosPerMilli);  // after AddDisk below
    Check(WriteFileAtomically(host.fs, "store/a", "root"));
    Check(host.fs.CreateDir("store/replica/dir"));
    Check(WriteFileAtomically(host.fs, "store/replica/dir/a", "second"));
    Check(host.fs.Rename("store/replica/dir/a", "./store//replica/b"));
    cross_device = host.fs.Rename("store/a", "store/replica/a");
    auto names = host.fs.List("store");
    if (names.ok()) listed = names.value();
  });
  SimDisk& second = world.AddDisk(id, "store/replica");
  RunFor(world, nullptr);
  EXPECT_EQ(world.disk(id).ReadCurrent("store/a").value(), "root");
  EXPECT_EQ(second.ReadCurrent("b").value(), "second");
  EXPECT_FALSE(world.disk(id).ExistsCurrent("store/replica/b"));
  EXPECT_EQ(cross_device.code(), StatusCode::kIoError) << cross_device.ToString();
  EXPECT_EQ(listed, (std::vector<std::string>{"a", "replica"}))
      << "a mount point is a directory of its parent";
  auto [disk, on_disk] = world.DiskAt(id, "store/replica/dir/x");
  EXPECT_EQ(disk, &second);
  EXPECT_EQ(on_disk, "dir/x");
  EXPECT_EQ(world.DiskAt(id, "store/replicas").first, &world.disk(id));
  EXPECT_EQ(world.disks(id), (std::vector<SimDisk*>{&world.disk(id), &second}));
}

TEST(MountedFileSystemTest, DisksFailIndependentlyAndACrashHitsBoth) {
  World world(SeededOptions(702));
  bool written = false;
  const World::HostId id = world.AddHost("h", [&](Host& host) {
    host.fibers.SleepFor(kNanosPerMilli);
    Check(host.fs.CreateDir("data"));
    Check(WriteFileAtomically(host.fs, "data/x", "copy"));
    Check(WriteFileAtomically(host.fs, "mnt/x", "copy"));
    auto unsynced = host.fs.OpenAppendable("mnt/unsynced", false);
    ASSERT_TRUE(unsynced.ok());
    Check((*unsynced)->Append("lost at the crash"));
    written = true;
    host.fibers.SleepFor(kNanosPerSecond);
  });
  SimDisk& second = world.AddDisk(id, "mnt");
  RunFor(world, [&] { return written; });
  ASSERT_TRUE(second.CorruptRandomDurableFile("").ok());
  EXPECT_NE(second.ReadCurrent("x").value(), "copy");
  EXPECT_EQ(world.disk(id).ReadCurrent("data/x").value(), "copy") << "the root disk is intact";
  world.Crash(id);
  EXPECT_FALSE(second.ExistsCurrent("unsynced")) << "a crash reverts every disk of the host";
  EXPECT_TRUE(second.ExistsCurrent("x"));
}

}  // namespace
}  // namespace sluice::sim
