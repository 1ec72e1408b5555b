// Disk faults: torn writes, durable corruption, injected I/O errors, a full disk, a slow disk.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <string>
#include <vector>

#include "simnet/sim_disk.h"
#include "simnet/sim_test_util.h"
#include "simnet/world.h"

namespace sluice::sim {
namespace {

using testing::RunFor;
using testing::SeededOptions;

void Check(const Status& status) { ASSERT_TRUE(status.ok()) << status.ToString(); }

// Runs `program` on a fresh host "h" to completion; returns the host id.
World::HostId RunOnHost(World& world, std::function<void(Host&)> program) {
  const World::HostId id = world.AddHost("h", std::move(program));
  EXPECT_EQ(RunFor(world, nullptr), World::RunOutcome::kQuiescent);
  return id;
}

constexpr char kDurable[] = "durable-prefix;";
const std::vector<std::string>& UnsyncedWrites() {
  static const std::vector<std::string> writes = {"first-write;", "second;", "third-write-x;"};
  return writes;
}

// Checks one torn file: the durable prefix, then a prefix of the unsynced bytes, then garbage
// (every byte different from the one written) up to the end of a write; never more.
void CheckTorn(const std::string& file, int* torn_with_garbage, int* kept_some) {
  std::string written = kDurable;
  std::vector<size_t> write_ends;
  for (const std::string& w : UnsyncedWrites()) write_ends.push_back((written += w).size());
  ASSERT_LE(file.size(), written.size()) << "never more than was written";
  ASSERT_GE(file.size(), sizeof(kDurable) - 1);
  EXPECT_EQ(file.substr(0, sizeof(kDurable) - 1), kDurable) << "the synced bytes survive";
  size_t intact = 0;
  while (intact < file.size() && file[intact] == written[intact]) ++intact;
  for (size_t i = intact; i < file.size(); ++i) EXPECT_NE(file[i], written[i]) << "garbage";
  if (file.size() > sizeof(kDurable) - 1) {
    EXPECT_TRUE(std::count(write_ends.begin(), write_ends.end(), file.size()) == 1)
        << "a torn file ends at the end of a write: " << file.size();
  }
  if (intact < file.size()) ++*torn_with_garbage;
  if (intact > sizeof(kDurable) - 1) ++*kept_some;
}

TEST(DiskFaultsTest, TornWritesKeepAPrefixOfTheUnsyncedBytesThenGarbage) {
  int torn_with_garbage = 0, kept_some = 0;
  for (uint64_t seed = 500; seed < 540; ++seed) {
    World world(SeededOptions(seed));
    const World::HostId id = RunOnHost(world, [](Host& host) {
      auto file = host.fs.OpenAppendable("log", false);
      ASSERT_TRUE(file.ok());
      Check((*file)->Append(kDurable));
      Check((*file)->Sync());
      Check(host.fs.SyncDir("."));
      for (const std::string& w : UnsyncedWrites()) Check((*file)->Append(w));
    });
    world.disk(id).SetTornWrites(true);
    world.Crash(id);
    auto file = world.disk(id).ReadCurrent("log");
    ASSERT_TRUE(file.ok());
    CheckTorn(*file, &torn_with_garbage, &kept_some);
  }
  EXPECT_GT(torn_with_garbage, 0);
  EXPECT_GT(kept_some, 0);
}

TEST(DiskFaultsTest, TornWritesSpareFilesTruncatedSinceTheirLastSync) {
  World world(SeededOptions(541));
  const World::HostId id = RunOnHost(world, [](Host& host) {
    Check(WriteFileAtomically(host.fs, "f", "old contents"));
    auto file = host.fs.OpenAppendable("f", /*truncate=*/true);
    ASSERT_TRUE(file.ok());
    Check((*file)->Append("new, never synced"));
  });
  world.disk(id).SetTornWrites(true);
  world.Crash(id);
  EXPECT_EQ(*world.disk(id).ReadCurrent("f"), "old contents");
}

TEST(DiskFaultsTest, CorruptDurableByteFlipsOneBitThatReadsAndCrashesKeep) {
  World world(SeededOptions(542));
  const std::string original(64, 'x');
  std::string read_back;
  const World::HostId id = world.AddHost("h", [&](Host& host) {
    host.fibers.SleepFor(kNanosPerSecond);
    auto bytes = host.fs.ReadFile("data/a");
    ASSERT_TRUE(bytes.ok());
    read_back = *bytes;
  });
  SimDisk& disk = world.disk(id);
  disk.WriteDurable("data/a", original);
  disk.WriteDurable("data/b", original);
  disk.WriteDurable("other/c", original);
  auto offset = disk.CorruptDurableByte("data/a");
  ASSERT_TRUE(offset.ok());
  RunFor(world, nullptr);
  ASSERT_EQ(read_back.size(), original.size());
  int bits_flipped = 0;
  for (size_t i = 0; i < original.size(); ++i) {
    bits_flipped += std::popcount(static_cast<unsigned char>(read_back[i] ^ original[i]));
    if (i != *offset) {
      EXPECT_EQ(read_back[i], original[i]);
    }
  }
  EXPECT_EQ(bits_flipped, 1);
  world.Crash(id);
  EXPECT_EQ(*disk.ReadCurrent("data/a"), read_back) << "the flip is durable";
  // A random file under a prefix; the others stay intact.
  auto corrupted = disk.CorruptRandomDurableFile("other/");
  ASSERT_TRUE(corrupted.ok());
  EXPECT_EQ(*corrupted, "other/c");
  EXPECT_NE(*disk.ReadCurrent("other/c"), original);
  EXPECT_EQ(*disk.ReadCurrent("data/b"), original);
  EXPECT_EQ(disk.CorruptDurableByte("missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(disk.CorruptRandomDurableFile("nothing/").status().code(), StatusCode::kNotFound);
  disk.WriteDurable("empty", "");
  EXPECT_EQ(disk.CorruptDurableByte("empty").status().code(), StatusCode::kFailedPrecondition);
}

// Every data operation on `path`; their statuses in order.
std::vector<Status> DataOps(Host& host, const std::string& path) {
  std::vector<Status> statuses;
  auto file = host.fs.OpenAppendable(path, false);
  EXPECT_TRUE(file.ok()) << "opening is metadata: never an injected error";
  if (!file.ok()) return statuses;
  statuses.push_back((*file)->Append("abc"));
  statuses.push_back((*file)->Sync());
  statuses.push_back(host.fs.SyncDir("."));
  statuses.push_back(host.fs.ReadFile(path).status());
  statuses.push_back(host.fs.ReadRange(path, 0, 2).status());
  return statuses;
}

TEST(DiskFaultsTest, IoErrorProbabilityOneFailsEveryDataOperation) {
  World world(SeededOptions(543));
  std::vector<Status> failing, working;
  const World::HostId id = world.AddHost("h", [&](Host& host) {
    host.fibers.SleepFor(kNanosPerSecond);
    failing = DataOps(host, "journal");
    EXPECT_TRUE(host.fs.Exists("journal").ok());
    host.fibers.SleepFor(kNanosPerSecond);
    working = DataOps(host, "journal");
  });
  world.disk(id).SetIoErrorProbability(1.0);
  world.Schedule(1500 * kNanosPerMilli, [&] { world.disk(id).SetIoErrorProbability(0.0); });
  RunFor(world, nullptr);
  ASSERT_EQ(failing.size(), 5u);
  for (const Status& status : failing) {
    EXPECT_EQ(status.code(), StatusCode::kIoError);
    EXPECT_NE(status.message().find("injected"), std::string::npos) << status.ToString();
  }
  EXPECT_NE(failing[0].message().find("journal"), std::string::npos) << failing[0].ToString();
  ASSERT_EQ(working.size(), 5u);
  for (const Status& status : working) EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(*world.disk(id).ReadCurrent("journal"), "abc") << "the failed append wrote nothing";
}

TEST(DiskFaultsTest, IoErrorsAtAProbabilityAreSeededAndMixed) {
  auto failures = [](uint64_t seed) {
    World world(SeededOptions(seed));
    std::vector<bool> failed;
    const World::HostId id = world.AddHost("h", [&](Host& host) {
      auto file = host.fs.OpenAppendable("f", false);
      ASSERT_TRUE(file.ok());
      for (int i = 0; i < 200; ++i) failed.push_back(!(*file)->Append("x").ok());
    });
    world.disk(id).SetIoErrorProbability(0.25);
    RunFor(world, nullptr);
    return failed;
  };
  const std::vector<bool> first = failures(544);
  EXPECT_EQ(first, failures(544));
  const auto count = std::count(first.begin(), first.end(), true);
  EXPECT_GT(count, 20);
  EXPECT_LT(count, 80);
}

TEST(DiskFaultsTest, FullDiskRejectsAppendsAndCreatesUntilClearedButRemoves) {
  World world(SeededOptions(545));
  std::vector<StatusCode> codes;
  std::string no_space_message;
  const World::HostId id = world.AddHost("h", [&](Host& host) {
    auto file = host.fs.OpenAppendable("old", false);
    ASSERT_TRUE(file.ok());
    Check((*file)->Append("before;"));
    host.fibers.SleepFor(kNanosPerSecond);  // full from 0.5 s to 1.5 s
    const Status append = (*file)->Append("during;");
    no_space_message = append.message();
    codes.push_back(append.code());
    codes.push_back(host.fs.OpenAppendable("new", false).status().code());
    codes.push_back(host.fs.CreateDir("newdir").code());
    codes.push_back(host.fs.OpenAppendable("old", true).status().code());  // truncating: ok
    codes.push_back((*file)->Sync().code());
    codes.push_back(host.fs.Remove("old").code());
    host.fibers.SleepFor(kNanosPerSecond);
    auto again = host.fs.OpenAppendable("new", false);
    codes.push_back(again.status().code());
    if (again.ok()) codes.push_back((*again)->Append("after;").code());
  });
  world.Schedule(500 * kNanosPerMilli, [&] { world.disk(id).SetFull(true); });
  world.Schedule(1500 * kNanosPerMilli, [&] { world.disk(id).SetFull(false); });
  RunFor(world, nullptr);
  EXPECT_EQ(codes, (std::vector<StatusCode>{
                       StatusCode::kResourceExhausted, StatusCode::kResourceExhausted,
                       StatusCode::kResourceExhausted, StatusCode::kOk, StatusCode::kOk,
                       StatusCode::kOk, StatusCode::kOk, StatusCode::kOk}));
  EXPECT_NE(no_space_message.find("no space"), std::string::npos) << no_space_message;
  EXPECT_FALSE(world.disk(id).ExistsCurrent("old"));
  EXPECT_EQ(*world.disk(id).ReadCurrent("new"), "after;");
}

TEST(DiskFaultsTest, SlowDiskMultipliesEveryLatency) {
  auto elapsed = [](double factor) {
    WorldOptions options = SeededOptions(546);
    options.disk_latency_max_ns = kNanosPerMilli;
    World world(options);
    int64_t took = -1;
    const World::HostId id = world.AddHost("h", [&](Host& host) {
      auto file = host.fs.OpenAppendable("f", false);
      ASSERT_TRUE(file.ok());
      for (int i = 0; i < 100; ++i) Check((*file)->Append("x"));
      took = host.clock.NowNs();
    });
    world.disk(id).SetSlow(factor);
    RunFor(world, nullptr);
    return took;
  };
  const int64_t normal = elapsed(1.0);
  EXPECT_GT(normal, 0);
  EXPECT_EQ(elapsed(10.0), 10 * normal) << "the same draws, each ten times longer";
}

}  // namespace
}  // namespace sluice::sim
