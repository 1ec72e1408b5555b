// Recovering completed checkpoints from a simulated checkpoint store with two disks, under the
// fall-back rule (engine/checkpoint/completed_checkpoint.h): an intact copy is used and the other
// repaired, a checkpoint with no intact copy left is data loss, and only a checkpoint written
// once (never notified or restored) may be skipped for an older one.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/checkpoint/replicated_file.h"
#include "engine/checkpoint/store.h"
#include "simnet/sim_disk.h"
#include "simnet/world.h"

namespace sluice {
namespace {
namespace checkpoint_recovery_test {

constexpr uint16_t kPort = 7000;
const StoreFence kFence{"jobmanager/leader", "1 "};

class CheckpointRecoveryTest : public ::testing::Test {
 protected:
  CheckpointRecoveryTest() {
    store_ = world_.AddHost("checkpoint-store", [](Host& host) {
      (void)RunStoreServer(host, StoreServerConfig{kPort, "store"});
    });
    world_.AddDisk(store_, std::string("store/") + kReplicaDir);
    world_.disk(store_).WriteDurable("store/jobmanager/leader", "1 jobmanager");
  }
  // Runs `body` with a client of the store; fails the test if it does not finish.
  void RunOnClient(std::function<void(StoreClient&)> body) {
    bool done = false;
    world_.AddHost("jobmanager-" + std::to_string(++clients_), [&](Host& host) {
      StoreClient store(host, Address{"checkpoint-store", kPort});
      body(store);
      done = true;
    });
    world_.RunUntil([&] { return done; }, world_.now_ns() + 60 * kNanosPerSecond);
    ASSERT_TRUE(done) << "client did not finish (seed 3)";
  }
  static CompletedCheckpoint Checkpoint(int64_t id) {
    CompletedCheckpoint checkpoint;
    checkpoint.id = id;
    checkpoint.state_paths[{0, 0}] = "checkpoints/chk-" + std::to_string(id) + "/0-0-a1";
    return checkpoint;
  }
  void Store(int64_t id) {
    RunOnClient([&](StoreClient& store) {
      Status stored = StoreCompletedCheckpoint(store, Checkpoint(id), kFence);
      ASSERT_TRUE(stored.ok()) << stored.ToString();
    });
  }
  // Flips a bit of copy `copy` of checkpoint `id`'s metadata.
  void Corrupt(int64_t id, int copy) {
    const std::string path = "store/" + CopyPath(CompletedCheckpoint::MetadataPath(id), copy);
    auto [disk, on_disk] = world_.DiskAt(store_, path);
    ASSERT_TRUE(disk->CorruptDurableByte(on_disk).ok()) << path;
  }
  Result<RecoveredCheckpoints> Recover(std::string* skipped) {
    Result<RecoveredCheckpoints> recovered = InternalError("not run");
    RunOnClient([&](StoreClient& store) { recovered = RecoverCheckpoints(store, skipped); });
    return recovered;
  }

