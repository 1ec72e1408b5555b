#include "engine/config/restart_strategy_config.h"

#include <gtest/gtest.h>

#include "engine/config/core_options.h"

namespace sluice {
namespace {
namespace restart_strategy_config_test {

Configuration Settings(std::initializer_list<std::pair<const char*, const char*>> entries) {
  Configuration settings;
  for (const auto& [key, value] : entries) settings.Set(key, value);
  return settings;
}

TEST(RestartStrategyConfigTest, DefaultsAreFlinksWithCheckpointingOn) {
  auto config = RestartStrategyConfigFrom(Configuration());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->kind, RestartStrategyKind::kExponentialDelay);
  EXPECT_EQ(config->initial_backoff_ms, 1000);
  EXPECT_EQ(config->max_backoff_ms, 60 * 1000);
  EXPECT_EQ(config->backoff_multiplier, 1.5);
  EXPECT_EQ(config->reset_backoff_threshold_ms, 3600 * 1000);
  EXPECT_EQ(config->jitter_factor, 0.1);
  EXPECT_EQ(config->attempts_before_reset_backoff, 2147483647);

  auto fixed = RestartStrategyConfigFrom(Settings({{"restart-strategy.type", "fixeddelay"}}));
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(*fixed, RestartStrategyConfig::FixedDelay(1, 1000)) << "Flink: 1 attempt, 1 s";

  auto rate = RestartStrategyConfigFrom(Settings({{"restart-strategy.type", "failure-rate"}}));
  ASSERT_TRUE(rate.ok());
  EXPECT_EQ(rate->max_failures_per_interval, 1);
  EXPECT_EQ(rate->failure_rate_interval_ms, 60 * 1000);
  EXPECT_EQ(rate->delay_ms, 1000);

  for (const char* none : {"none", "off", "disable"}) {
    auto off = RestartStrategyConfigFrom(Settings({{"restart-strategy.type", none}}));
    ASSERT_TRUE(off.ok());
    EXPECT_EQ(off->kind, RestartStrategyKind::kNone) << none;
  }
}

TEST(RestartStrategyConfigTest, ReadsEveryKeyOfItsKind) {
  auto config = RestartStrategyConfigFrom(
      Settings({{"restart-strategy.type", "exponential-delay"},
                {"restart-strategy.exponential-delay.initial-backoff", "100ms"},
                {"restart-strategy.exponential-delay.max-backoff", "2 s"},
                {"restart-strategy.exponential-delay.backoff-multiplier", "2"},
                {"restart-strategy.exponential-delay.reset-backoff-threshold", "10s"},
                {"restart-strategy.exponential-delay.jitter-factor", "0.25"},
                {"restart-strategy.exponential-delay.attempts-before-reset-backoff", "7"}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->initial_backoff_ms, 100);
  EXPECT_EQ(config->max_backoff_ms, 2000);
  EXPECT_EQ(config->backoff_multiplier, 2.0);
  EXPECT_EQ(config->reset_backoff_threshold_ms, 10000);
  EXPECT_EQ(config->jitter_factor, 0.25);
  EXPECT_EQ(config->attempts_before_reset_backoff, 7);
  // Written back as settings, it reads back the same (what the simulator's scenarios rely on).
  auto again = RestartStrategyConfigFrom(RestartStrategySettings(*config));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *config);
  for (const RestartStrategyConfig& other :
       {RestartStrategyConfig::FixedDelay(20, 200), RestartStrategyConfig{}}) {
    auto back = RestartStrategyConfigFrom(RestartStrategySettings(other));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->kind, other.kind);
  }
}

TEST(RestartStrategyConfigTest, RejectsContradictionsNamingTheKeys) {
  auto inverted = RestartStrategyConfigFrom(
      Settings({{"restart-strategy.exponential-delay.initial-backoff", "2min"}}));
  ASSERT_FALSE(inverted.ok());
  EXPECT_NE(inverted.status().message().find("initial-backoff"), std::string::npos);
  auto flat = RestartStrategyConfigFrom(
      Settings({{"restart-strategy.exponential-delay.backoff-multiplier", "1.0"}}));
  ASSERT_FALSE(flat.ok());
  EXPECT_NE(flat.status().message().find("'restart-strategy.exponential-delay.backoff-multiplier'"),
            std::string::npos)
      << flat.status().message();
  auto jitter = RestartStrategyConfigFrom(
      Settings({{"restart-strategy.exponential-delay.jitter-factor", "1.5"}}));
  ASSERT_FALSE(jitter.ok());
  EXPECT_NE(jitter.status().message().find("outside [0, 1]"), std::string::npos)
      << jitter.status().message();
  EXPECT_FALSE(RestartStrategyConfigFrom(
                   Settings({{"restart-strategy.exponential-delay.jitter-factor", "nan"}}))
                   .ok());
  EXPECT_FALSE(RestartStrategyConfigFrom(Settings({{"restart-strategy.type", "sometimes"}})).ok());
  Configuration unrelated;
  unrelated.Set("restart-strategy.failure-rate.max-failures-per-interval", "0");
  EXPECT_FALSE(unrelated.Validate(CoreOptions()).ok()) << "at least one failure per interval";
}

}  // namespace restart_strategy_config_test
}  // namespace
}  // namespace sluice
