// Recovering completed checkpoints from a simulated checkpoint store with two disks and their
// pointers on the etcd model, under the fall-back rule (engine/checkpoint/completed_checkpoint.h):
// the newest pointer's checkpoint is the one; an intact copy of its metadata is used and the other
// repaired, no intact copy left is data loss; metadata without a pointer is never restored; a
// deposed leader cannot complete a checkpoint; retention deletes the pointers first.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/checkpoint/replicated_file.h"
#include "simnet/store_server.h"
#include "simnet/etcd_model.h"
#include "simnet/sim_disk.h"
#include "simnet/world.h"

namespace sluice {
namespace {
namespace checkpoint_recovery_test {

constexpr uint16_t kPort = 7000;
constexpr uint16_t kEtcdPort = 2379;
constexpr char kPrefix[] = "/sluice/test/";
constexpr char kLeaderKey[] = "/sluice/test/leader";

class CheckpointRecoveryTest : public ::testing::Test {
 protected:
  CheckpointRecoveryTest() {
    store_ = world_.AddHost("checkpoint-store", [](Host& host) {
      (void)RunStoreServer(host, StoreServerConfig{kPort, "store"});
    });
    world_.AddDisk(store_, std::string("store/") + kReplicaDir);
    world_.AddHost("etcd", [](Host& host) {
      (void)sim::RunEtcdModel(host, sim::EtcdModelConfig{kEtcdPort});
    });
    // A leadership: the leader key's revision is the fence.
    RunOnClient([&](StorageDirectory&, EtcdClient& etcd) {
      epoch_ = etcd.Put(kLeaderKey, "jobmanager").value_or(0);
    });
  }
  // Runs `body` with clients of the store and etcd; fails the test if it does not finish.
  void RunOnClient(std::function<void(StorageDirectory&, EtcdClient&)> body) {
    bool done = false;
    const sim::World::HostId client =
        world_.AddHost("jobmanager-" + std::to_string(++clients_), [&](Host& host) {
          StorageDirectory store(host.fs, "mnt/checkpoints");
          EtcdClient etcd(host, {Address{"etcd", kEtcdPort}}, kNanosPerSecond);
          body(store, etcd);
          done = true;
        });
    world_.MountShared(client, "mnt/checkpoints", Address{"checkpoint-store", kPort});
    world_.RunUntil([&] { return done; }, world_.now_ns() + 60 * kNanosPerSecond);
    ASSERT_TRUE(done) << "client did not finish (seed 3)";
  }
  CheckpointPointers Pointers(EtcdClient& etcd, int64_t epoch = 0) const {
    return CheckpointPointers{etcd, std::string(kPrefix) + "checkpoints/",
                              LeaderFence{kLeaderKey, epoch != 0 ? epoch : epoch_}};
  }
  static CompletedCheckpoint Checkpoint(int64_t id) {
    CompletedCheckpoint checkpoint;
    checkpoint.id = id;
    checkpoint.state_paths[{0, 0}] = "checkpoints/chk-" + std::to_string(id) + "/0-0-a1";
    return checkpoint;
  }
  void Store(int64_t id) {
    RunOnClient([&](StorageDirectory& store, EtcdClient& etcd) {
      Status stored = StoreCompletedCheckpoint(store, Pointers(etcd), Checkpoint(id));
      ASSERT_TRUE(stored.ok()) << stored.ToString();
    });
  }
  std::string MetadataPath(int64_t id) const { return CompletedCheckpoint::MetadataPath(id, epoch_); }
  // Flips a bit of copy `copy` of checkpoint `id`'s metadata.
  void Corrupt(int64_t id, int copy) {
    const std::string path = "store/" + CopyPath(MetadataPath(id), copy);
    auto [disk, on_disk] = world_.DiskAt(store_, path);
    ASSERT_TRUE(disk->CorruptDurableByte(on_disk).ok()) << path;
  }
  Result<RecoveredCheckpoints> Recover() {
    Result<RecoveredCheckpoints> recovered = InternalError("not run");
    RunOnClient([&](StorageDirectory& store, EtcdClient& etcd) {
      recovered = RecoverCheckpoints(store, Pointers(etcd));
    });
    return recovered;
  }