  sim::World world_{sim::WorldOptions{.seed = 3}};
  sim::World::HostId store_ = 0;
  int clients_ = 0;
};

TEST_F(CheckpointRecoveryTest, BothCopiesIntactGiveTheNewestWithNothingToRepair) {
  Store(1);
  Store(2);
  std::string skipped;
  auto recovered = Recover(&skipped);
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  ASSERT_TRUE(recovered->latest.has_value());
  EXPECT_EQ(recovered->latest->id, 2);
  EXPECT_EQ(recovered->latest->state_paths, Checkpoint(2).state_paths);
  EXPECT_TRUE(recovered->copies_to_repair.empty());
  EXPECT_EQ(recovered->highest_id_seen, 2);
  EXPECT_TRUE(skipped.empty()) << skipped;
}

TEST_F(CheckpointRecoveryTest, ADamagedCopyIsReadFromTheOtherAndRepaired) {
  Store(1);
  Store(2);
  Corrupt(2, 0);
  std::string skipped;
  auto recovered = Recover(&skipped);
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->latest->id, 2);
  EXPECT_EQ(recovered->copies_to_repair, std::vector<int>{0});
  RunOnClient([&](StoreClient& store) {
    ASSERT_TRUE(RepairMetadataCopy(store, *recovered->latest, 0, kFence).ok());
  });
  auto again = Recover(&skipped);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->latest->id, 2);
  EXPECT_TRUE(again->copies_to_repair.empty()) << "the repair wrote an intact copy 0";
}

TEST_F(CheckpointRecoveryTest, NoIntactCopyOfTheNewestIsDataLossNeverAnOlderCheckpoint) {
  Store(1);
  Store(2);
  Corrupt(2, 0);
  Corrupt(2, 1);
  std::string skipped;
  auto recovered = Recover(&skipped);
  ASSERT_EQ(recovered.status().code(), StatusCode::kDataLoss) << recovered.status().ToString();
  EXPECT_NE(recovered.status().message().find("checkpoint 2 completed but no copy"),
            std::string::npos)
      << recovered.status().ToString();
  EXPECT_NE(recovered.status().message().find("replica/checkpoints/chk-2/_metadata"),
            std::string::npos)
      << "names both copies: " << recovered.status().ToString();
}

TEST_F(CheckpointRecoveryTest, ACheckpointWrittenOnceAndDamagedIsSkipped) {
  Store(1);
  // Checkpoint 2's metadata reached copy 0 only (its writer stepped down before copy 1), then
  // copy 0 was damaged: it was never notified or restored, so falling back to 1 is safe.
  RunOnClient([&](StoreClient& store) {
    ASSERT_TRUE(WriteCopy(store, CompletedCheckpoint::MetadataPath(2), 0,
                          CompletedCheckpoint::kMetadataMagic, Checkpoint(2).EncodeMetadata(),
                          true, &kFence)
                    .ok());
  });
  Corrupt(2, 0);
  std::string skipped;
  auto recovered = Recover(&skipped);
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->latest->id, 1);
  EXPECT_EQ(recovered->highest_id_seen, 2) << "new checkpoints are numbered past it";
  EXPECT_NE(skipped.find("chk-2/_metadata: written once and damaged"), std::string::npos)
      << skipped;
}

TEST_F(CheckpointRecoveryTest, ACopyWrittenOnceAndIntactIsUsedAndItsSecondCopyWritten) {
  RunOnClient([&](StoreClient& store) {
    ASSERT_TRUE(WriteCopy(store, CompletedCheckpoint::MetadataPath(1), 0,
                          CompletedCheckpoint::kMetadataMagic, Checkpoint(1).EncodeMetadata(),
                          true, &kFence)
                    .ok());
  });
  std::string skipped;
  auto recovered = Recover(&skipped);
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->latest->id, 1);
  EXPECT_EQ(recovered->copies_to_repair, std::vector<int>{1});
}

TEST_F(CheckpointRecoveryTest, ReadReplicatedNamesEveryDamagedCopy) {
  Store(1);
  Corrupt(1, 0);
  std::string damaged;
  Result<std::string> one_damaged = InternalError("not run");
  RunOnClient([&](StoreClient& store) {
    one_damaged = ReadReplicated(store, CompletedCheckpoint::MetadataPath(1),
                                 CompletedCheckpoint::kMetadataMagic, true, &damaged);
  });
  ASSERT_TRUE(one_damaged.ok()) << one_damaged.status().ToString();
  EXPECT_NE(damaged.find("checkpoints/chk-1/_metadata"), std::string::npos) << damaged;
  Corrupt(1, 1);
  Result<std::string> both_damaged = InternalError("not run");
  RunOnClient([&](StoreClient& store) {
    both_damaged = ReadReplicated(store, CompletedCheckpoint::MetadataPath(1),
                                  CompletedCheckpoint::kMetadataMagic);
  });
  EXPECT_EQ(both_damaged.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(both_damaged.status().message().find("no intact copy"), std::string::npos)
      << both_damaged.status().ToString();
}

}  // namespace checkpoint_recovery_test
}  // namespace
}  // namespace sluice
