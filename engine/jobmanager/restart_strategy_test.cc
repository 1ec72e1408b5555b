#include "engine/jobmanager/restart_strategy.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sluice {
namespace {
namespace restart_strategy_test {

using Decision = RestartBackoffTimeStrategy::Decision;

bool Restarts(RestartBackoffTimeStrategy& strategy, int64_t now_ms) {
  return strategy.OnFailure(now_ms).restart;
}

TEST(RestartStrategyTest, NoneNeverRestarts) {
  RestartStrategyConfig config;
  config.kind = RestartStrategyKind::kNone;
  RestartBackoffTimeStrategy strategy(config, nullptr);
  EXPECT_FALSE(Restarts(strategy, 0));
}

TEST(RestartStrategyTest, FixedDelayRestartsItsAttemptsThenGivesUp) {
  RestartBackoffTimeStrategy strategy(RestartStrategyConfig::FixedDelay(2, 300), nullptr);
  Decision first = strategy.OnFailure(0);
  EXPECT_TRUE(first.restart);
  EXPECT_EQ(first.delay_ms, 300);
  EXPECT_TRUE(Restarts(strategy, 1000 * 1000)) << "attempts never come back";
  EXPECT_FALSE(Restarts(strategy, 2000 * 1000));
}

// Flink's FailureRateRestartBackoffTimeStrategy: restart while at most max failures (this one
// included) lie within the interval; the window slides.
TEST(RestartStrategyTest, FailureRateCountsFailuresWithinTheSlidingInterval) {
  RestartStrategyConfig config;
  config.kind = RestartStrategyKind::kFailureRate;
  config.max_failures_per_interval = 2;
  config.failure_rate_interval_ms = 1000;
  config.delay_ms = 50;
  RestartBackoffTimeStrategy strategy(config, nullptr);
  EXPECT_TRUE(Restarts(strategy, 0));
  Decision second = strategy.OnFailure(400);
  EXPECT_TRUE(second.restart);
  EXPECT_EQ(second.delay_ms, 50);
  EXPECT_FALSE(Restarts(strategy, 900)) << "three failures within 1000 ms";

  RestartBackoffTimeStrategy sliding(config, nullptr);
  EXPECT_TRUE(Restarts(sliding, 0));
  EXPECT_TRUE(Restarts(sliding, 600));
  EXPECT_TRUE(Restarts(sliding, 1001)) << "the failure at 0 left the window";
  EXPECT_TRUE(Restarts(sliding, 1602)) << "and the one at 600";
  EXPECT_FALSE(Restarts(sliding, 2000)) << "1001, 1602 and 2000 lie within 1000 ms";
}

TEST(RestartStrategyTest, FailureRateNeverForgetsWhenTheBugIsPlanted) {
  RestartStrategyConfig config;
  config.kind = RestartStrategyKind::kFailureRate;
  config.max_failures_per_interval = 1;
  config.failure_rate_interval_ms = 1000;
  RestartBackoffTimeStrategy correct(config, nullptr);
  RestartBackoffTimeStrategy planted(
      config, nullptr, [](std::string_view bug) { return bug == "failure-rate-never-forgets"; });
  for (int64_t at : {0, 5000}) {
    EXPECT_TRUE(Restarts(correct, at)) << at;
  }
  EXPECT_TRUE(Restarts(planted, 0));
  EXPECT_FALSE(Restarts(planted, 5000)) << "the planted bug counts the failure of 5 s ago";
}

TEST(RestartStrategyTest, ExponentialDelayGrowsCapsAndResets) {
  RestartStrategyConfig config;
  config.kind = RestartStrategyKind::kExponentialDelay;
  config.initial_backoff_ms = 100;
  config.max_backoff_ms = 1000;
  config.backoff_multiplier = 2.0;
  config.reset_backoff_threshold_ms = 5000;
  config.jitter_factor = 0;
  config.attempts_before_reset_backoff = 6;
  RestartBackoffTimeStrategy strategy(config, nullptr);
  int64_t now = 0;
  std::vector<int64_t> delays;
  for (int i = 0; i < 6; ++i) {
    Decision decision = strategy.OnFailure(now);
    ASSERT_TRUE(decision.restart) << i;
    delays.push_back(decision.delay_ms);
    now += decision.delay_ms + 10;  // fails again 10 ms after each restart
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{100, 200, 400, 800, 1000, 1000}));
  EXPECT_FALSE(Restarts(strategy, now)) << "six restarts since the last reset";

  RestartBackoffTimeStrategy resetting(config, nullptr);
  EXPECT_EQ(resetting.OnFailure(0).delay_ms, 100);
  EXPECT_EQ(resetting.OnFailure(200).delay_ms, 200);
  EXPECT_EQ(resetting.OnFailure(400 + 5000).delay_ms, 100)
      << "ran 5 s (the threshold) past the restart due at 400";
}

TEST(RestartStrategyTest, ExponentialDelayJitterStaysWithinItsFactorAndReplays) {
  RestartStrategyConfig config;
  config.initial_backoff_ms = 1000;
  config.max_backoff_ms = 60 * 1000;
  config.backoff_multiplier = 1.5;
  config.jitter_factor = 0.1;
  std::set<int64_t> seen;
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    Random random(seed), again(seed);
    RestartBackoffTimeStrategy strategy(config, &random), replay(config, &again);
    Decision first = strategy.OnFailure(0);
    EXPECT_EQ(first.delay_ms, replay.OnFailure(0).delay_ms) << "seed " << seed;
    EXPECT_GE(first.delay_ms, 1000) << "never below the initial backoff";
    EXPECT_LE(first.delay_ms, 1100);
    Decision second = strategy.OnFailure(first.delay_ms + 1);
    EXPECT_GE(second.delay_ms, 1350) << "1500 ± 150";
    EXPECT_LE(second.delay_ms, 1650);
    seen.insert(second.delay_ms);
  }
  EXPECT_GT(seen.size(), 10u) << "the jitter varies with the seed";
}

}  // namespace restart_strategy_test
}  // namespace
}  // namespace sluice
