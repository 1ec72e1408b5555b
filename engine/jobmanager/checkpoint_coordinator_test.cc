#include "engine/jobmanager/checkpoint_coordinator.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace sluice {
namespace {
namespace checkpoint_coordinator_test {

using Kind = CheckpointCoordinator::CommandKind;
using Commands = CheckpointCoordinator::Commands;
using TaskId = CheckpointCoordinator::TaskId;

constexpr int64_t kInterval = 100;
constexpr int64_t kTimeout = 1000;

const TaskId kSource{0, 0};
const TaskId kSink{1, 0};

CheckpointCoordinator::Options Options(std::set<std::string> planted = {}) {
  return {kInterval, kTimeout,
          [planted](std::string_view bug) { return planted.count(std::string(bug)) != 0; }};
}

// "trigger 1 [0/0]", "store 1 {0/0=a,1/0=b}", "notify 1", "expired 1".
std::vector<std::string> Show(const Commands& commands) {
  std::vector<std::string> shown;
  for (const auto& c : commands) {
    std::string text;
    switch (c.kind) {
      case Kind::kTrigger:
        text = "trigger " + std::to_string(c.checkpoint_id) + " [";
        for (const auto& [chain, subtask] : c.tasks) {
          text += std::to_string(chain) + "/" + std::to_string(subtask) + " ";
        }
        text += "]";
        if (c.savepoint) text += c.terminate ? " savepoint stop" : " savepoint";
        break;
      case Kind::kSavepoint:
        text = "savepoint " + std::to_string(c.checkpoint_id) + (c.terminate ? " stop" : "");
        EXPECT_TRUE(c.checkpoint.is_savepoint);
        break;
      case Kind::kStore:
        text = "store " + std::to_string(c.checkpoint_id) + " {";
        for (const auto& [task, path] : c.checkpoint.state_paths) {
          text += std::to_string(task.first) + "/" + std::to_string(task.second) + "=" + path + " ";
        }
        text += "}";
        EXPECT_EQ(c.checkpoint.id, c.checkpoint_id);
        break;
      case Kind::kNotify:
        text = "notify " + std::to_string(c.checkpoint_id);
        break;
      case Kind::kExpired:
        text = "expired " + std::to_string(c.checkpoint_id);
        break;
      case Kind::kAborted:
        text = "aborted " + std::to_string(c.checkpoint_id);
        break;
      case Kind::kDiscard:
        text = "discard <" + std::to_string(c.checkpoint_id) + " keep {";
        for (const std::string& path : c.keep) text += path + " ";
        text += "}";
        if (!c.keep_shared.empty()) {
          text += " shared {";
          for (const std::string& path : c.keep_shared) text += path + " ";
          text += "}";
        }
        break;
    }
    shown.push_back(text);
  }
  return shown;
}

using Shown = std::vector<std::string>;

// A coordinator with a source and a sink deployed at time 0, both running.
CheckpointCoordinator Running(CheckpointCoordinator::Options options = Options()) {
  CheckpointCoordinator coordinator(std::move(options));
  coordinator.OnDeployed({{kSource, true}, {kSink, false}}, 0);
  coordinator.OnTaskRunning(kSource);
  coordinator.OnTaskRunning(kSink);
  return coordinator;
}

TEST(CheckpointCoordinatorTest, TriggersTheSourcesOnceEveryTaskRunsAndTheIntervalPassed) {
  CheckpointCoordinator coordinator(Options());
  EXPECT_EQ(coordinator.NextDeadlineNs(), INT64_MAX) << "nothing is deployed";
  coordinator.OnDeployed({{kSource, true}, {kSink, false}}, 0);
  EXPECT_EQ(coordinator.NextDeadlineNs(), kInterval);
  EXPECT_TRUE(coordinator.OnTick(kInterval - 1).empty());
  coordinator.OnTaskRunning(kSource);
  EXPECT_TRUE(coordinator.OnTick(kInterval).empty()) << "the sink is not running yet";
  EXPECT_EQ(coordinator.NextDeadlineNs(), 2 * kInterval) << "tried again one interval later";
  coordinator.OnTaskRunning(kSink);
  EXPECT_EQ(Show(coordinator.OnTick(2 * kInterval)), (Shown{"trigger 1 [0/0 ]"}));
  EXPECT_TRUE(coordinator.OnTick(3 * kInterval).empty()) << "one checkpoint at a time";
  EXPECT_EQ(coordinator.NextDeadlineNs(), 2 * kInterval + kTimeout);
}

TEST(CheckpointCoordinatorTest, CompletesWhenEveryTaskAcknowledgedThenNotifiesOnceStored) {
  CheckpointCoordinator coordinator = Running();
  ASSERT_EQ(Show(coordinator.OnTick(kInterval)), (Shown{"trigger 1 [0/0 ]"}));
  EXPECT_TRUE(coordinator.OnAcknowledged(kSource, 1, "a", 100, 110).empty());
  EXPECT_TRUE(coordinator.OnAcknowledged(kSource, 1, "a", 100, 111).empty()) << "a repeat";
  EXPECT_TRUE(coordinator.OnAcknowledged(kSink, 7, "x", 100, 112).empty()) << "not the pending one";
  EXPECT_EQ(Show(coordinator.OnAcknowledged(kSink, 1, "b", 100, 120)),
            (Shown{"store 1 {0/0=a 1/0=b }"}));
  EXPECT_EQ(coordinator.latest(), nullptr) << "not complete before its metadata is durable";
  EXPECT_EQ(Show(coordinator.OnStored(1)), (Shown{"notify 1"}));
  ASSERT_NE(coordinator.latest(), nullptr);
  EXPECT_EQ(coordinator.latest()->id, 1);
  EXPECT_EQ(coordinator.NextDeadlineNs(), 2 * kInterval)
      << "the next one an interval after the last trigger, as Flink's periodic trigger";
  EXPECT_EQ(Show(coordinator.OnTick(2 * kInterval)), (Shown{"trigger 2 [0/0 ]"}));
}

// A savepoint triggers at once (neither the interval nor the concurrency limit holds it back),
// completes as a checkpoint and then asks for its copy, before its notification.
TEST(CheckpointCoordinatorTest, ARequestedSavepointTriggersAtOnceAndAsksForItsCopy) {
  CheckpointCoordinator coordinator = Running();
  ASSERT_EQ(Show(coordinator.OnTick(kInterval)), (Shown{"trigger 1 [0/0 ]"}));
  coordinator.RequestSavepoint(/*terminate=*/true, kInterval + 5);
  EXPECT_EQ(coordinator.NextDeadlineNs(), kInterval + 5);
  EXPECT_EQ(Show(coordinator.OnTick(kInterval + 5)), (Shown{"trigger 2 [0/0 ] savepoint stop"}))
      << "checkpoint 1 is pending and the limit is one";
  EXPECT_TRUE(coordinator.InFlight(2));
  coordinator.OnAcknowledged(kSource, 1, "a1", 10, kInterval + 6);
  EXPECT_EQ(Show(coordinator.OnAcknowledged(kSink, 1, "b1", 10, kInterval + 7)),
            (Shown{"store 1 {0/0=a1 1/0=b1 }"}));
  EXPECT_EQ(Show(coordinator.OnStored(1)), (Shown{"notify 1"}));
  coordinator.OnAcknowledged(kSource, 2, "a2", 10, kInterval + 8);
  EXPECT_EQ(Show(coordinator.OnAcknowledged(kSink, 2, "b2", 10, kInterval + 9)),
            (Shown{"store 2 {0/0=a2 1/0=b2 }"}));
  EXPECT_EQ(Show(coordinator.OnStored(2)),
            (Shown{"savepoint 2 stop", "notify 2", "discard <2 keep {a2 b2 }"}))
      << "the copy is asked for before the checkpoint can be discarded";
  EXPECT_TRUE(coordinator.latest()->is_savepoint);
  EXPECT_FALSE(coordinator.InFlight(2));
  EXPECT_EQ(Show(coordinator.OnTick(2 * kInterval + 5)), (Shown{"trigger 3 [0/0 ]"}))
      << "periodic checkpoints go on, an interval after the last trigger";
}

TEST(CheckpointCoordinatorTest, AFailoverDropsAPendingSavepoint) {
  CheckpointCoordinator coordinator = Running();
  coordinator.RequestSavepoint(/*terminate=*/false, 5);
  EXPECT_EQ(Show(coordinator.OnTick(5)), (Shown{"trigger 1 [0/0 ] savepoint"}));
  coordinator.OnAttemptEnded();
  EXPECT_FALSE(coordinator.InFlight(1)) << "its requester learns it failed";
}

TEST(CheckpointCoordinatorTest, AFinishedTaskStandsInWithItsFinalStateForEveryLaterCheckpoint) {
  CheckpointCoordinator coordinator = Running();
  coordinator.OnTick(kInterval);
  coordinator.OnAcknowledged(kSource, 1, "a1", 100, 110);
  EXPECT_TRUE(coordinator.OnTaskFinished(kSource, 115).empty()) << "the sink still owes one";
  EXPECT_EQ(Show(coordinator.OnAcknowledged(kSink, 1, "b1", 100, 120)),
            (Shown{"store 1 {0/0=a1 1/0=b1 }"}));
  coordinator.OnStored(1);
  // The source finished: checkpoint 2 triggers nobody, holds its final state, and waits for the
  // sink, whose own finish completes it.
  EXPECT_EQ(Show(coordinator.OnTick(220)), (Shown{"trigger 2 []"}));
  EXPECT_EQ(Show(coordinator.OnAcknowledged(kSink, 2, "b2", 100, 230)),
            (Shown{"store 2 {0/0=a1 1/0=b2 }"}));
}

// Flink's full state size and checkpointed data size: a finished task's final state, written for
// an earlier checkpoint, counts in the full size of every later one but not in its increment.
TEST(CheckpointCoordinatorTest, ACheckpointKnowsItsFullAndIncrementalSize) {
  CheckpointCoordinator coordinator = Running();
  coordinator.OnTick(kInterval);
  coordinator.OnAcknowledged(kSource, 1, "a1", 300, 110);
  coordinator.OnTaskFinished(kSource, 115);
  auto stored = coordinator.OnAcknowledged(kSink, 1, "b1", 50, 120);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].checkpoint.full_bytes, 350);
  EXPECT_EQ(stored[0].checkpoint.incremental_bytes, 350);
  coordinator.OnStored(1);
  coordinator.OnTick(220);
  stored = coordinator.OnAcknowledged(kSink, 2, "b2", 70, 230);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].checkpoint.full_bytes, 370) << "the source's 300 bytes, named again";
  EXPECT_EQ(stored[0].checkpoint.incremental_bytes, 70);
}

