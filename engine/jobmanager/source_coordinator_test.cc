#include "engine/jobmanager/source_coordinator.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "engine/graph/split_enumerators.h"
#include "engine/jobmanager/checkpoint_coordinator.h"

namespace sluice {
namespace {
namespace source_coordinator_test {

using Splits = std::vector<std::string>;

// Source chain 0 ("Files", parallelism 2, on demand) over files a..e, and source chain 2
// ("Generator", parallelism 2, owned) over splits g0..g2.
SourceCoordinator TwoSources(std::function<bool(std::string_view)> planted = nullptr) {
  SourceCoordinator sources({{0, 0, "Files", 2, OnDemandSplitEnumeratorFactory()},
                             {2, 5, "Generator", 2, OwnedSplitEnumeratorFactory()}},
                            std::move(planted));
  EXPECT_TRUE(sources.SetDiscovered(0, {"a", "b", "c", "d", "e"}).ok());
  EXPECT_TRUE(sources.SetDiscovered(2, {"g0", "g1", "g2"}).ok());
  return sources;
}

// "first:split,split[,done]" per answer, answers separated by " | " (each to its own task).
std::string Show(const Result<std::vector<SourceCoordinator::Assignment>>& answers) {
  if (!answers.ok()) return answers.status().ToString();
  std::string text;
  for (const SourceCoordinator::Assignment& assignment : *answers) {
    if (!text.empty()) text += " | ";
    text +=
        std::to_string(assignment.task.second) + "@" + std::to_string(assignment.first_index) + ":";
    for (size_t i = 0; i < assignment.splits.size(); ++i) {
      text += (i > 0 ? "," : "") + assignment.splits[i];
    }
    text += assignment.no_more_splits ? ",done" : "";
  }
  return text;
}

TEST(SourceCoordinatorTest, OnDemandHandsOneSplitPerRequestUntilNoneAreLeft) {
  SourceCoordinator sources = TwoSources();
  ASSERT_TRUE(sources.OnDeployed(nullptr).ok());
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 1}, 0)), "1@0:a");
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 0}, 0)), "0@0:b");
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 1}, 1)), "1@1:c");  // the fast subtask reads more
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 1}, 2)), "1@2:d");
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 0}, 1)), "0@1:e");
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 1}, 3)), "1@3:,done");
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 0}, 2)), "0@2:,done");
}

TEST(SourceCoordinatorTest, OwnedGivesEachSubtaskItsSplitsAtOnce) {
  SourceCoordinator sources = TwoSources();
  ASSERT_TRUE(sources.OnDeployed(nullptr).ok());
  EXPECT_EQ(Show(sources.OnSplitRequest({2, 1}, 0)), "1@0:g1,done");
  EXPECT_EQ(Show(sources.OnSplitRequest({2, 0}, 0)), "0@0:g0,g2,done");
}

TEST(SourceCoordinatorTest, RequestsFromOtherTasksAreRejected) {
  SourceCoordinator sources = TwoSources();
  ASSERT_TRUE(sources.OnDeployed(nullptr).ok());
  EXPECT_EQ(sources.OnSplitRequest({1, 0}, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sources.OnSplitRequest({0, 2}, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sources.OnSplitRequest({0, -1}, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(SourceCoordinatorTest, ARestoreContinuesFromTheSnapshotAtTheTrigger) {
  SourceCoordinator sources = TwoSources();
  ASSERT_TRUE(sources.OnDeployed(nullptr).ok());
  ASSERT_EQ(Show(sources.OnSplitRequest({0, 0}, 0)), "0@0:a");
  ASSERT_EQ(Show(sources.OnSplitRequest({2, 0}, 0)), "0@0:g0,g2,done");
  CompletedCheckpoint checkpoint;
  checkpoint.id = 7;
  checkpoint.enumerator_states = sources.SnapshotEnumerators(7);
  sources.OnAcknowledged(7, {0, 0}, 1);
  sources.OnAcknowledged(7, {0, 1}, 0);
  // Assigned after the trigger: in the restored subtask's snapshot neither (it was taken at the
  // barrier, after this) nor lost (the enumerator's state still has it).
  ASSERT_EQ(Show(sources.OnSplitRequest({0, 1}, 0)), "1@0:b");

  // The metadata round trip keeps the states.
  auto decoded = CompletedCheckpoint::DecodeMetadata(checkpoint.EncodeMetadata(), "metadata");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_TRUE(sources.OnDeployed(&decoded.value()).ok());
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 1}, 0)), "1@0:b");  // numbering restarts per attempt
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 0}, 0)), "0@0:c");
  EXPECT_EQ(Show(sources.OnSplitRequest({2, 1}, 0)), "1@0:g1,done");
  EXPECT_EQ(Show(sources.OnSplitRequest({2, 0}, 0)), "0@0:,done");  // g0, g2: in its snapshot
}

