// Local recovery (execution.state-recovery.from-local): tasks restored on the TaskManager they
// ran on read their local state copy, and only the copy of the checkpoint being restored
// (scenario local-recovery; planted bug local-copy-newer-than-restored).
#include <gtest/gtest.h>

#include <string>

#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/wordcount_scenarios.h"

namespace sluice::scenarios {
namespace {
namespace local_recovery_test {

std::string Input() {
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "line " + std::to_string(i % 89) + " of the input\n";
  return text;
}

TEST(LocalRecoveryTest, ARestoreOnTheSameTaskManagerReadsItsLocalCopy) {
  ScenarioOptions options;
  options.seed = 1;
  options.input_text = Input();
  const ScenarioResult result = RunLocalRecovery(options);
  ASSERT_TRUE(result.pass) << result.failure << " (rerun: sluice sim run local-recovery --seed 1)";
  int64_t local = 0;
  int64_t remote = 0;
  for (const FailoverRecord& failover : result.failovers) {
    local += failover.local_bytes;
    remote += failover.remote_bytes;
  }
  EXPECT_GT(local, 0) << "tasks kept on their TaskManager read their local copies";
  EXPECT_GT(remote, 0) << "tasks of the crashed TaskManager read checkpoint storage";
}

TEST(LocalRecoveryTest, ALocalCopyNewerThanTheRestoredCheckpointBreaksExactlyOnce) {
  ScenarioOptions options;
  options.input_text = Input();
  ExpectBugCaughtWithin(RunLocalRecovery, "local-recovery", options,
                        "local-copy-newer-than-restored", 10);  // seed 4 when written
}

}  // namespace local_recovery_test
}  // namespace
}  // namespace sluice::scenarios