TEST(CheckpointCoordinatorTest, AFinishedTaskCompletesThePendingCheckpoint) {
  CheckpointCoordinator coordinator = Running();
  coordinator.OnTick(kInterval);
  coordinator.OnAcknowledged(kSource, 1, "a1", 100, 110);
  coordinator.OnAcknowledged(kSink, 1, "b1", 100, 111);
  coordinator.OnStored(1);
  coordinator.OnTick(211);  // checkpoint 2
  coordinator.OnAcknowledged(kSource, 2, "a2", 100, 215);
  EXPECT_EQ(Show(coordinator.OnTaskFinished(kSource, 216)), Shown{})
      << "it acknowledged already; the sink still owes";
  EXPECT_EQ(Show(coordinator.OnAcknowledged(kSink, 2, "b2", 100, 220)),
            (Shown{"store 2 {0/0=a2 1/0=b2 }"}));
  coordinator.OnStored(2);
  EXPECT_EQ(Show(coordinator.OnTick(320)), (Shown{"trigger 3 []"}));
  EXPECT_EQ(Show(coordinator.OnTaskFinished(kSink, 330)), (Shown{"store 3 {0/0=a2 1/0=b2 }"}))
      << "the sink's final state is its last acknowledged one; the source's stays";
}

TEST(CheckpointCoordinatorTest, ALateCheckpointExpiresAndNothingTriggersUntilTheNextDeployment) {
  CheckpointCoordinator coordinator = Running();
  coordinator.OnTick(kInterval);
  coordinator.OnAcknowledged(kSource, 1, "a", 100, 110);
  EXPECT_TRUE(coordinator.OnTick(kInterval + kTimeout - 1).empty());
  EXPECT_EQ(Show(coordinator.OnTick(kInterval + kTimeout)), (Shown{"expired 1"}));
  coordinator.OnAttemptEnded();
  EXPECT_EQ(coordinator.NextDeadlineNs(), INT64_MAX);
  EXPECT_TRUE(coordinator.OnTick(5000).empty());
  EXPECT_TRUE(coordinator.OnAcknowledged(kSink, 1, "b", 100, 5001).empty()) << "it expired";
  coordinator.OnDeployed({{kSource, true}, {kSink, false}}, 6000);
  coordinator.OnTaskRunning(kSource);
  coordinator.OnTaskRunning(kSink);
  EXPECT_EQ(Show(coordinator.OnTick(6000 + kInterval)), (Shown{"trigger 2 [0/0 ]"}))
      << "ids are never reused";
}

