#include "scenarios/invariants.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/rpc/control.h"

namespace sluice::scenarios {
namespace {
namespace invariants_test {

// The events as the JobManager and the sink record them: text plus typed fields.
void Deployed(FallBackChecker& checker, int64_t attempt, int64_t restored) {
  const EventField fields[] = {{"attempt", attempt}, {"restored_checkpoint", restored}};
  checker.Observe("job.deployed",
                  "attempt " + std::to_string(attempt) + " from checkpoint " +
                      std::to_string(restored),
                  fields);
}
void Committed(FallBackChecker& checker, const std::string& name, int64_t checkpoint) {
  const EventField fields[] = {{"checkpoint", checkpoint}};
  checker.Observe("sink.committed", name, fields);
}
void Fencing(FencingChecker& checker, const std::string& host, const std::string& category,
             const std::string& message, int64_t epoch) {
  const EventField fields[] = {{"epoch", epoch}};
  checker.Observe(host, category, message, fields);
}

TEST(FallBackCheckerTest, CatchesARestoreOlderThanACommittedCheckpoint) {
  FallBackChecker checker;
  Deployed(checker, 1000001, 0);
  Committed(checker, "part-0-1-a1000001", 1);
  Committed(checker, "part-12-3-a1000001", 3);
  Deployed(checker, 1000002, 3);
  EXPECT_TRUE(checker.violation().empty()) << checker.violation();
  Deployed(checker, 1000003, 2);
  EXPECT_EQ(checker.violation(),
            "deployed attempt 1000003 from checkpoint 2 after transaction part-12-3-a1000001 of "
            "checkpoint 3 was committed");
}

TEST(FallBackCheckerTest, LeavesADeposedLeadersDeploymentsToFencing) {
  FallBackChecker checker;
  Deployed(checker, 2000001, 3);
  Committed(checker, "part-0-4-a2000001", 4);
  Deployed(checker, 1000002, 3);  // epoch 1: fenced
  EXPECT_TRUE(checker.violation().empty()) << checker.violation();
  Deployed(checker, 3000001, 3);
  EXPECT_FALSE(checker.violation().empty());
}

TEST(FencingCheckerTest, CatchesADeploymentOfAnOlderEpoch) {
  FencingChecker checker;
  Fencing(checker, "taskmanager-1", "taskmanager.registered", "taskmanager-1 epoch 2", 2);
  Fencing(checker, "taskmanager-1", "task.deployed", "0/0 attempt 2000001 epoch 2", 2);
  Fencing(checker, "taskmanager-2", "task.deployed", "0/1 attempt 1000002 epoch 1", 1);
  EXPECT_TRUE(checker.violation().empty()) << checker.violation();
  Fencing(checker, "taskmanager-1", "task.deployed", "0/1 attempt 1000002 epoch 1", 1);
  EXPECT_NE(checker.violation().find("after registering with epoch 2"), std::string::npos)
      << checker.violation();
}

// The JobManager's "job.failover" and "job.deployed" events, as the JobScheduler records them.
void Failover(RestartStrategyChecker& checker, int64_t epoch, int64_t now_ms, bool restart,
              int64_t delay_ms) {
  const EventField fields[] = {{"epoch", epoch},
                               {"now_ms", now_ms},
                               {"restart", restart ? 1 : 0},
                               {"delay_ms", delay_ms},
                               {"tasks", 6}};
  checker.Observe("job.failover", "taskmanager-1 lost", fields, now_ms);
}
void Redeployed(RestartStrategyChecker& checker, int64_t epoch, int64_t deployment,
                int64_t now_ms) {
  const EventField fields[] = {{"attempt", epoch * kAttemptsPerEpoch + deployment},
                               {"restored_checkpoint", 0},
                               {"now_ms", now_ms},
                               {"moved", 2},
                               {"attempts", 1},
                               {"tasks", 6}};
  checker.Observe("job.deployed", "attempt", fields, now_ms);
}

RestartStrategyConfig FailureRate(int max, int64_t interval_ms, int64_t delay_ms) {
  RestartStrategyConfig config;
  config.kind = RestartStrategyKind::kFailureRate;
  config.max_failures_per_interval = max;
  config.failure_rate_interval_ms = interval_ms;
  config.delay_ms = delay_ms;
  return config;
}

TEST(RestartStrategyCheckerTest, AcceptsDecisionsThatFollowTheStrategy) {
  RestartStrategyChecker checker(FailureRate(1, 1000, 100));
  Redeployed(checker, 1, 1, 0);
  Failover(checker, 1, 500, true, 100);
  Redeployed(checker, 1, 2, 600);
  Failover(checker, 1, 2000, true, 100);  // the failure at 500 left the interval
  Redeployed(checker, 1, 3, 2100);
  Failover(checker, 1, 2500, false, 0);  // two within 1000 ms
  EXPECT_TRUE(checker.violation().empty()) << checker.violation();
  EXPECT_TRUE(checker.gave_up());
  ASSERT_EQ(checker.failovers().size(), 3u);
  EXPECT_EQ(checker.failovers()[0].moved, 2) << "filled in from the redeployment";
  EXPECT_EQ(checker.failovers()[2].restart, false);
  EXPECT_EQ(checker.failovers()[2].moved, -1) << "never redeployed";
  // A new leadership starts a fresh strategy.
  Failover(checker, 2, 2600, true, 100);
  EXPECT_TRUE(checker.violation().empty()) << checker.violation();
}

TEST(RestartStrategyCheckerTest, CatchesAStrategyThatGivesUpTooEarly) {
  RestartStrategyChecker checker(FailureRate(1, 1000, 100));
  Failover(checker, 1, 500, true, 100);
  Failover(checker, 1, 5000, false, 0);  // what failure-rate-never-forgets does
  EXPECT_NE(checker.violation().find("gave up, but failure-rate restarts"), std::string::npos)
      << checker.violation();
  EXPECT_FALSE(checker.gave_up());
}

TEST(RestartStrategyCheckerTest, CatchesARestartTheStrategyForbids) {
  RestartStrategyChecker checker(RestartStrategyConfig::FixedDelay(1, 200));
  Failover(checker, 1, 500, true, 200);
  Failover(checker, 1, 900, true, 200);
  EXPECT_NE(checker.violation().find("restarted, but fixed-delay gives up"), std::string::npos)
      << checker.violation();
}

TEST(RestartStrategyCheckerTest, CatchesAWrongDelayAndAnEarlyDeployment) {
  RestartStrategyChecker wrong_delay(RestartStrategyConfig::FixedDelay(3, 200));
  Failover(wrong_delay, 1, 500, true, 150);
  EXPECT_NE(wrong_delay.violation().find("restart delay 150 ms, but fixed-delay waits 200 ms"),
            std::string::npos)
      << wrong_delay.violation();

  RestartStrategyChecker early(RestartStrategyConfig::FixedDelay(3, 200));
  Failover(early, 1, 500, true, 200);
  Redeployed(early, 1, 2, 650);
  EXPECT_NE(early.violation().find("before the restart delay ended at 700 ms"), std::string::npos)
      << early.violation();

  RestartStrategyConfig exponential;
  exponential.initial_backoff_ms = 100;
  exponential.max_backoff_ms = 1000;
  exponential.backoff_multiplier = 2.0;
  exponential.jitter_factor = 0.1;
  RestartStrategyChecker backoff(exponential);
  Failover(backoff, 1, 0, true, 105);     // 100 ± 10, at least 100
  Failover(backoff, 1, 200, true, 190);   // 200 ± 20
  EXPECT_TRUE(backoff.violation().empty()) << backoff.violation();
  Failover(backoff, 1, 500, true, 300);   // 400 ± 40
  EXPECT_NE(backoff.violation().find("waits 360..440 ms"), std::string::npos)
      << backoff.violation();
}

// Region failover: regions that failed one after another are deployed together, after the later
// delay; a failure the strategy gives up on cancels the restart that was pending.
TEST(RestartStrategyCheckerTest, RegionsWaitForTheLaterDelayAndAGiveUpCancelsTheRestart) {
  RestartStrategyChecker regions(RestartStrategyConfig::FixedDelay(3, 200));
  Failover(regions, 1, 500, true, 200);
  Failover(regions, 1, 550, true, 200);
  Redeployed(regions, 1, 2, 700);
  EXPECT_NE(regions.violation().find("before the restart delay ended at 750 ms"),
            std::string::npos)
      << regions.violation();

  RestartStrategyChecker gave_up(RestartStrategyConfig::FixedDelay(1, 200));
  Failover(gave_up, 1, 500, true, 200);
  Failover(gave_up, 1, 550, false, 0);
  Redeployed(gave_up, 1, 2, 600);  // the final-commit deployment, 50 ms later
  EXPECT_TRUE(gave_up.violation().empty()) << gave_up.violation();
  EXPECT_TRUE(gave_up.gave_up());
}

TEST(InvariantCheckerDeathTest, AnEventWithoutItsTypedFieldsIsADefect) {
  FencingChecker checker;
  EXPECT_DEATH(checker.Observe("taskmanager-1", "taskmanager.registered", "taskmanager-1 epoch 2",
                               {}),
               "carry their typed fields");
}

}  // namespace invariants_test
}  // namespace
}  // namespace sluice::scenarios
