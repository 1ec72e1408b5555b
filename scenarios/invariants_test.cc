#include "scenarios/invariants.h"

#include <gtest/gtest.h>

namespace sluice::scenarios {
namespace {

TEST(FallBackCheckerTest, CatchesARestoreOlderThanACommittedCheckpoint) {
  FallBackChecker checker;
  checker.Observe("job.deployed", "attempt 1000001 from checkpoint 0");
  checker.Observe("sink.committed", "part-0-1-a1000001");
  checker.Observe("sink.committed", "part-12-3-a1000001");
  checker.Observe("job.deployed", "attempt 1000002 from checkpoint 3");
  EXPECT_TRUE(checker.violation().empty()) << checker.violation();
  checker.Observe("job.deployed", "attempt 1000003 from checkpoint 2");
  EXPECT_EQ(checker.violation(),
            "deployed attempt 1000003 from checkpoint 2 after transaction part-12-3-a1000001 of "
            "checkpoint 3 was committed");
}

TEST(FallBackCheckerTest, LeavesADeposedLeadersDeploymentsToFencing) {
  FallBackChecker checker;
  checker.Observe("job.deployed", "attempt 2000001 from checkpoint 3");
  checker.Observe("sink.committed", "part-0-4-a2000001");
  checker.Observe("job.deployed", "attempt 1000002 from checkpoint 3");  // epoch 1: fenced
  EXPECT_TRUE(checker.violation().empty()) << checker.violation();
  checker.Observe("job.deployed", "attempt 3000001 from checkpoint 3");
  EXPECT_FALSE(checker.violation().empty());
}

TEST(FencingCheckerTest, CatchesADeploymentOfAnOlderEpoch) {
  FencingChecker checker;
  checker.Observe("taskmanager-1", "taskmanager.registered", "taskmanager-1 epoch 2");
  checker.Observe("taskmanager-1", "task.deployed", "0/0 attempt 2000001 epoch 2");
  checker.Observe("taskmanager-2", "task.deployed", "0/1 attempt 1000002 epoch 1");
  EXPECT_TRUE(checker.violation().empty()) << checker.violation();
  checker.Observe("taskmanager-1", "task.deployed", "0/1 attempt 1000002 epoch 1");
  EXPECT_NE(checker.violation().find("after registering with epoch 2"), std::string::npos)
      << checker.violation();
}

}  // namespace
}  // namespace sluice::scenarios