TEST(CheckpointCoordinatorTest, AFailoverWhileTheMetadataIsStoredStillCompletesButDoesNotNotify) {
  CheckpointCoordinator coordinator = Running();
  coordinator.OnTick(kInterval);
  coordinator.OnAcknowledged(kSource, 1, "a", 100, 110);
  ASSERT_EQ(Show(coordinator.OnAcknowledged(kSink, 1, "b", 100, 120)).size(), 1u);
  coordinator.OnAttemptEnded();
  EXPECT_TRUE(coordinator.OnStored(1).empty()) << "the next deployment restores it instead";
  ASSERT_NE(coordinator.latest(), nullptr);
  EXPECT_EQ(coordinator.latest()->id, 1);
}

TEST(CheckpointCoordinatorTest, RecoveryContinuesAboveEveryIdSeen) {
  CheckpointCoordinator coordinator(Options());
  CompletedCheckpoint latest;
  latest.id = 4;
  latest.state_paths[kSource] = "a4";
  coordinator.Recover(9, latest);  // 5..8 were triggered by an earlier leader, never completed
  EXPECT_EQ(coordinator.latest()->id, 4);
  coordinator.OnDeployed({{kSource, true}}, 0);
  coordinator.OnTaskRunning(kSource);
  EXPECT_EQ(Show(coordinator.OnTick(kInterval)), (Shown{"trigger 9 [0/0 ]"}));
}

