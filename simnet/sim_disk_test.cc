#include "simnet/sim_disk.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "simnet/sim_test_util.h"
#include "simnet/world.h"

namespace sluice::sim {
namespace {

using testing::RunFor;
using testing::SeededOptions;

constexpr int64_t kSecond = kNanosPerSecond;

// Runs `program` on a fresh host "h" to completion; returns the host id.
World::HostId RunOnHost(World& world, std::function<void(Host&)> program) {
  const World::HostId id = world.AddHost("h", std::move(program));
  EXPECT_EQ(RunFor(world, nullptr), World::RunOutcome::kQuiescent);
  return id;
}

void Check(const Status& status) { ASSERT_TRUE(status.ok()) << status.ToString(); }

TEST(SimDiskTest, CrashKeepsSyncedBytesAndDropsTheRest) {
  World world(SeededOptions(21));
  const World::HostId id = RunOnHost(world, [](Host& host) {
    Check(host.fs.CreateDir("data"));
    Check(host.fs.SyncDir("."));
    auto file = host.fs.OpenAppendable("data/log", false);
    ASSERT_TRUE(file.ok());
    Check((*file)->Append("synced;"));
    Check((*file)->Sync());
    Check(host.fs.SyncDir("data"));
    Check((*file)->Append("volatile"));
  });
  SimDisk& disk = world.disk(id);
  EXPECT_EQ(*disk.ReadCurrent("data/log"), "synced;volatile");
  world.Crash(id);
  EXPECT_EQ(*disk.ReadCurrent("data/log"), "synced;");
}

TEST(SimDiskTest, UnsyncedCreationAndRenameAreLostSyncDirOnesSurvive) {
  World world(SeededOptions(22));
  const World::HostId id = RunOnHost(world, [](Host& host) {
    Check(host.fs.CreateDir("d"));
    Check(WriteFileAtomically(host.fs, "d/a", "A"));
    Check(WriteFileAtomically(host.fs, "d/c", "C"));
    // A rename made durable by SyncDir.
    Check(host.fs.Rename("d/c", "d/e"));
    Check(host.fs.SyncDir("d"));
    // Not made durable: a creation (even with synced bytes) and a rename.
    auto orphan = host.fs.OpenAppendable("d/orphan", false);
    Check((*orphan)->Append("x"));
    Check((*orphan)->Sync());
    Check(host.fs.Rename("d/a", "d/b"));
  });
  SimDisk& disk = world.disk(id);
  EXPECT_EQ(disk.ListCurrent("d"), (std::vector<std::string>{"b", "e", "orphan"}));
  world.Crash(id);
  EXPECT_EQ(disk.ListCurrent("d"), (std::vector<std::string>{"a", "e"}));
  EXPECT_EQ(*disk.ReadCurrent("d/a"), "A");
  EXPECT_EQ(*disk.ReadCurrent("d/e"), "C");
}

TEST(SimDiskTest, CrashRevertsNamesChangedAfterTheLastSyncDir) {
  World world(SeededOptions(23));
  const World::HostId id = RunOnHost(world, [](Host& host) {
    Check(host.fs.CreateDir("d"));
    Check(WriteFileAtomically(host.fs, "d/kept", "K"));
    Check(WriteFileAtomically(host.fs, "d/moved", "M"));
    // Not made durable: a new file (synced bytes), a rename and a removal.
    auto created = host.fs.OpenAppendable("d/new", false);
    Check((*created)->Append("N"));
    Check((*created)->Sync());
    Check(host.fs.Rename("d/moved", "d/renamed"));
    Check(host.fs.Remove("d/kept"));
  });
  SimDisk& disk = world.disk(id);
  EXPECT_EQ(disk.ListCurrent("d"), (std::vector<std::string>{"new", "renamed"}));
  world.Crash(id);
  EXPECT_EQ(disk.ListCurrent("d"), (std::vector<std::string>{"kept", "moved"}));
  EXPECT_EQ(*disk.ReadCurrent("d/kept"), "K");
  EXPECT_EQ(*disk.ReadCurrent("d/moved"), "M");
  EXPECT_FALSE(disk.ExistsCurrent("d/new"));
  EXPECT_EQ(disk.inode_count(), 2u) << "the lost file's inode is freed";
}

TEST(SimDiskTest, RestartedProgramReadsWhatSurvived) {
  World world(SeededOptions(24));
  std::vector<std::string> boots;
  const World::HostId id = world.AddHost("h", [&](Host& host) {
    auto previous = host.fs.ReadFile("boot");
    boots.push_back(previous.ok() ? *previous : "<none>");
    Check(WriteFileAtomically(host.fs, "boot", "durable-" + std::to_string(boots.size())));
    auto file = host.fs.OpenAppendable("boot", false);
    Check((*file)->Append("+volatile"));
    host.fibers.SleepFor(3600 * kSecond);
  });
  world.Schedule(kSecond, [&] { world.Crash(id); });
  world.Schedule(2 * kSecond, [&] { world.Restart(id); });
  world.Schedule(3 * kSecond, [&] { world.Crash(id); });
  world.Schedule(4 * kSecond, [&] { world.Restart(id); });
  RunFor(world, [&] { return boots.size() == 3; });
  EXPECT_EQ(boots, (std::vector<std::string>{"<none>", "durable-1", "durable-2"}));
}

TEST(SimDiskTest, ErrorsAndDirectories) {
  World world(SeededOptions(25));
  RunOnHost(world, [](Host& host) {
    EXPECT_EQ(host.fs.ReadFile("missing").status().code(), StatusCode::kNotFound);
    EXPECT_EQ(host.fs.Remove("missing").code(), StatusCode::kNotFound);
    EXPECT_EQ(host.fs.List("nodir").status().code(), StatusCode::kNotFound);
    EXPECT_EQ(host.fs.OpenAppendable("nodir/f", false).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(host.fs.Rename("missing", "x").code(), StatusCode::kNotFound);
    Check(host.fs.CreateDir("a/b/c"));
    Check(host.fs.CreateDir("a/b"));  // exists: OK
    EXPECT_TRUE(*host.fs.Exists("a/b"));
    Check(WriteFileAtomically(host.fs, "a/b/f", "12345"));
    EXPECT_EQ(*host.fs.FileSize("a/b/f"), 5u);
    EXPECT_EQ(*host.fs.ReadRange("a/b/f", 1, 3), "234");
    EXPECT_EQ(*host.fs.ReadRange("a/b/f", 9, 3), "");
    EXPECT_EQ(*host.fs.List("a/b"), (std::vector<std::string>{"c", "f"}));
    EXPECT_EQ(*host.fs.List("./a//b/"), (std::vector<std::string>{"c", "f"}));
    EXPECT_EQ(host.fs.Remove("a/b").code(), StatusCode::kIoError) << "not empty";
    EXPECT_EQ(host.fs.CreateDir("a/b/f/g").code(), StatusCode::kIoError) << "f is a file";
    Check(host.fs.Rename("a/b", "a/z"));
    EXPECT_EQ(*host.fs.ReadFile("a/z/f"), "12345");
    EXPECT_EQ(*host.fs.List("a"), (std::vector<std::string>{"z"}));
    auto truncated = host.fs.OpenAppendable("a/z/f", true);
    EXPECT_EQ(*host.fs.FileSize("a/z/f"), 0u);
  });
}

TEST(SimDiskTest, TruncationIsVolatileUntilSynced) {
  World world(SeededOptions(26));
  const World::HostId id = world.AddHost("h", [](Host& host) {
    Check(WriteFileAtomically(host.fs, "f", "old"));
    auto file = host.fs.OpenAppendable("f", /*truncate=*/true);
    Check((*file)->Append("new"));
    host.fibers.SleepFor(3600 * kSecond);
  });
  world.disk(id).WriteDurable("seeded/config", "cfg");
  world.Schedule(kSecond, [&] { world.Crash(id); });
  world.RunUntil(nullptr, 2 * kSecond);
  EXPECT_EQ(*world.disk(id).ReadCurrent("f"), "old");
  EXPECT_EQ(*world.disk(id).ReadCurrent("seeded/config"), "cfg");
}

TEST(SimDiskTest, OperationsTakeBoundedVirtualTime) {
  WorldOptions options = SeededOptions(27);
  options.disk_latency_max_ns = 50 * kNanosPerMicro;
  World world(options);
  int64_t elapsed = -1;
  RunOnHost(world, [&](Host& host) {
    const int64_t start = host.clock.NowNs();
    for (int i = 0; i < 100; ++i) Check(WriteFileAtomically(host.fs, "f", "x"));
    elapsed = host.clock.NowNs() - start;
  });
  // 6 operations per atomic write.
  EXPECT_GT(elapsed, 0);
  EXPECT_LE(elapsed, 600 * 50 * kNanosPerMicro);
}

}  // namespace
}  // namespace sluice::sim
