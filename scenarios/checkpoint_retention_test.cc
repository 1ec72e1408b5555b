// Checkpoint retention (execution.checkpointing.num-retained): subsumed checkpoints are deleted
// from the checkpoint store, except the files a retained checkpoint still uses, and a failover
// after a deletion restores the retained checkpoint intact (scenario checkpoint-retention; the
// planted bug shared-state-discarded shows the scenario reaches the shared file).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenarios/wordcount_cluster.h"
#include "scenarios/wordcount_scenarios.h"
#include "simnet/sim_disk.h"

namespace sluice::scenarios {
namespace {
namespace checkpoint_retention_test {

std::string Input() {
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "line " + std::to_string(i % 97) + " of the input\n";
  return text;
}

// The checkpoint directories left on copy `copy` of the checkpoint store.
std::vector<std::string> CheckpointDirs(WordCountCluster& cluster, int copy) {
  const std::string root = WordCountCluster::kCheckpointCopyDirs[copy];
  auto [disk, path] =
      cluster.world().DiskAt(cluster.checkpoint_store(), root.substr(0, root.size() - 1));
  return disk == nullptr ? std::vector<std::string>() : disk->ListCurrent(path);
}

TEST(CheckpointRetentionTest, KeepsOnlyTheRetainedCheckpointsAndTheFilesTheyShare) {
  for (int retained : {1, 3}) {
    SCOPED_TRACE("num-retained " + std::to_string(retained) +
                 " (rerun: ctest -R CheckpointRetentionTest)");
    WordCountClusterOptions options;
    options.seed = 7;
    options.checkpoints_retained = retained;
    options.checkpoint_interval_ms = 100;
    options.source_records_per_second = 1500;
    options.split_weights = {1, 4};  // source 0 finishes early: its final state is shared
    WordCountCluster cluster(options, Input());
    cluster.Run(120 * 1000);
    ASSERT_TRUE(cluster.finished()) << cluster.failure();
    ASSERT_GT(cluster.checkpoints_completed(), retained + 5);
    for (int copy = 0; copy < 2; ++copy) {
      const std::vector<std::string> dirs = CheckpointDirs(cluster, copy);
      // The retained ones, the one holding the finished source's shared final state, and at
      // most one whose deletion had not run when the job finished.
      EXPECT_LE(static_cast<int>(dirs.size()), retained + 2)
          << "copy " << copy << ": " << ::testing::PrintToString(dirs);
      EXPECT_GE(static_cast<int>(dirs.size()), retained);
    }
  }
}

TEST(CheckpointRetentionTest, AFailoverAfterADeletionRestoresTheSharedState) {
  ScenarioOptions options;
  options.seed = 1;
  options.input_text = Input();
  const ScenarioResult clean = RunCheckpointRetention(options);
  EXPECT_TRUE(clean.pass) << clean.failure;
  EXPECT_GE(clean.restarts, 1) << "the nemesis crashed a TaskManager after a deletion";
  EXPECT_GT(clean.events.count("checkpoint.discarded"), 0u);

  options.plant_bug = "shared-state-discarded";
  const ScenarioResult buggy = RunCheckpointRetention(options);
  EXPECT_FALSE(buggy.pass) << "rerun: sluice sim run checkpoint-retention --seed 1 --plant-bug "
                              "shared-state-discarded";
  EXPECT_NE(buggy.failure.find("state of a completed checkpoint is gone"), std::string::npos)
      << buggy.failure;
}

}  // namespace checkpoint_retention_test
}  // namespace
}  // namespace sluice::scenarios
