// The job autoscaler in the simulator (scenario autoscale): records cost simulated CPU time, the
// input rate steps up and down, and the job rescales out and back in, exactly once throughout.
#include <gtest/gtest.h>

#include <string>

#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/wordcount_scenarios.h"

namespace sluice::scenarios {
namespace {
namespace autoscale_test {

std::string Input() {
  std::string text;
  for (int i = 0; i < 7000; ++i) {
    text += "a " + std::to_string(i % 301) + " b " + std::to_string(i % 17) + " c d e\n";
  }
  return text;
}

TEST(AutoscaleTest, TheJobScalesOutForTheHighRateAndBackInAfterIt) {
  ScenarioOptions options;
  options.input_text = Input();
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    options.seed = seed;
    const ScenarioResult result = RunAutoscale(options);
    ASSERT_TRUE(result.pass) << result.failure << " (rerun: sluice sim run autoscale --seed "
                             << seed << ")";
    // Out when the sources fall behind, in once the rate drops: at least two rescales.
    EXPECT_GE(EventCount(result, "autoscaler.decision"), 2u) << "seed " << seed;
    EXPECT_GE(EventCount(result, "job.rescaling"), 2u) << "seed " << seed;
    EXPECT_GE(EventCount(result, "checkpoint.rescaled"), 2u)
        << "seed " << seed << ": each rescale restores state at the new parallelism";
  }
}

}  // namespace autoscale_test
}  // namespace
}  // namespace sluice::scenarios
