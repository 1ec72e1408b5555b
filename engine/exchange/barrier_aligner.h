// Barrier alignment for a task with several input channels (asynchronous barrier snapshotting,
// Carbone et al. 2015, "Lightweight Asynchronous Snapshots for Distributed Dataflows", §4; Flink's
// aligned checkpoints). When barrier n arrives on a channel, that channel is blocked: its later
// records wait until barrier n has arrived on every channel that has not ended. Then the task
// snapshots its state, forwards barrier n and calls Release(). A barrier newer than the one being
// aligned abandons the older alignment (that checkpoint can no longer complete on this task);
// older barriers are ignored. Pure logic: no I/O, never suspends.
#pragma once

#include <cstdint>
#include <vector>

namespace sluice {

class BarrierAligner {
 public:
  enum class Action {
    kNone,     // nothing to do yet
    kAligned,  // barrier `aligned_checkpoint()` is on every live channel: snapshot, then Release()
  };

  explicit BarrierAligner(int channels) : blocked_(channels, false), ended_(channels, false) {}

  Action OnBarrier(int channel, int64_t checkpoint_id);
  Action OnEndOfPartition(int channel);
  void Release();
  // Abandons the alignment in progress, if any (a newer unaligned checkpoint began): every
  // channel is unblocked. Its barriers, should more arrive, are stale.
  void Abandon();

  bool IsBlocked(int channel) const { return blocked_[channel]; }
  bool IsEnded(int channel) const { return ended_[channel]; }
  bool AllEnded() const;
  int64_t aligned_checkpoint() const { return current_; }
  bool aligning() const { return aligning_; }
  int channel_count() const { return static_cast<int>(blocked_.size()); }

 private:
  Action CheckAligned();

  std::vector<bool> blocked_;
  std::vector<bool> ended_;
  int64_t current_ = 0;  // checkpoint being aligned (or last aligned)
  bool aligning_ = false;
};

}  // namespace sluice
