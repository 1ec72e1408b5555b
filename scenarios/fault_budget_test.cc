// The fault budget as FaultApplier::BudgetExceeded judges a schedule.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenarios/fault_applier.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {
namespace {
namespace fault_budget_test {

class FaultBudgetTest : public ::testing::Test {
 protected:
  std::string Judge(const std::vector<FaultRecord>& faults) {
    return FaultApplier(cluster_).BudgetExceeded(faults);
  }
  WordCountCluster cluster_{WordCountClusterOptions{}, "a b\nc d\n"};
};

FaultRecord Corrupt(const std::string& host, const std::string& prefix) {
  return {.at_ms = 100, .kind = FaultKind::kDiskCorruption, .host = host, .peer = prefix};
}

TEST_F(FaultBudgetTest, OneCheckpointDiskAndEverythingTransientIsWithin) {
  EXPECT_EQ(Judge({Corrupt("checkpoint-store", "store/checkpoints/"),
                   Corrupt("checkpoint-store", "store/checkpoints/chk-2/"),
                   {.at_ms = 5, .kind = FaultKind::kCrash, .host = "output-store"},
                   {.at_ms = 7, .kind = FaultKind::kRebootWipe, .host = "taskmanager-1"},
                   {.at_ms = 9, .kind = FaultKind::kDiskIoError, .host = "checkpoint-store", .factor = 1}}),
            "");
  EXPECT_EQ(Judge({Corrupt("checkpoint-store", "store/replica/checkpoints/"),
                   Corrupt("checkpoint-store", "store/replica/")}),
            "");
}

TEST_F(FaultBudgetTest, BothCheckpointDisksAreBeyond) {
  const std::string why = Judge({Corrupt("checkpoint-store", "store/checkpoints/"),
                                 Corrupt("checkpoint-store", "store/replica/checkpoints/")});
  EXPECT_NE(why.find("hit both disks"), std::string::npos) << why;
  EXPECT_NE(why.find("fault 1"), std::string::npos) << why;
  EXPECT_NE(why.find("fault 2"), std::string::npos) << why;
}

TEST_F(FaultBudgetTest, DataKeptOnceIsBeyond) {
  EXPECT_NE(Judge({Corrupt("output-store", "")}), "");
  EXPECT_NE(Judge({Corrupt("checkpoint-store", "store/jobmanager/")}), "");
  EXPECT_NE(Judge({{.at_ms = 1, .kind = FaultKind::kRebootWipe, .host = "input-store"}}), "");
}

}  // namespace fault_budget_test
}  // namespace
}  // namespace sluice::scenarios
