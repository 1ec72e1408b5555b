#include "tools/cluster_commands.h"

#include <gtest/gtest.h>

#include "tools/log_scan.h"

namespace sluice::tools {
namespace {

TEST(HalfwayLineBoundaryTest, SplitsAfterANewlineNearTheMiddle) {
  EXPECT_EQ(HalfwayLineBoundary(""), 0u);
  EXPECT_EQ(HalfwayLineBoundary("a\nb\n"), 2u);
  EXPECT_EQ(HalfwayLineBoundary("aaaa\nb\n"), 5u);
  EXPECT_EQ(HalfwayLineBoundary("no newline"), 10u);
  EXPECT_EQ(HalfwayLineBoundary("one line\n"), 9u);  // part-1 is empty
  const std::string text = "l1\nl2\nl3\nl4\n";
  const size_t split = HalfwayLineBoundary(text);
  EXPECT_EQ(text[split - 1], '\n');
  EXPECT_EQ(split, 6u);
}

TEST(SourceRecordsTest, SumsTheLargestCountPerSubtask) {
  const std::string tm1 =
      "[t] taskmanager-1 info source.progress: subtask=0 records=10\n"
      "[t] taskmanager-1 info source.progress: subtask=0 records=25\n"
      "[t] taskmanager-1 info task.running: x records=999\n";
  const std::string tm2 = "[t] taskmanager-2 info source.progress: subtask=1 records=7";
  EXPECT_EQ(SourceRecordsFromLogText({tm1, tm2}), 32);
  EXPECT_EQ(SourceRecordsFromLogText({"[t] tm info task.running: go\n"}), std::nullopt);
}

TEST(SourceRecordsTest, ReadsSourcePositionAcrossAttempts) {
  const std::string tm1 =
      "[t] taskmanager-1 info source.position: chain0[0]@a0 lines=100\n"
      "[t] taskmanager-1 info source.position: chain0[1]@a0 lines=80\n";
  const std::string tm2 = "[t] taskmanager-2 info source.position: chain0[0]@a1 lines=140\n";
  EXPECT_EQ(SourceRecordsFromLogText({tm1, tm2}), 220);
}

TEST(RunningTasksInLogTest, CountsStartedMinusEnded) {
  const std::string log =
      "[t] tm info task.running: chain0[0]@a1\n"
      "[t] tm info task.running: chain1[0]@a1\n"
      "[t] tm info task.running: chain1[2]@a1\n"
      "[t] tm info task.finished: chain0[0]@a1\n"
      "[t] tm warning task.failed: chain1[0]@a1: UNAVAILABLE: x\n";
  EXPECT_EQ(RunningTasksInLog(log), 1);
  EXPECT_EQ(RunningTasksInLog(""), 0);
}

}  // namespace
}  // namespace sluice::tools
