// Unaligned checkpoints (execution.checkpointing.unaligned.enabled; scenario
// unaligned-backpressure, planted bug unaligned-loses-in-flight): in-flight buffers are
// checkpointed and restored, and output stays exactly once.
#include <gtest/gtest.h>

#include <string>

#include "engine/config/core_options.h"
#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/wordcount_scenarios.h"

namespace sluice::scenarios {
namespace {
namespace unaligned_checkpoint_test {

std::string Input() {
  std::string text;
  for (int i = 0; i < 8000; ++i) {
    text += "the " + std::to_string(i % 211) + " quick " + std::to_string(i % 7) + " fox\n";
  }
  return text;
}

TEST(UnalignedCheckpointTest, InFlightBuffersAreCheckpointedAndRestoredExactlyOnce) {
  // Seeds 1..8 must pass, and some of them must restore in-flight data (the path the scenario
  // exists for; 26 of seeds 1..40 did on the CI input when written).
  ScenarioOptions options;
  options.input_text = Input();
  uint64_t persisted = 0;
  uint64_t restored = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    options.seed = seed;
    const ScenarioResult result = RunUnalignedBackpressure(options);
    ASSERT_TRUE(result.pass) << result.failure << " (rerun: sluice sim run "
                             << "unaligned-backpressure --seed " << seed << ")";
    persisted += EventCount(result, "checkpoint.in_flight");
    restored += EventCount(result, "task.restored_in_flight");
  }
  EXPECT_GT(persisted, 0u) << "barriers overtook queued buffers";
  EXPECT_GT(restored, 0u) << "restores read in-flight data";
}

TEST(UnalignedCheckpointTest, LosingTheOvertakenBuffersBreaksExactlyOnce) {
  ScenarioOptions options;
  options.input_text = Input();
  ExpectBugCaughtWithin(RunUnalignedBackpressure, "unaligned-backpressure", options,
                        "unaligned-loses-in-flight", 10);
}

TEST(UnalignedCheckpointTest, ARescaleOfAnUnalignedCheckpointFailsTheJobNamingWhy) {
  // rescale seed 2 rescales from a checkpoint that holds in-flight data: the JobManager refuses
  // it (CheckRestorable) and the job ends FAILED naming the reason, not in a restart loop.
  ScenarioOptions options;
  options.seed = 2;
  options.input_text = Input();
  options.settings.Set(CheckpointingUnaligned().key, "true");
  const ScenarioResult result = RunRescale(options);
  EXPECT_FALSE(result.pass);
  EXPECT_NE(result.failure.find("unaligned checkpoint holding in-flight data"), std::string::npos)
      << result.failure << " (rerun: sluice sim run rescale --seed 2 -D "
      << "execution.checkpointing.unaligned.enabled=true)";
}

}  // namespace unaligned_checkpoint_test
}  // namespace
}  // namespace sluice::scenarios
