#include "engine/exchange/barrier_tracker.h"

#include <algorithm>

#include "engine/base/assert.h"

namespace sluice {

int64_t BarrierTracker::OnBarrier(int channel, int64_t checkpoint_id) {
  SLUICE_ASSERT(!ended_[channel], "barrier after end of partition");
  if (checkpoint_id <= last_) return 0;  // late barrier of a snapshotted or aborted checkpoint
  auto it = std::lower_bound(
      pending_.begin(), pending_.end(), checkpoint_id,
      [](const Pending& pending, int64_t id) { return pending.checkpoint_id < id; });
  if (it == pending_.end() || it->checkpoint_id != checkpoint_id) {
    it = pending_.insert(it, Pending{checkpoint_id, std::vector<bool>(ended_.size(), false)});
    if (pending_.size() > kMaxPending) {
      const bool dropping_this = it == pending_.begin();
      pending_.pop_front();
      if (dropping_this) return 0;
      it = std::lower_bound(
          pending_.begin(), pending_.end(), checkpoint_id,
          [](const Pending& pending, int64_t id) { return pending.checkpoint_id < id; });
    }
  }
  SLUICE_ASSERT(!it->seen[channel], "two barriers of one checkpoint on one channel");
  it->seen[channel] = true;
  return TakeComplete();
}

int64_t BarrierTracker::OnEndOfPartition(int channel) {
  ended_[channel] = true;
  return TakeComplete();
}

int64_t BarrierTracker::TakeComplete() {
  // Newest first: a complete checkpoint makes every older pending one moot.
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    bool complete = true;
    for (size_t c = 0; c < ended_.size() && complete; ++c) complete = ended_[c] || it->seen[c];
    if (!complete) continue;
    const int64_t id = it->checkpoint_id;
    pending_.erase(pending_.begin(), it.base());
    last_ = id;
    return id;
  }
  return 0;
}

bool BarrierTracker::AllEnded() const {
  return std::all_of(ended_.begin(), ended_.end(), [](bool ended) { return ended; });
}

}  // namespace sluice
