// Barrier tracking for AT_LEAST_ONCE checkpoints (Flink's CheckpointBarrierTracker): barriers
// never block a channel. The tracker counts, per checkpoint, the channels that delivered its
// barrier; when every channel that has not ended has, the task snapshots at once. Records that
// follow the barrier on the channels that delivered it early have been processed by then, so the
// snapshot includes them while the sources' positions do not: a restore replays them (at least
// once, never lost). A checkpoint that completes aborts every older pending one (its barriers can
// no longer matter); barriers of checkpoints at or below the last one snapshotted are ignored.
// At most kMaxPending checkpoints are tracked at once (the oldest is dropped beyond that).
// Pure logic: no I/O, never suspends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace sluice {

class BarrierTracker {
 public:
  static constexpr size_t kMaxPending = 50;  // Flink's MAX_CHECKPOINTS_TO_TRACK

  explicit BarrierTracker(int channels) : ended_(channels, false) {}

  // Each returns the checkpoint to snapshot now, or 0 for none.
  int64_t OnBarrier(int channel, int64_t checkpoint_id);
  int64_t OnEndOfPartition(int channel);

  bool IsEnded(int channel) const { return ended_[channel]; }
  bool AllEnded() const;
  int64_t last_snapshotted() const { return last_; }
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    int64_t checkpoint_id = 0;
    std::vector<bool> seen;  // by channel
  };
  // The newest pending checkpoint whose barrier every live channel delivered (dropping it and
  // every older one), or 0.
  int64_t TakeComplete();

  std::vector<bool> ended_;
  std::deque<Pending> pending_;  // ascending checkpoint ids
  int64_t last_ = 0;             // last checkpoint returned
};

}  // namespace sluice
