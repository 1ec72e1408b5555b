#include "engine/exchange/barrier_aligner.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(BarrierAlignerTest, BlocksEachChannelUntilAllHaveTheBarrier) {
  BarrierAligner aligner(3);
  EXPECT_EQ(aligner.OnBarrier(0, 1), BarrierAligner::Action::kNone);
  EXPECT_TRUE(aligner.IsBlocked(0));
  EXPECT_FALSE(aligner.IsBlocked(1));
  EXPECT_EQ(aligner.OnBarrier(2, 1), BarrierAligner::Action::kNone);
  EXPECT_EQ(aligner.OnBarrier(1, 1), BarrierAligner::Action::kAligned);
  EXPECT_EQ(aligner.aligned_checkpoint(), 1);
  aligner.Release();
  for (int c = 0; c < 3; ++c) EXPECT_FALSE(aligner.IsBlocked(c));
}

TEST(BarrierAlignerTest, EndedChannelsDoNotHoldAlignment) {
  BarrierAligner aligner(2);
  EXPECT_EQ(aligner.OnEndOfPartition(1), BarrierAligner::Action::kNone);
  EXPECT_EQ(aligner.OnBarrier(0, 4), BarrierAligner::Action::kAligned);
  aligner.Release();
  EXPECT_EQ(aligner.OnBarrier(0, 5), BarrierAligner::Action::kAligned);
}

TEST(BarrierAlignerTest, EndOfPartitionCanCompleteAnAlignment) {
  BarrierAligner aligner(2);
  EXPECT_EQ(aligner.OnBarrier(0, 2), BarrierAligner::Action::kNone);
  EXPECT_EQ(aligner.OnEndOfPartition(1), BarrierAligner::Action::kAligned);
  EXPECT_FALSE(aligner.AllEnded());
}

TEST(BarrierAlignerTest, NewerBarrierAbandonsOlderAlignmentAndStaleOnesAreIgnored) {
  BarrierAligner aligner(2);
  EXPECT_EQ(aligner.OnBarrier(0, 1), BarrierAligner::Action::kNone);
  EXPECT_EQ(aligner.OnBarrier(1, 2), BarrierAligner::Action::kNone);
  EXPECT_FALSE(aligner.IsBlocked(0));  // checkpoint 1 abandoned
  EXPECT_TRUE(aligner.IsBlocked(1));
  EXPECT_EQ(aligner.OnBarrier(0, 1), BarrierAligner::Action::kNone);  // stale, late
  EXPECT_EQ(aligner.OnBarrier(0, 2), BarrierAligner::Action::kAligned);
}

}  // namespace
}  // namespace sluice