TEST(SourceCoordinatorTest, PlantedBugStartsOverFromTheDiscoveredSplits) {
  SourceCoordinator sources =
      TwoSources([](std::string_view bug) { return bug == "enumerator-state-not-restored"; });
  ASSERT_TRUE(sources.OnDeployed(nullptr).ok());
  ASSERT_EQ(Show(sources.OnSplitRequest({0, 0}, 0)), "0@0:a");
  CompletedCheckpoint checkpoint;
  checkpoint.id = 1;
  checkpoint.enumerator_states = sources.SnapshotEnumerators(1);
  ASSERT_TRUE(sources.OnDeployed(&checkpoint).ok());
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 1}, 0)), "1@0:a");  // read twice after the restore
}

TEST(SourceCoordinatorTest, RequestsWaitForTheSplitsToBeDiscovered) {
  SourceCoordinator sources({{0, 0, "Files", 2, OnDemandSplitEnumeratorFactory()}});
  ASSERT_TRUE(sources.OnDeployed(nullptr).ok());
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 1}, 0)), "");
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 0}, 0)), "");
  // A checkpoint before discovery holds no state for the source: its restore starts over.
  CompletedCheckpoint checkpoint;
  checkpoint.id = 1;
  checkpoint.enumerator_states = sources.SnapshotEnumerators(1);
  EXPECT_TRUE(checkpoint.enumerator_states.empty());
  EXPECT_EQ(Show(sources.SetDiscovered(0, {"a", "b", "c"})), "1@0:a | 0@0:b");
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 0}, 1)), "0@1:c");
  ASSERT_TRUE(sources.OnDeployed(&checkpoint).ok());
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 0}, 0)), "0@0:a");
}

TEST(SourceCoordinatorTest, MalformedStateIsDataLoss) {
  SourceCoordinator sources = TwoSources();
  CompletedCheckpoint checkpoint;
  checkpoint.id = 3;
  checkpoint.enumerator_states[0] = std::string("\x00", 1);  // no split
  checkpoint.enumerator_states[2] = "\x05";                  // five splits announced, none there
  const Status malformed = sources.OnDeployed(&checkpoint);
  EXPECT_EQ(malformed.code(), StatusCode::kDataLoss);
  EXPECT_NE(malformed.ToString().find("owned split enumerator"), std::string::npos)
      << malformed.ToString();
}

TEST(SourceCoordinatorDeathTest, ARequestThatMissedAnAssignmentIsAProtocolViolation) {
  SourceCoordinator sources = TwoSources();
  ASSERT_TRUE(sources.OnDeployed(nullptr).ok());
  ASSERT_EQ(Show(sources.OnSplitRequest({0, 0}, 0)), "0@0:a");
  EXPECT_DEATH((void)sources.OnSplitRequest({0, 0}, 0),
               "asks for splits only after receiving every split assigned to it");
}

TEST(SourceCoordinatorDeathTest, ASnapshotWithoutASplitAssignedBeforeTheTriggerIsCaught) {
  SourceCoordinator sources = TwoSources();
  ASSERT_TRUE(sources.OnDeployed(nullptr).ok());
  ASSERT_EQ(Show(sources.OnSplitRequest({0, 0}, 0)), "0@0:a");
  sources.SnapshotEnumerators(4);
  sources.OnAcknowledged(3, {0, 0}, 0);  // another checkpoint's acknowledgement: not judged
  EXPECT_DEATH(sources.OnAcknowledged(4, {0, 0}, 0),
               "snapshot holds exactly the splits assigned to it before the checkpoint triggered");
}