// The planted bugs of the checkpoint protocol each break one rule above; the scenarios catch them
// (scenarios/planted_bugs.cc), this shows what each does to the commands.
TEST(CheckpointCoordinatorTest, PlantedNotifyBeforeMetadataDurableNotifiesBeforeTheStore) {
  CheckpointCoordinator coordinator = Running(Options({"notify-before-metadata-durable"}));
  coordinator.OnTick(kInterval);
  coordinator.OnAcknowledged(kSource, 1, "a", 100, 110);
  EXPECT_EQ(Show(coordinator.OnAcknowledged(kSink, 1, "b", 100, 120)),
            (Shown{"notify 1", "store 1 {0/0=a 1/0=b }"}));
  EXPECT_TRUE(coordinator.OnStored(1).empty()) << "notified once";
}

TEST(CheckpointCoordinatorTest, PlantedRestoreLatestTriggeredMakesAPendingCheckpointTheLatest) {
  CheckpointCoordinator coordinator = Running(Options({"restore-latest-triggered"}));
  coordinator.OnTick(kInterval);
  coordinator.OnAcknowledged(kSource, 1, "a", 100, 110);
  coordinator.OnAttemptEnded();
  ASSERT_NE(coordinator.latest(), nullptr);
  EXPECT_EQ(coordinator.latest()->id, 1);
  CheckpointCoordinator correct = Running();
  correct.OnTick(kInterval);
  correct.OnAcknowledged(kSource, 1, "a", 100, 110);
  correct.OnAttemptEnded();
  EXPECT_EQ(correct.latest(), nullptr);
}

