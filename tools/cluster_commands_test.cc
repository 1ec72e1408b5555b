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

TEST(LatestElectionTest, TakesTheHighestEpochOverAllLogs) {
  const std::string jm1 =
      "[t] jobmanager-1 info jobmanager.elected: jobmanager-1 epoch 1\n"
      "[t] jobmanager-1 info checkpoint.completed: 1\n";
  const std::string jm1_replacement =
      "[t] jobmanager-1 info jobmanager.elected: jobmanager-1 epoch 3\n";
  const std::string jm2 =
      "[t] jobmanager-2 info jobmanager.elected: jobmanager-2 epoch 2\n"
      "[t] jobmanager-2 warning jobmanager.leadership_lost: jobmanager-2 epoch 2: taken over\n";
  const std::optional<Election> latest = LatestElectionInLogText({jm1, jm2, jm1_replacement});
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->holder, "jobmanager-1");
  EXPECT_EQ(latest->epoch, 3);

  const std::optional<Election> lone =
      LatestElectionInLogText({"[t] jobmanager info jobmanager.elected: jobmanager epoch 7"});
  ASSERT_TRUE(lone.has_value());
  EXPECT_EQ(lone->holder, "jobmanager");
  EXPECT_EQ(lone->epoch, 7);
}

TEST(LatestElectionTest, IgnoresOtherAndMalformedLines) {
  EXPECT_EQ(LatestElectionInLogText({}), std::nullopt);
  EXPECT_EQ(LatestElectionInLogText({"[t] jobmanager-1 info jobmanager.started: epoch 1\n"}),
            std::nullopt);
  const std::string malformed =
      "[t] jm info jobmanager.elected: jobmanager-1 epoch \n"  // cut short
      "[t] jm info jobmanager.elected: epoch 4\n"              // no holder
      "[t] jm info jobmanager.elected: jobmanager-2 epoch x\n";
  EXPECT_EQ(LatestElectionInLogText({malformed}), std::nullopt);
}

}  // namespace
}  // namespace sluice::tools