TEST(SourceCoordinatorTest, ACompletedCheckpointHoldsTheEnumeratorsAtItsTrigger) {
  SourceCoordinator sources = TwoSources();
  ASSERT_TRUE(sources.OnDeployed(nullptr).ok());
  CheckpointCoordinator checkpoints(CheckpointCoordinator::Options{100, 1000, nullptr, &sources});
  checkpoints.OnDeployed({{{0, 0}, true}, {{0, 1}, true}, {{2, 0}, true}, {{2, 1}, true}}, 0);
  for (const auto& task : std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {2, 0}, {2, 1}}) {
    checkpoints.OnTaskRunning(task);
  }
  ASSERT_EQ(Show(sources.OnSplitRequest({0, 0}, 0)), "0@0:a");
  auto triggered = checkpoints.OnTick(100);
  ASSERT_EQ(triggered.size(), 1u);
  ASSERT_EQ(Show(sources.OnSplitRequest({0, 1}, 0)), "1@0:b");  // after the trigger
  CheckpointCoordinator::Commands done;
  for (const auto& task : std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {2, 0}, {2, 1}}) {
    sources.OnAcknowledged(1, task, task == std::pair<int, int>{0, 0} ? 1 : 0);
    done = checkpoints.OnAcknowledged(task, 1, "state", 100, 150);
  }
  ASSERT_EQ(done.size(), 1u);
  ASSERT_EQ(done[0].kind, CheckpointCoordinator::CommandKind::kStore);
  const auto& states = done[0].checkpoint.enumerator_states;
  ASSERT_EQ(states.size(), 2u);
  auto restore = OnDemandSplitEnumeratorFactory()(EnumeratorStart{2, nullptr, &states.at(0)});
  ASSERT_TRUE(restore.ok());
  Splits got;
  while (!(*restore)->HandleSplitRequest(0, &got)) {
  }
  EXPECT_EQ(got, (Splits{"b", "c", "d", "e"}));
}

// Region failover: a source subtask restarted alone gets back, at its next request, the splits it
// was assigned after the restored checkpoint; the other subtask runs on, untouched.
TEST(SourceCoordinatorTest, AResetSubtaskGetsBackTheSplitsAssignedAfterTheCheckpoint) {
  SourceCoordinator sources = TwoSources();
  ASSERT_TRUE(sources.OnDeployed(nullptr).ok());
  ASSERT_EQ(Show(sources.OnSplitRequest({0, 0}, 0)), "0@0:a");
  ASSERT_EQ(Show(sources.OnSplitRequest({2, 0}, 0)), "0@0:g0,g2,done");
  sources.SnapshotEnumerators(1);  // subtask 0 holds a (and g0, g2) at checkpoint 1
  ASSERT_EQ(Show(sources.OnSplitRequest({0, 0}, 1)), "0@1:b");
  ASSERT_EQ(Show(sources.OnSplitRequest({0, 1}, 0)), "1@0:c");
  sources.OnCheckpointCompleted(1);
  ASSERT_EQ(Show(sources.OnSplitRequest({0, 0}, 2)), "0@2:d");
  CompletedCheckpoint checkpoint;
  checkpoint.id = 1;
  sources.OnSubtasksReset({{0, 0}, {2, 0}}, &checkpoint);
  // Subtask 0 counts from zero again and reads b and d again (first); c stays subtask 1's.
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 0}, 0)), "0@0:b");
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 1}, 1)), "1@1:d");
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 0}, 1)), "0@1:e");
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 0}, 2)), "0@2:,done");
  // The generator's splits were all assigned before the checkpoint: nothing comes back.
  EXPECT_EQ(Show(sources.OnSplitRequest({2, 0}, 0)), "0@0:,done");
}

TEST(SourceCoordinatorTest, AResetBeforeAnyCheckpointReturnsEverySplitOfTheSubtask) {
  SourceCoordinator sources = TwoSources();
  ASSERT_TRUE(sources.OnDeployed(nullptr).ok());
  ASSERT_EQ(Show(sources.OnSplitRequest({2, 0}, 0)), "0@0:g0,g2,done");
  ASSERT_EQ(Show(sources.OnSplitRequest({2, 1}, 0)), "1@0:g1,done");
  sources.OnSubtasksReset({{2, 0}}, nullptr);
  EXPECT_EQ(Show(sources.OnSplitRequest({2, 0}, 0)), "0@0:g0,g2,done") << "its own, in order";
}

TEST(SourceCoordinatorTest, PlantedRegionSourcesNotResetLosesTheLaterSplits) {
  SourceCoordinator sources =
      TwoSources([](std::string_view bug) { return bug == "region-sources-not-reset"; });
  ASSERT_TRUE(sources.OnDeployed(nullptr).ok());
  ASSERT_EQ(Show(sources.OnSplitRequest({0, 0}, 0)), "0@0:a");
  sources.OnSubtasksReset({{0, 0}}, nullptr);
  EXPECT_EQ(Show(sources.OnSplitRequest({0, 0}, 0)), "0@0:b") << "a is never read again";
}

}  // namespace source_coordinator_test
}  // namespace
}  // namespace sluice
