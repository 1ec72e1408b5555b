// Rescaling: a job redeployed at another parallelism restores its latest checkpoint with keyed
// state redistributed by key-group ranges and operator state dealt out exactly once (scenario
// rescale; planted bug rescale-drops-key-groups), and reactive mode rescales it as TaskManagers
// leave and join (scenario reactive).
#include <gtest/gtest.h>

#include <string>

#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/wordcount_scenarios.h"

namespace sluice::scenarios {
namespace {
namespace rescale_test {

ScenarioOptions WordCount(uint64_t seed) {
  ScenarioOptions options;
  options.seed = seed;
  for (int i = 0; i < 3000; ++i) {
    options.input_text += "line " + std::to_string(i % 89) + " of the input\n";
  }
  return options;
}

int Rescales(const ScenarioResult& result) {
  int rescales = 0;
  for (const FaultRecord& fault : result.faults) rescales += fault.kind == FaultKind::kRescale;
  return rescales;
}

// Seed 1 scales the job out from 1 to 5 and back in to 1: the last restore merges five
// subtasks' key groups into one, and the one source reading both input splits is split in two
// and merged again (its splits dealt out one by one).
TEST(RescaleTest, ARescaledRestoreKeepsEveryKeyGroup) {
  const ScenarioResult result = RunRescale(WordCount(1));
  ASSERT_TRUE(result.pass) << result.failure << " (rerun: sluice sim run rescale --seed 1)";
  EXPECT_EQ(Rescales(result), 2);
  ASSERT_FALSE(result.operators.empty());
  EXPECT_EQ(result.operators.front().name, "Source");
  EXPECT_EQ(result.operators.front().parallelism, 1) << "one reader for the two splits at first";
  EXPECT_GE(
      result.events.count("checkpoint.rescaled") ? result.events.at("checkpoint.rescaled") : 0, 1u)
      << "a JobManager restored a checkpoint taken at another parallelism";
}

// The same seed with one old subtask's key groups left unread: those words count from zero
// again and their counts reach the output twice.
TEST(RescaleTest, ARestoreThatDropsKeyGroupsIsCaught) {
  ScenarioOptions options = WordCount(1);
  options.plant_bug = "rescale-drops-key-groups";
  const ScenarioResult result = RunRescale(options);
  EXPECT_FALSE(result.pass)
      << "rerun: sluice sim run rescale --seed 1 --plant-bug rescale-drops-key-groups";
  EXPECT_NE(result.failure.find("duplicate record"), std::string::npos) << result.failure;
}

// A replayed schedule may only rescale to a parallelism the cluster can run the job at.
TEST(RescaleTest, AScheduleRescalingPastTheSlotsIsRefused) {
  ScenarioOptions options = WordCount(1);
  options.faults = std::vector<FaultRecord>{
      FaultRecord{.at_ms = 500, .kind = FaultKind::kRescale, .factor = 1000}};
  const ScenarioResult result = RunRescale(options);
  EXPECT_FALSE(result.pass);
  EXPECT_NE(result.failure.find("bad fault schedule: fault 1 (rescale): factor (the new "
                                "parallelism) must be one of the job's rescale targets: "
                                "1, 2, 3, 4, 5, 6"),
            std::string::npos)
      << result.failure;
}

// Seed 1: the job starts at parallelism 4 on 6 slots and goes to 6 before its first deployment;
// TaskManagers then leave and come back, and the job scales in and out again, each rescale after
// the first deployment restoring a checkpoint at the new parallelism.
TEST(ReactiveScenarioTest, TheJobFollowsTheSlotsAsTaskManagersLeaveAndJoin) {
  const ScenarioResult result = RunReactive(WordCount(1));
  ASSERT_TRUE(result.pass) << result.failure << " (rerun: sluice sim run reactive --seed 1)";
  EXPECT_GE(EventCount(result, "job.rescaling"), 3u);
  EXPECT_GE(EventCount(result, "checkpoint.rescaled"), 2u);
  EXPECT_EQ(result.config.at("scheduler_mode"), "reactive");
}

}  // namespace rescale_test
}  // namespace
}  // namespace sluice::scenarios
