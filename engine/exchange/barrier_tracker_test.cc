#include "engine/exchange/barrier_tracker.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(BarrierTrackerTest, SnapshotsWhenEveryChannelDeliveredTheBarrier) {
  BarrierTracker tracker(3);
  EXPECT_EQ(tracker.OnBarrier(0, 1), 0);
  EXPECT_EQ(tracker.OnBarrier(2, 1), 0);
  EXPECT_EQ(tracker.OnBarrier(1, 1), 1);
  EXPECT_EQ(tracker.pending(), 0u);
  EXPECT_EQ(tracker.last_snapshotted(), 1);
}

TEST(BarrierTrackerTest, TracksSeveralCheckpointsAndANewerOneAbortsOlderOnes) {
  BarrierTracker tracker(2);
  EXPECT_EQ(tracker.OnBarrier(0, 1), 0);
  EXPECT_EQ(tracker.OnBarrier(0, 2), 0);
  EXPECT_EQ(tracker.pending(), 2u);
  EXPECT_EQ(tracker.OnBarrier(1, 2), 2);  // checkpoint 1 can no longer matter
  EXPECT_EQ(tracker.pending(), 0u);
  EXPECT_EQ(tracker.OnBarrier(1, 1), 0);  // late barrier of the aborted checkpoint
  EXPECT_EQ(tracker.pending(), 0u);
}

TEST(BarrierTrackerTest, AnOlderCheckpointCompletesFirstWhenItsBarriersAreAllIn) {
  BarrierTracker tracker(2);
  EXPECT_EQ(tracker.OnBarrier(0, 1), 0);
  EXPECT_EQ(tracker.OnBarrier(0, 2), 0);
  EXPECT_EQ(tracker.OnBarrier(1, 1), 1);
  EXPECT_EQ(tracker.pending(), 1u);
  EXPECT_EQ(tracker.OnBarrier(1, 2), 2);
}

TEST(BarrierTrackerTest, EndedChannelsAreNotWaitedFor) {
  BarrierTracker tracker(2);
  EXPECT_EQ(tracker.OnBarrier(0, 3), 0);
  EXPECT_EQ(tracker.OnEndOfPartition(1), 3);  // the end completes the pending checkpoint
  EXPECT_EQ(tracker.OnBarrier(0, 4), 4);
  EXPECT_FALSE(tracker.AllEnded());
  EXPECT_EQ(tracker.OnEndOfPartition(0), 0);
  EXPECT_TRUE(tracker.AllEnded());
}

TEST(BarrierTrackerTest, TracksAtMostMaxPendingCheckpoints) {
  BarrierTracker tracker(2);
  const int64_t count = static_cast<int64_t>(BarrierTracker::kMaxPending) + 5;
  for (int64_t id = 1; id <= count; ++id) EXPECT_EQ(tracker.OnBarrier(0, id), 0);
  EXPECT_EQ(tracker.pending(), BarrierTracker::kMaxPending);
  EXPECT_EQ(tracker.OnBarrier(1, 1), 0);  // dropped: its record is gone, and it starts anew
  EXPECT_EQ(tracker.pending(), BarrierTracker::kMaxPending);
  EXPECT_EQ(tracker.OnBarrier(1, count), count);
}

}  // namespace
}  // namespace sluice