  sim::World world_{sim::WorldOptions{.seed = 3}};
  sim::World::HostId store_ = 0;
  int clients_ = 0;
  int64_t epoch_ = 0;
};

TEST_F(CheckpointRecoveryTest, BothCopiesIntactGiveTheNewestWithNothingToRepair) {
  ASSERT_GT(epoch_, 0);
  Store(1);
  Store(2);
  auto recovered = Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  ASSERT_TRUE(recovered->latest.has_value());
  EXPECT_EQ(recovered->latest->id, 2);
  EXPECT_EQ(recovered->latest->state_paths, Checkpoint(2).state_paths);
  EXPECT_EQ(recovered->latest_metadata_path, MetadataPath(2));
  EXPECT_TRUE(recovered->copies_to_repair.empty());
  EXPECT_EQ(recovered->highest_id_seen, 2);
}

TEST_F(CheckpointRecoveryTest, ADamagedCopyIsReadFromTheOtherAndRepaired) {
  Store(1);
  Store(2);
  Corrupt(2, 0);
  auto recovered = Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->latest->id, 2);
  EXPECT_EQ(recovered->copies_to_repair, std::vector<int>{0});
  RunOnClient([&](StorageDirectory& store, EtcdClient&) {
    ASSERT_TRUE(
        RepairMetadataCopy(store, *recovered->latest, recovered->latest_metadata_path, 0).ok());
  });
  auto again = Recover();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->latest->id, 2);
  EXPECT_TRUE(again->copies_to_repair.empty()) << "the repair wrote an intact copy 0";
}

TEST_F(CheckpointRecoveryTest, NoIntactCopyOfTheNewestIsDataLossNeverAnOlderCheckpoint) {
  Store(1);
  Store(2);
  Corrupt(2, 0);
  Corrupt(2, 1);
  auto recovered = Recover();
  ASSERT_EQ(recovered.status().code(), StatusCode::kDataLoss) << recovered.status().ToString();
  EXPECT_NE(recovered.status().message().find("checkpoint 2 completed but no copy"),
            std::string::npos)
      << recovered.status().ToString();
  EXPECT_NE(recovered.status().message().find("replica/checkpoints/chk-2/_metadata-"),
            std::string::npos)
      << "names both copies: " << recovered.status().ToString();
}

TEST_F(CheckpointRecoveryTest, MetadataWithoutAPointerIsNeverRestored) {
  Store(1);
  // Checkpoint 2's metadata is durable, both copies, but its writer stepped down before the
  // pointer: never complete, never notified, so it is not restored; new checkpoints are numbered
  // past its directory.
  RunOnClient([&](StorageDirectory& store, EtcdClient&) {
    ASSERT_TRUE(WriteReplicated(store, MetadataPath(2), CompletedCheckpoint::kMetadataMagic,
                                Checkpoint(2).EncodeMetadata())
                    .ok());
  });
  auto recovered = Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->latest->id, 1);
  EXPECT_EQ(recovered->highest_id_seen, 2) << "new checkpoints are numbered past it";
}

TEST_F(CheckpointRecoveryTest, ADeposedLeaderCannotCompleteACheckpoint) {
  Store(1);
  const int64_t old_epoch = epoch_;
  // A newer leadership writes the leader key.
  RunOnClient([&](StorageDirectory&, EtcdClient& etcd) {
    epoch_ = etcd.Put(kLeaderKey, "jobmanager-2").value_or(0);
  });
  ASSERT_GT(epoch_, old_epoch);
  Status stale;
  RunOnClient([&](StorageDirectory& store, EtcdClient& etcd) {
    stale = StoreCompletedCheckpoint(store, Pointers(etcd, old_epoch), Checkpoint(2));
  });
  EXPECT_EQ(stale.code(), StatusCode::kFailedPrecondition) << stale.ToString();
  auto recovered = Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->latest->id, 1);
  // Its metadata, written under its own epoch's name, is not the file a newer pointer would name.
  Store(2);
  recovered = Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->latest->id, 2);
  EXPECT_EQ(recovered->latest_metadata_path, MetadataPath(2));
  EXPECT_NE(MetadataPath(2), CompletedCheckpoint::MetadataPath(2, old_epoch));
}

TEST_F(CheckpointRecoveryTest, RetentionDeletesPointersThenFilesAndOnlyUnderTheFence) {
  Store(1);
  Store(2);
  Result<int64_t> stale = InternalError("not run"), deleted = InternalError("not run");
  RunOnClient([&](StorageDirectory& store, EtcdClient& etcd) {
    stale = DiscardCheckpointsBelow(store, Pointers(etcd, epoch_ - 1), 2, {});
    deleted = DiscardCheckpointsBelow(store, Pointers(etcd), 2, {});
  });
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 2) << "checkpoint 1's metadata, both copies";
  Result<EtcdRangeResult> pointers = InternalError("not run");
  RunOnClient([&](StorageDirectory&, EtcdClient& etcd) {
    pointers = etcd.GetPrefix(std::string(kPrefix) + "checkpoints/");
  });
  ASSERT_TRUE(pointers.ok());
  ASSERT_EQ(pointers->kvs.size(), 1u);
  EXPECT_EQ(pointers->kvs[0].value, MetadataPath(2));
}

TEST_F(CheckpointRecoveryTest, APointerThatNamesNoMetadataIsDataLoss) {
  Store(1);
  RunOnClient([&](StorageDirectory&, EtcdClient& etcd) {
    ASSERT_TRUE(etcd.Put(Pointers(etcd).KeyOf(2), "elsewhere/_metadata").ok());
  });
  auto recovered = Recover();
  EXPECT_EQ(recovered.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(recovered.status().message().find("names no checkpoint"), std::string::npos)
      << recovered.status().ToString();
}

TEST_F(CheckpointRecoveryTest, ReadReplicatedNamesEveryDamagedCopy) {
  Store(1);
  Corrupt(1, 0);
  std::string damaged;
  Result<std::string> one_damaged = InternalError("not run");
  RunOnClient([&](StorageDirectory& store, EtcdClient&) {
    one_damaged = ReadReplicated(store, MetadataPath(1),
                                 CompletedCheckpoint::kMetadataMagic, true, &damaged);
  });
  ASSERT_TRUE(one_damaged.ok()) << one_damaged.status().ToString();
  EXPECT_NE(damaged.find("checkpoints/chk-1/_metadata"), std::string::npos) << damaged;
  Corrupt(1, 1);
  Result<std::string> both_damaged = InternalError("not run");
  RunOnClient([&](StorageDirectory& store, EtcdClient&) {
    both_damaged = ReadReplicated(store, MetadataPath(1),
                                  CompletedCheckpoint::kMetadataMagic);
  });
  EXPECT_EQ(both_damaged.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(both_damaged.status().message().find("no intact copy"), std::string::npos)
      << both_damaged.status().ToString();
}

}  // namespace checkpoint_recovery_test
}  // namespace
}  // namespace sluice