TEST(CheckpointCoordinatorTest, FallBackToPreviousNeedsAPreviousCheckpoint) {
  CheckpointCoordinator coordinator = Running();
  EXPECT_FALSE(coordinator.FallBackToPrevious());
  for (int64_t id = 1; id <= 2; ++id) {
    coordinator.OnTick(id * 1000);
    coordinator.OnAcknowledged(kSource, id, "a", 100, id * 1000 + 1);
    coordinator.OnAcknowledged(kSink, id, "b", 100, id * 1000 + 2);
    coordinator.OnStored(id);
  }
  EXPECT_TRUE(coordinator.FallBackToPrevious());
  EXPECT_EQ(coordinator.latest()->id, 1);
}

// Completes checkpoint `id` with the source's state at `source_path` and the sink's at
// "sink-<id>"; returns the commands of OnStored.
Commands CompleteOne(CheckpointCoordinator& coordinator, int64_t id, int64_t now,
                     const std::string& source_path) {
  EXPECT_EQ(Show(coordinator.OnTick(now)).at(0), "trigger " + std::to_string(id) + " [0/0 ]");
  coordinator.OnAcknowledged(kSource, id, source_path, 100, now + 1);
  coordinator.OnAcknowledged(kSink, id, "sink-" + std::to_string(id), 100, now + 1);
  return coordinator.OnStored(id);
}

TEST(CheckpointCoordinatorTest, RetainsTheNewestCheckpointsAndDiscardsTheRest) {
  CheckpointCoordinator::Options options = Options();
  options.num_retained = 2;
  CheckpointCoordinator coordinator = Running(options);
  EXPECT_EQ(Show(CompleteOne(coordinator, 1, 100, "source-1")), (Shown{"notify 1"}));
  EXPECT_EQ(Show(CompleteOne(coordinator, 2, 300, "source-2")), (Shown{"notify 2"}));
  EXPECT_EQ(Show(CompleteOne(coordinator, 3, 500, "source-3")),
            (Shown{"notify 3", "discard <2 keep {sink-2 sink-3 source-2 source-3 }"}));
}

TEST(CheckpointCoordinatorTest, ADiscardKeepsAFinishedTasksSharedFinalState) {
  CheckpointCoordinator coordinator = Running();  // num_retained 1, as Flink's default
  EXPECT_EQ(Show(CompleteOne(coordinator, 1, 100, "source-1")), (Shown{"notify 1"}));
  EXPECT_TRUE(coordinator.OnTaskFinished(kSource, 150).empty());
  // Checkpoint 2 holds the finished source's final state, written for checkpoint 1.
  EXPECT_EQ(Show(coordinator.OnTick(300)), (Shown{"trigger 2 []"}));
  EXPECT_EQ(Show(coordinator.OnAcknowledged(kSink, 2, "sink-2", 100, 301)),
            (Shown{"store 2 {0/0=source-1 1/0=sink-2 }"}));
  EXPECT_EQ(Show(coordinator.OnStored(2)),
            (Shown{"notify 2", "discard <2 keep {sink-2 source-1 }"}))
      << "checkpoint 1 goes, but not the file checkpoint 2 shares with it";

  CheckpointCoordinator planted = Running(Options({"shared-state-discarded"}));
  CompleteOne(planted, 1, 100, "source-1");
  planted.OnTaskFinished(kSource, 150);
  planted.OnTick(300);
  planted.OnAcknowledged(kSink, 2, "sink-2", 100, 301);
  EXPECT_EQ(Show(planted.OnStored(2)), (Shown{"notify 2", "discard <2 keep {}"}))
      << "the planted bug deletes the shared file";
}

