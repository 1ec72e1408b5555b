// A shared mount (simnet/shared_mount.h) and a StorageDirectory on it: what one host writes the
// server holds durably and every host reads; the server's crash, a reset and a partition fail
// calls, and calls work again after; a client's crash loses nothing of the mount's. And a
// StorageDirectory on a local disk makes each mutation durable before it returns.
#include "simnet/shared_mount.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/runtime/storage_directory.h"
#include "simnet/sim_disk.h"
#include "simnet/sim_test_util.h"
#include "simnet/store_server.h"
#include "simnet/world.h"

namespace sluice::sim {
namespace {
namespace shared_mount_test {

using testing::RunFor;
using testing::SeededOptions;

constexpr uint16_t kPort = 7000;

void Check(const Status& status) { ASSERT_TRUE(status.ok()) << status.ToString(); }

// A store host and clients that mount its root at "mnt/shared".
class SharedMountTest : public ::testing::Test {
 protected:
  void StartServer(uint64_t seed) {
    world_ = std::make_unique<World>(SeededOptions(seed));
    server_ = world_->AddHost("store", [](Host& host) {
      (void)RunStoreServer(host, StoreServerConfig{kPort, "store"});
    });
  }
  // Runs `body` on a new client host with the mount; fails the test if it does not return.
  World::HostId RunOnClient(const std::string& name, const std::function<void(Host&)>& body) {
    bool done = false;
    const World::HostId id = world_->AddHost(name, [&](Host& host) {
      body(host);
      done = true;
    });
    world_->MountShared(id, "mnt/shared", Address{"store", kPort});
    RunFor(*world_, [&] { return done; }, 60 * kNanosPerSecond);
    EXPECT_TRUE(done) << name << " did not finish";
    return id;
  }
  SimDisk& server_disk() { return world_->disk(server_); }

