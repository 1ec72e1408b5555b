#include "tools/fault_shrink.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tools/test_faults.h"

namespace sluice::tools {
namespace {
namespace fault_shrink_test {

using testing::Fault;

using scenarios::FaultRecord;

bool Has(const FaultSchedule& faults, const std::string& host) {
  return std::any_of(faults.begin(), faults.end(),
                     [&](const FaultRecord& fault) { return fault.host == host; });
}

FaultSchedule Numbered(int count) {
  FaultSchedule faults;
  for (int i = 0; i < count; ++i) {
    faults.push_back(Fault(100 * (i + 1), "crash", "h" + std::to_string(i)));
  }
  return faults;
}

TEST(FaultShrinkTest, DeltaDebuggingKeepsExactlyTheFaultsThatMatter) {
  // Fails only when both h3 and h11 are in the schedule.
  int calls = 0;
  const StillFails still_fails = [&](const FaultSchedule& faults) {
    ++calls;
    return Has(faults, "h3") && Has(faults, "h11");
  };
  ShrinkLimits limits;
  limits.end_ms = 100 * 16;
  const ShrinkResult result = ShrinkFaultSchedule(Numbered(16), limits, still_fails);
  ASSERT_EQ(result.faults.size(), 2u);
  EXPECT_EQ(result.faults[0].host, "h3");
  EXPECT_EQ(result.faults[1].host, "h11");
  EXPECT_FALSE(result.runs_bound_hit);
  EXPECT_EQ(result.runs, calls);
  EXPECT_LT(result.runs, 60);
}

TEST(FaultShrinkTest, EmptyScheduleWhenTheFailureNeedsNoFault) {
  const ShrinkResult result =
      ShrinkFaultSchedule(Numbered(5), {}, [](const FaultSchedule&) { return true; });
  EXPECT_TRUE(result.faults.empty());
  EXPECT_EQ(result.runs, 1);
}

TEST(FaultShrinkTest, MovesFaultsLaterButNotPastTheNextOne) {
  // Fails while h0 comes no later than 700 ms and h1 no later than 5000 ms.
  const StillFails still_fails = [](const FaultSchedule& faults) {
    if (faults.size() != 2) return false;
    return faults[0].at_ms <= 700 && faults[1].at_ms <= 5000;
  };
  ShrinkLimits limits;
  limits.end_ms = 3000;
  const FaultSchedule start = {Fault(100, "crash", "h0"), Fault(200, "restart", "h0")};
  const ShrinkResult result = ShrinkFaultSchedule(start, limits, still_fails);
  ASSERT_EQ(result.faults.size(), 2u);
  EXPECT_EQ(result.faults[1].at_ms, 3000);  // up to the run's end
  EXPECT_LE(result.faults[0].at_ms, 700);   // still failing
  EXPECT_GE(result.faults[0].at_ms, 690);   // within 10 binary-search steps of the edge
}

TEST(FaultShrinkTest, HalvesDurationsWhileItStillFails) {
  const StillFails still_fails = [](const FaultSchedule& faults) {
    return faults.size() == 1 && faults[0].duration_ms >= 100;
  };
  ShrinkLimits limits;
  limits.end_ms = 0;  // at_ms stays
  const ShrinkResult result =
      ShrinkFaultSchedule({Fault(0, "pause", "h", 1600)}, limits, still_fails);
  ASSERT_EQ(result.faults.size(), 1u);
  EXPECT_EQ(result.faults[0].duration_ms, 100);
}

TEST(FaultShrinkTest, StopsAtTheRunBoundAndSaysSo) {
  int calls = 0;
  const StillFails still_fails = [&](const FaultSchedule& faults) {
    ++calls;
    return Has(faults, "h3") && Has(faults, "h11");
  };
  ShrinkLimits limits;
  limits.runs_max = 5;
  const ShrinkResult result = ShrinkFaultSchedule(Numbered(16), limits, still_fails);
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(result.runs, 5);
  EXPECT_TRUE(result.runs_bound_hit);
  EXPECT_TRUE(Has(result.faults, "h3") && Has(result.faults, "h11"));
}

TEST(FailureKindTest, PrefixUpToTheFirstColon) {
  EXPECT_EQ(FailureKind("exactly once: duplicate 'a\t1'"), "exactly once");
  EXPECT_EQ(FailureKind("no checkpoint completed"), "no checkpoint completed");
  EXPECT_EQ(FailureKind("liveness\nmore: text"), "liveness");
  EXPECT_EQ(FailureKind(""), "");
}

}  // namespace fault_shrink_test
}  // namespace
}  // namespace sluice::tools
