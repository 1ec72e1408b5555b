// Region failover (jobmanager.execution.failover-strategy: region): a failed task restarts only
// its pipelined region, whose sources get back the splits they were assigned after the restored
// checkpoint (scenario region-failover; planted bug region-sources-not-reset).
#include <gtest/gtest.h>

#include <string>

#include "scenarios/wordcount_scenarios.h"

namespace sluice::scenarios {
namespace {
namespace region_failover_test {

ScenarioOptions Tokens(uint64_t seed) {
  ScenarioOptions options;
  options.seed = seed;
  for (int i = 0; i < 3000; ++i) {
    options.input_text += "line " + std::to_string(i % 89) + " of the input\n";
  }
  options.job = "tokens";
  return options;
}

// The tokens job: two sources, four sinks, two regions of three tasks.
constexpr int64_t kTasks = 6;

TEST(RegionFailoverTest, AFailedSourceRestartsOnlyItsRegion) {
  const ScenarioResult result = RunRegionFailover(Tokens(1));
  ASSERT_TRUE(result.pass) << result.failure << " (rerun: sluice sim run region-failover --seed 1)";
  int regions = 0;
  for (const FailoverRecord& failover : result.failovers) {
    EXPECT_TRUE(failover.tasks == kTasks / 2 || failover.tasks == kTasks) << failover.cause;
    regions += failover.tasks == kTasks / 2 ? 1 : 0;
  }
  EXPECT_GT(regions, 0) << "some failure restarted one region of the two";
}

TEST(RegionFailoverTest, TheFullStrategyRestartsEveryTask) {
  ScenarioOptions options = Tokens(1);
  options.settings.Set("jobmanager.execution.failover-strategy", "full");
  const ScenarioResult result = RunRegionFailover(options);
  ASSERT_TRUE(result.pass) << result.failure;
  ASSERT_FALSE(result.failovers.empty());
  for (const FailoverRecord& failover : result.failovers) EXPECT_EQ(failover.tasks, kTasks);
}

TEST(RegionFailoverTest, ARegionRestartedWithoutItsSplitsLosesRecords) {
  ScenarioOptions options = Tokens(10);
  options.plant_bug = "region-sources-not-reset";
  const ScenarioResult result = RunRegionFailover(options);
  EXPECT_FALSE(result.pass) << "rerun: sluice sim run region-failover --seed 10 --plant-bug "
                               "region-sources-not-reset";
  EXPECT_NE(result.failure.find("missing record"), std::string::npos) << result.failure;
}

}  // namespace region_failover_test
}  // namespace
}  // namespace sluice::scenarios