  std::unique_ptr<World> world_;
  World::HostId server_ = 0;
};

TEST_F(SharedMountTest, WhatOneHostWritesTheServerHoldsDurablyAndOthersRead) {
  StartServer(901);
  RunOnClient("writer", [](Host& host) {
    StorageDirectory dir(host.fs, "mnt/shared/checkpoints");
    Check(dir.WriteAtomic("chk-1/_metadata", "meta"));
    Check(dir.WriteAtomic("chk-1/0-0", "state"));
    Check(dir.Rename("chk-1/0-0", "chk-1/0-0-a1"));
    Check(dir.WriteAtomic("chk-1/gone", "x"));
    Check(dir.Remove("chk-1/gone"));
    auto file = host.fs.OpenAppendable("mnt/shared/log", /*truncate=*/true);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    Check((*file)->Append("one "));
    Check((*file)->Sync());
    Check((*file)->Append("two"));
    Check((*file)->Close());
  });
  // Durable on the server's disk: a crash of the server keeps all of it.
  world_->Crash(server_);
  EXPECT_EQ(server_disk().ReadDurable("store/checkpoints/chk-1/_metadata").value(), "meta");
  EXPECT_EQ(server_disk().ReadDurable("store/checkpoints/chk-1/0-0-a1").value(), "state");
  EXPECT_FALSE(server_disk().ReadDurable("store/checkpoints/chk-1/gone").ok());
  EXPECT_EQ(server_disk().ReadDurable("store/log").value(), "one two");
  world_->Restart(server_);
  std::vector<std::string> listed, missing;
  Status list_missing;
  RunOnClient("reader", [&](Host& host) {
    StorageDirectory dir(host.fs, "mnt/shared/checkpoints");
    EXPECT_EQ(dir.ReadFile("chk-1/_metadata").value_or(""), "meta");
    EXPECT_EQ(dir.ReadRange("chk-1/0-0-a1", 1, 3).value_or(""), "tat");
    EXPECT_EQ(dir.FileSize("chk-1/0-0-a1").value_or(0), 5u);
    EXPECT_TRUE(dir.Exists("chk-1").value_or(false));
    listed = dir.List("chk-1").value_or(std::vector<std::string>{"error"});
    missing = dir.List("chk-9").value_or(std::vector<std::string>{"error"});
    list_missing = host.fs.List("mnt/shared/checkpoints/chk-9").status();
    EXPECT_EQ(dir.Rename("chk-1/none", "chk-1/other").code(), StatusCode::kNotFound);
  });
  EXPECT_EQ(listed, (std::vector<std::string>{"0-0-a1", "_metadata"}));
  EXPECT_TRUE(missing.empty()) << "a StorageDirectory lists a missing directory as empty";
  EXPECT_EQ(list_missing.code(), StatusCode::kNotFound) << list_missing.ToString();
}

TEST_F(SharedMountTest, TheServersFaultsAreTheMountsAndCallsWorkAgainAfter) {
  StartServer(902);
  Status while_down, while_full, after;
  std::string read_after_reset;
  const World::HostId client = RunOnClient("client", [&](Host& host) {
    StorageDirectory dir(host.fs, "mnt/shared");
    Check(dir.WriteAtomic("a", "1"));  // a pooled connection now exists
    // Reset while idle: the next call resends its request on a new connection.
    world_->ResetConnections(server_);
    host.fibers.SleepFor(50 * kNanosPerMilli);
    read_after_reset = dir.ReadFile("a").value_or("error");
    world_->Crash(server_);
    host.fibers.SleepFor(50 * kNanosPerMilli);
    while_down = dir.WriteAtomic("b", "2");
    world_->Restart(server_);
    host.fibers.SleepFor(50 * kNanosPerMilli);
    world_->disk(server_).SetFull(true);
    while_full = dir.WriteAtomic("c", "3");
    world_->disk(server_).SetFull(false);
    after = dir.WriteAtomic("d", "4");
  });
  EXPECT_EQ(read_after_reset, "1");
  EXPECT_TRUE(while_down.code() == StatusCode::kUnavailable ||
              while_down.code() == StatusCode::kDeadlineExceeded)
      << while_down.ToString();
  EXPECT_EQ(while_full.code(), StatusCode::kResourceExhausted) << while_full.ToString();
  EXPECT_TRUE(after.ok()) << after.ToString();
  // A shared mount has no disk of the client's: the client's disks are its root disk only.
  EXPECT_EQ(world_->disks(client).size(), 1u);
  EXPECT_EQ(world_->DiskAt(client, "mnt/shared/a").first, nullptr);
}

TEST_F(SharedMountTest, APartitionFailsCallsAndTheMountWorksAfterTheClientRestarts) {
  StartServer(903);
  Status cut_off;
  const World::HostId client = RunOnClient("client", [&](Host& host) {
    Check(WriteFileAtomically(host.fs, "mnt/shared/a", "1"));
    world_->Partition(world_->FindHost("client"), server_);
    cut_off = host.fs.ReadFile("mnt/shared/a").status();
    world_->Heal(world_->FindHost("client"), server_);
  });
  EXPECT_FALSE(cut_off.ok());
  // The client's crash loses nothing on the mount; a new host reads what it wrote.
  world_->Crash(client);
  std::string read;
  RunOnClient("client-2", [&](Host& host) { read = host.fs.ReadFile("mnt/shared/a").value_or(""); });
  EXPECT_EQ(read, "1");
}

TEST_F(SharedMountTest, CallsFailWhileLatencyIsDeferred) {
  StartServer(904);
  Status deferred;
  RunOnClient("client", [&](Host& host) {
    host.fs.DeferLatency(true);
    deferred = host.fs.ReadFile("mnt/shared/a").status();
    host.fs.DeferLatency(false);
    (void)host.fs.TakeDeferredLatencyNs();
  });
  EXPECT_EQ(deferred.code(), StatusCode::kFailedPrecondition) << deferred.ToString();
}

// On a local disk, each mutation of a StorageDirectory is durable when it returns: a crash
// right after keeps it, including directories it created.
TEST(StorageDirectoryTest, MutationsAreDurableWhenTheyReturnOnALocalDisk) {
  World world(SeededOptions(905));
  const World::HostId id = world.AddHost("h", [](Host& host) {
    StorageDirectory dir(host.fs, "data/checkpoints");
    Check(dir.WriteAtomic("chk-1/a", "1"));
    Check(dir.WriteAtomic("chk-1/b", "2"));
    Check(dir.Rename("chk-1/b", "chk-2/deep/b"));
    Check(dir.Remove("chk-1/a"));
    EXPECT_EQ(dir.FullPath("x"), "data/checkpoints/x");
    EXPECT_EQ(StorageDirectory(host.fs, "").FullPath("/abs/x"), "/abs/x");
  });
  RunFor(world, nullptr);
  world.Crash(id);
  EXPECT_EQ(world.disk(id).ReadDurable("data/checkpoints/chk-2/deep/b").value_or(""), "2");
  EXPECT_FALSE(world.disk(id).ReadDurable("data/checkpoints/chk-1/a").ok());
  EXPECT_FALSE(world.disk(id).ReadDurable("data/checkpoints/chk-1/b").ok());
}

}  // namespace shared_mount_test
}  // namespace
}  // namespace sluice::sim
