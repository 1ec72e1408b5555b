#include "engine/jobmanager/autoscaler.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {
namespace autoscaler_test {

constexpr int64_t kSecond = 1'000'000'000;

AutoscalerOptions Options() {
  AutoscalerOptions options;
  options.stabilization_ns = 2 * kSecond;
  options.metrics_window_ns = 4 * kSecond;
  options.catch_up_ns = 10 * kSecond;
  options.max_parallelism = 16;
  return options;
}

// Reports every 0.5 s for `seconds` from `from_ns`: each of `subtasks` subtasks of `chain` takes
// in `rate` records per second in total, busy `busy` of the time; a source also falls behind by
// `lag_rate` records per second.
void Feed(Autoscaler& autoscaler, int chain, bool source, int subtasks, double rate, double busy,
          double lag_rate, int64_t from_ns, int seconds) {
  for (int64_t t = 0; t <= seconds * 2; ++t) {
    const int64_t elapsed = t * kSecond / 2;
    for (int s = 0; s < subtasks; ++s) {
      TaskTimes times;
      times.busy_ns = static_cast<int64_t>(static_cast<double>(elapsed) * busy);
      times.idle_ns = elapsed - times.busy_ns;
      times.records_in = static_cast<int64_t>(rate / subtasks * static_cast<double>(elapsed) / 1e9);
      times.records_lag =
          source ? static_cast<int64_t>(lag_rate / subtasks * static_cast<double>(elapsed) / 1e9)
                 : 0;
      autoscaler.OnReport(chain, s, 1, source, times, from_ns + elapsed);
    }
  }
}

TEST(AutoscalerTest, KeepsAParallelismWithinTheUtilizationBoundary) {
  Autoscaler autoscaler(Options());
  autoscaler.OnDeployed(4, 0);
  Feed(autoscaler, 0, true, 2, 1000, 0.3, 0, 0, 6);
  Feed(autoscaler, 1, false, 4, 5000, 0.6, 0, 0, 6);  // 0.6 is within 0.7 ± 0.3
  EXPECT_FALSE(autoscaler.Evaluate(6 * kSecond).has_value());
}

TEST(AutoscalerTest, ScalesUpWhenTheSourcesFallBehindAndDownWhenIdle) {
  Autoscaler up(Options());
  up.OnDeployed(2, 0);
  // Counting is busy all the time and the sources fall behind by as much again as they read: the
  // sources' target is 1000 read + 1000 lag growth + 6000 lagging / 10 s catch-up = 2600 records
  // per second, 2.6 times what they read; counting's true rate is its input: utilization 2.6,
  // p = ceil(2 × 2.6 / 0.7) = 8.
  Feed(up, 0, true, 2, 1000, 0.5, 1000, 0, 6);
  Feed(up, 1, false, 2, 5000, 1.0, 0, 0, 6);
  auto decision = up.Evaluate(6 * kSecond);
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->parallelism, 8);
  EXPECT_NE(decision->reason.find("chain 1"), std::string::npos) << decision->reason;

  Autoscaler down(Options());
  down.OnDeployed(8, 0);
  // 5 % busy: p = ceil(8 × 0.05 / 0.7) = 1, but at most 60 % down: ceil(8 × 0.4) = 4.
  Feed(down, 0, true, 2, 1000, 0.05, 0, 0, 6);
  Feed(down, 1, false, 8, 5000, 0.05, 0, 0, 6);
  decision = down.Evaluate(6 * kSecond);
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->parallelism, 4);
}

TEST(AutoscalerTest, WaitsForStabilizationAndAFullWindow) {
  Autoscaler autoscaler(Options());
  autoscaler.OnDeployed(2, 10 * kSecond);
  Feed(autoscaler, 0, true, 2, 1000, 0.5, 1000, 10 * kSecond, 1);
  Feed(autoscaler, 1, false, 2, 5000, 1.0, 0, 10 * kSecond, 1);
  EXPECT_FALSE(autoscaler.Evaluate(11 * kSecond).has_value()) << "stabilizing";
  EXPECT_FALSE(autoscaler.Evaluate(13 * kSecond).has_value()) << "a 1 s span of a 4 s window";
  autoscaler.OnDeployed(2, 0);  // a redeployment drops the reports
  EXPECT_FALSE(autoscaler.Evaluate(13 * kSecond).has_value());
}

TEST(AutoscalerTest, DecidesOnlyWhenEverySubtaskHasAFullWindow) {
  Autoscaler autoscaler(Options());
  autoscaler.OnDeployed(2, 0);
  Feed(autoscaler, 0, true, 2, 1000, 0.5, 1000, 0, 6);
  Feed(autoscaler, 1, false, 2, 5000, 1.0, 0, 0, 6);
  // A subtask of a new attempt (restarted) has one report only: no decision from the others.
  autoscaler.OnReport(1, 0, 2, false, TaskTimes{}, 6 * kSecond);
  EXPECT_FALSE(autoscaler.Evaluate(6 * kSecond).has_value());
}

}  // namespace autoscaler_test
}  // namespace
}  // namespace sluice
