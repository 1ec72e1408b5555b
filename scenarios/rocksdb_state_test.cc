// The rocksdb state backend in whole runs: incremental checkpoints upload only new SST files and
// retention deletes the shared files no retained checkpoint names (and no other); savepoints
// stay full snapshots that restore at another parallelism; the rocksdb-chaos scenario and its
// planted bug shared-sst-deleted-while-used.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "engine/base/checksum.h"
#include "engine/checkpoint/completed_checkpoint.h"
#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/wordcount_cluster.h"
#include "scenarios/wordcount_scenarios.h"
#include "scenarios/wordcount_tm_crash.h"
#include "engine/checkpoint/shared_state_registry.h"
#include "simnet/sim_disk.h"

namespace sluice::scenarios {
namespace {
namespace rocksdb_state_test {

std::string Input() {
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    text += "line " + std::to_string(i % 211) + " word" + std::to_string(i % 97) + " of the input\n";
  }
  return text;
}

WordCountClusterOptions RocksDbOptions(uint64_t seed) {
  WordCountClusterOptions options;
  options.seed = seed;
  options.checkpoint_interval_ms = 100;
  options.source_records_per_second = 1500;
  options.job_settings["state.backend.type"] = "rocksdb";
  options.job_settings["execution.checkpointing.incremental"] = "true";
  options.job_settings["state.backend.rocksdb.writebuffer.size"] = "2kb";
  options.job_settings["state.backend.rocksdb.compaction.level.target-file-size-base"] = "64kb";
  options.job_settings["state.backend.rocksdb.compaction.level.max-size-level-base"] = "256kb";
  return options;
}

// Paths (relative to the store's root, "checkpoints/shared/...") of the shared files on copy 0.
std::set<std::string> SharedFilesOnStore(WordCountCluster& cluster) {
  const std::string root = WordCountCluster::kCheckpointCopyDirs[0];  // "store/checkpoints/"
  auto [disk, path] = cluster.world().DiskAt(cluster.checkpoint_store(), root + "shared");
  std::set<std::string> files;
  if (disk == nullptr) return files;
  for (const std::string& instance : disk->ListCurrent(path)) {
    for (const std::string& file : disk->ListCurrent(path + "/" + instance)) {
      files.insert("checkpoints/shared/" + instance + "/" + file);
    }
  }
  return files;
}

// The newest completed checkpoint's metadata, read off copy 0 of the store's disk.
CompletedCheckpoint LatestCheckpoint(WordCountCluster& cluster) {
  const std::string root = WordCountCluster::kCheckpointCopyDirs[0];
  auto [disk, path] = cluster.world().DiskAt(cluster.checkpoint_store(), root.substr(0, root.size() - 1));
  CompletedCheckpoint latest;
  for (const std::string& name : disk->ListCurrent(path)) {
    const int64_t id = CheckpointIdOfDirectory(name);
    if (id <= latest.id) continue;
    // Its metadata file is named after the leadership that wrote it (_metadata-<epoch>).
    for (const std::string& file : disk->ListCurrent(path + "/" + name)) {
      if (file.rfind("_metadata", 0) != 0) continue;
      auto blob = disk->ReadCurrent(path + "/" + name + "/" + file);
      if (!blob.ok()) continue;
      auto payload = UnsealBlob(CompletedCheckpoint::kMetadataMagic, *blob, name);
      if (!payload.ok()) continue;
      auto decoded = CompletedCheckpoint::DecodeMetadata(*payload, name);
      if (decoded.ok()) latest = *decoded;
    }
  }
  return latest;
}

TEST(RocksDbStateTest, IncrementalCheckpointsShareFilesAndRetentionDeletesTheRest) {
  WordCountClusterOptions options = RocksDbOptions(3);
  options.checkpoints_retained = 1;
  WordCountCluster cluster(options, Input());
  cluster.Run(120 * 1000);
  ASSERT_TRUE(cluster.finished()) << cluster.failure()
                                  << " (rerun: ctest -R RocksDbStateTest)";
  ASSERT_GT(cluster.checkpoints_completed(), 8);
  const CompletedCheckpoint latest = LatestCheckpoint(cluster);
  ASSERT_GT(latest.id, 0);
  ASSERT_FALSE(latest.shared_files.empty()) << "the counting tasks' state is in shared SSTs";
  const std::set<std::string> on_store = SharedFilesOnStore(cluster);
  for (const std::string& file : latest.shared_files) {
    EXPECT_EQ(on_store.count(file), 1u) << file << " is named by checkpoint " << latest.id;
  }
  // Every other file left was uploaded for a checkpoint no discard has reached yet (at or
  // above the latest: one in flight when the job finished).
  for (const std::string& file : on_store) {
    if (latest.shared_files.count(file) != 0) continue;
    const int64_t uploaded_for = SharedFileCheckpointId(file.substr(file.rfind('/') + 1));
    EXPECT_GE(uploaded_for, latest.id) << file << " should have been deleted";
  }
}

TEST(RocksDbStateTest, ACheckpointUploadsLessThanItsFullSize) {
  ScenarioOptions options;
  options.seed = 2;
  options.input_text = Input();
  for (const auto& [key, value] : RocksDbOptions(2).job_settings) options.settings.Set(key, value);
  const ScenarioResult result = RunWordCountTmCrash(options);
  ASSERT_TRUE(result.pass) << result.failure << " (rerun: sluice sim run tm-crash --seed 2 "
                           << "-D state.backend.type=rocksdb -D "
                           << "execution.checkpointing.incremental=true)";
  int incremental = 0;
  for (const auto& checkpoint : result.checkpoints) {
    EXPECT_LE(checkpoint.incremental_bytes, checkpoint.full_bytes);
    if (checkpoint.incremental_bytes < checkpoint.full_bytes) ++incremental;
  }
  EXPECT_GT(incremental, 0) << "some checkpoint reused SST files uploaded before";
  EXPECT_GE(result.restarts, 1) << "a restore read the shared files back";
}

// State larger than memory: each counting subtask's RocksDB instance holds many times its
// memory (a 4 KB write buffer plus a 4 KB block cache), so reads go to SST files through a
// cache that holds a small share of them, flushes and compactions run all along, and a
// TaskManager crash restores the whole of it from incremental checkpoints. Exactly once.
TEST(RocksDbStateTest, StateManyTimesItsMemoryWorks) {
  constexpr int kParallelism = 2;
  constexpr int64_t kMemoryPerInstance = 4096 + 4096;
  std::string text;
  for (int line = 0; line < 16000; ++line) {  // 80,000 distinct words, each once, then again
    for (int w = 0; w < 5; ++w) text += "k" + std::to_string(line * 5 + w) + (w < 4 ? " " : "\n");
  }
  text += text;
  ScenarioOptions options;
  options.seed = 5;
  options.input_text = text;
  for (const auto& [key, value] : RocksDbOptions(5).job_settings) options.settings.Set(key, value);
  options.settings.Set("parallelism.default", std::to_string(kParallelism));
  options.settings.Set("state.backend.rocksdb.writebuffer.size", "4kb");
  options.settings.Set("state.backend.rocksdb.block.cache-size", "4kb");
  const ScenarioResult result = RunWordCountTmCrash(options);
  ASSERT_TRUE(result.pass) << result.failure << " (rerun: ctest -R StateManyTimesItsMemoryWorks)";
  EXPECT_GE(result.restarts, 1) << "a restore read the state back";
  int64_t largest = 0;
  for (const auto& checkpoint : result.checkpoints) largest = std::max(largest, checkpoint.full_bytes);
  EXPECT_GT(largest, 20 * kParallelism * kMemoryPerInstance)
      << "each instance's state is over 20 times its write buffer plus block cache";
}

TEST(RocksDbStateTest, ChaosOnRocksDbCatchesASharedFileDeletedWhileUsed) {
  ScenarioOptions options;
  options.input_text = Input();
  ExpectBugCaughtWithin(RunRocksDbChaos, "rocksdb-chaos", options,
                        "shared-sst-deleted-while-used", 60);
}

}  // namespace rocksdb_state_test
}  // namespace
}  // namespace sluice::scenarios