// Completes checkpoint `id` with the sink's state naming shared files `shared` (incremental
// RocksDB SSTs); `savepoint` triggers it as a savepoint. Returns the commands of OnStored.
Commands CompleteShared(CheckpointCoordinator& coordinator, int64_t id, int64_t now,
                        std::vector<std::string> shared, bool savepoint = false) {
  if (savepoint) coordinator.RequestSavepoint(false, now);
  coordinator.OnTick(now);
  coordinator.OnAcknowledged(kSource, id, "source-" + std::to_string(id), 10, now + 1);
  const int64_t bytes = 100 * static_cast<int64_t>(shared.size());
  coordinator.OnAcknowledged(kSink, id, "sink-" + std::to_string(id), 10, now + 1, false,
                             {std::move(shared), bytes, 100});
  return coordinator.OnStored(id);
}

TEST(CheckpointCoordinatorTest, SharedFilesStayWhileARegisteredCheckpointNamesThem) {
  CheckpointCoordinator coordinator = Running();  // num_retained 1
  CompleteShared(coordinator, 1, 100, {"s/1-a", "s/1-b"});
  EXPECT_EQ(coordinator.latest()->shared_files, (std::set<std::string>{"s/1-a", "s/1-b"}));
  EXPECT_EQ(coordinator.latest()->full_bytes, 220);
  EXPECT_EQ(coordinator.latest()->incremental_bytes, 120);
  // Checkpoint 2 still names s/1-b (not compacted away) and uploaded s/2-c.
  EXPECT_EQ(Show(CompleteShared(coordinator, 2, 300, {"s/1-b", "s/2-c"})),
            (Shown{"notify 2", "discard <2 keep {sink-2 source-2 } shared {s/1-b s/2-c }"}));
  EXPECT_EQ(coordinator.shared_registry().References("s/1-a"), 0);
  EXPECT_EQ(coordinator.shared_registry().References("s/1-b"), 1);

  // The planted bug deletes what checkpoint 1 named, s/1-b included.
  CheckpointCoordinator planted = Running(Options({"shared-sst-deleted-while-used"}));
  CompleteShared(planted, 1, 100, {"s/1-a", "s/1-b"});
  EXPECT_EQ(Show(CompleteShared(planted, 2, 300, {"s/1-b", "s/2-c"})),
            (Shown{"notify 2", "discard <2 keep {sink-2 source-2 } shared {s/2-c }"}));
}

TEST(CheckpointCoordinatorTest, ASavepointDoesNotReleaseTheSharedFilesOfTheCheckpointBefore) {
  CheckpointCoordinator coordinator = Running();  // num_retained 1
  CompleteShared(coordinator, 1, 100, {"s/1-a"});
  // The savepoint is a full snapshot: it names no shared file. Checkpoint 1 leaves the retained
  // ones, but its files stay registered: a task's next incremental snapshot may reuse them.
  const Commands stored = CompleteShared(coordinator, 2, 300, {}, /*savepoint=*/true);
  ASSERT_FALSE(stored.empty());
  EXPECT_EQ(Show(stored).back(), "discard <2 keep {sink-2 source-2 } shared {s/1-a }");
  // Nor does it sweep files uploaded at or after checkpoint 1 (say, for a checkpoint that
  // failed between 1 and the savepoint): a task may name them in its next checkpoint.
  EXPECT_EQ(stored.back().shared_below, 1);
  EXPECT_EQ(coordinator.shared_registry().References("s/1-a"), 1);
  // The next checkpoint (no savepoint) names them again, or releases them.
  const Commands third = CompleteShared(coordinator, 3, 500, {"s/3-d"});
  EXPECT_EQ(Show(third), (Shown{"notify 3", "discard <3 keep {sink-3 source-3 } shared {s/3-d }"}));
  EXPECT_EQ(third.back().shared_below, 3);
  EXPECT_EQ(coordinator.shared_registry().References("s/1-a"), 0);
}

TEST(CheckpointCoordinatorTest, ANewLeaderRegistersTheRecoveredCheckpointsSharedFiles) {
  CompletedCheckpoint latest;
  latest.id = 4;
  latest.shared_files = {"s/3-a"};
  CheckpointCoordinator coordinator(Options());
  coordinator.Recover(5, latest);
  EXPECT_EQ(coordinator.shared_registry().References("s/3-a"), 1);
}

