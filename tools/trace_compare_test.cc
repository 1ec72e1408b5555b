#include "tools/trace_compare.h"

#include <gtest/gtest.h>

namespace sluice::tools {
namespace {
namespace trace_compare_test {

void AddAll(TraceRecorder& trace, const std::vector<std::string>& lines) {
  for (const std::string& line : lines) trace.Add(line);
}

TEST(TraceCompareTest, EqualTracesHaveNoDifference) {
  TraceRecorder a, b;
  AddAll(a, {"x", "y"});
  AddAll(b, {"x", "y"});
  EXPECT_FALSE(FirstDifference(a, b).has_value());
}

TEST(TraceCompareTest, ReportsTheFirstDifferingLineWithContextFromBothRuns) {
  TraceRecorder a, b;
  AddAll(a, {"l0", "l1", "l2", "l3", "l4 run1", "l5", "l6"});
  AddAll(b, {"l0", "l1", "l2", "l3", "l4 run2", "l5 other"});
  ASSERT_EQ(FirstDifference(a, b), 4u);
  const std::string report = DescribeDifference(a, b, 4, 2);
  EXPECT_NE(report.find("index 4"), std::string::npos) << report;
  EXPECT_NE(report.find("run 1 has 7 lines, run 2 has 6"), std::string::npos) << report;
  EXPECT_NE(report.find("[2] l2"), std::string::npos) << report;
  EXPECT_EQ(report.find("[1] l1"), std::string::npos) << report;  // only 2 lines of context
  EXPECT_NE(report.find("> [4] l4 run1"), std::string::npos) << report;
  EXPECT_NE(report.find("> [4] l4 run2"), std::string::npos) << report;
  EXPECT_NE(report.find("[5] l5 other"), std::string::npos) << report;
}

TEST(TraceCompareTest, APrefixDiffersWhereTheShorterTraceEnds) {
  TraceRecorder a, b;
  AddAll(a, {"x", "y", "z"});
  AddAll(b, {"x", "y"});
  ASSERT_EQ(FirstDifference(a, b), 2u);
  EXPECT_NE(DescribeDifference(a, b, 2, 3).find("(end of trace)"), std::string::npos);
}

TEST(TraceCompareTest, PastTheTextBoundOnlyHashesAreKept) {
  TraceRecorder a(4), b(4);
  AddAll(a, {"ab", "cd", "ef"});
  AddAll(b, {"ab", "cd", "eX"});
  EXPECT_EQ(a.Line(1), "cd");
  EXPECT_FALSE(a.Line(2).has_value());
  ASSERT_EQ(FirstDifference(a, b), 2u);
  EXPECT_NE(DescribeDifference(a, b, 2, 1).find("text not kept"), std::string::npos);
}

}  // namespace trace_compare_test
}  // namespace
}  // namespace sluice::tools
