#include "scenarios/invariants.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::scenarios {
namespace {

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

TEST(InvariantCheckerDeathTest, AnEventWithoutItsTypedFieldsIsADefect) {
  FencingChecker checker;
  EXPECT_DEATH(checker.Observe("taskmanager-1", "taskmanager.registered", "taskmanager-1 epoch 2",
                               {}),
               "carry their typed fields");
}

}  // namespace
}  // namespace sluice::scenarios