TEST(CheckpointCoordinatorTest, MaxConcurrentCheckpointsOverlapAndCompleteInOrder) {
  CheckpointCoordinator::Options options = Options();
  options.max_concurrent = 2;
  CheckpointCoordinator coordinator = Running(options);
  EXPECT_EQ(Show(coordinator.OnTick(100)), (Shown{"trigger 1 [0/0 ]"}));
  EXPECT_EQ(Show(coordinator.OnTick(200)), (Shown{"trigger 2 [0/0 ]"})) << "1 is still pending";
  EXPECT_TRUE(coordinator.OnTick(300).empty()) << "two pending: the third waits";
  EXPECT_EQ(coordinator.NextDeadlineNs(), 100 + kTimeout) << "only 1's expiry is due";
  coordinator.OnAcknowledged(kSource, 1, "a1", 100, 310);
  coordinator.OnAcknowledged(kSource, 2, "a2", 100, 311);
  EXPECT_EQ(Show(coordinator.OnAcknowledged(kSink, 1, "b1", 100, 320)),
            (Shown{"store 1 {0/0=a1 1/0=b1 }"}));
  EXPECT_EQ(Show(coordinator.OnStored(1)), (Shown{"notify 1"}));
  EXPECT_EQ(coordinator.NextDeadlineNs(), 320) << "the held-back trigger is due at the completion";
  EXPECT_EQ(Show(coordinator.OnTick(321)), (Shown{"trigger 3 [0/0 ]"}));
  EXPECT_EQ(Show(coordinator.OnAcknowledged(kSink, 2, "b2", 100, 330)),
            (Shown{"store 2 {0/0=a2 1/0=b2 }"}));
}

TEST(CheckpointCoordinatorTest, MinPauseHoldsTheNextTriggerAfterACompletion) {
  CheckpointCoordinator::Options options = Options();
  options.min_pause_ns = 80;
  CheckpointCoordinator coordinator = Running(options);
  coordinator.OnTick(100);
  coordinator.OnAcknowledged(kSource, 1, "a1", 100, 150);
  coordinator.OnAcknowledged(kSink, 1, "b1", 100, 170);  // completes at 170
  coordinator.OnStored(1);
  EXPECT_EQ(coordinator.NextDeadlineNs(), 250) << "max(100 + interval, 170 + min-pause)";
  EXPECT_TRUE(coordinator.OnTick(200).empty());
  EXPECT_EQ(Show(coordinator.OnTick(250)), (Shown{"trigger 2 [0/0 ]"}));
}

TEST(CheckpointCoordinatorTest, TolerableFailedCheckpointsAbortThenFailOver) {
  CheckpointCoordinator::Options options = Options();
  options.tolerable_failed = 1;
  CheckpointCoordinator coordinator = Running(options);
  coordinator.OnTick(100);  // 1
  EXPECT_EQ(Show(coordinator.OnTick(100 + kTimeout)), (Shown{"aborted 1", "trigger 2 [0/0 ]"}))
      << "one expiry is tolerated: the attempt runs on";
  // Completing 2 resets the count.
  coordinator.OnAcknowledged(kSource, 2, "a2", 100, 1200);
  coordinator.OnAcknowledged(kSink, 2, "b2", 100, 1201);
  coordinator.OnStored(2);
  EXPECT_EQ(Show(coordinator.OnTick(1300)), (Shown{"trigger 3 [0/0 ]"}));
  EXPECT_EQ(Show(coordinator.OnTick(1300 + kTimeout)), (Shown{"aborted 3", "trigger 4 [0/0 ]"}));
  EXPECT_EQ(Show(coordinator.OnTick(2300 + kTimeout)), (Shown{"expired 4"}))
      << "a second expiry in a row fails over";
  EXPECT_EQ(coordinator.expired_count(), 3);
}

}  // namespace checkpoint_coordinator_test
}  // namespace
}  // namespace sluice
