#include "engine/exchange/barrier_aligner.h"

#include <cstddef>

#include "engine/base/assert.h"

namespace sluice {

BarrierAligner::Action BarrierAligner::OnBarrier(int channel, int64_t checkpoint_id) {
  SLUICE_ASSERT(!ended_[channel], "barrier after end of partition");
  if (checkpoint_id < current_ || (checkpoint_id == current_ && !aligning_)) {
    return Action::kNone;  // stale barrier of an abandoned or finished alignment
  }
  if (checkpoint_id > current_) {
    // A newer checkpoint: abandon the alignment in progress, if any.
    for (std::size_t c = 0; c < blocked_.size(); ++c) blocked_[c] = false;
    current_ = checkpoint_id;
    aligning_ = true;
  }
  SLUICE_ASSERT(!blocked_[channel], "two barriers of one checkpoint on one channel");
  blocked_[channel] = true;
  return CheckAligned();
}

BarrierAligner::Action BarrierAligner::OnEndOfPartition(int channel) {
  ended_[channel] = true;
  blocked_[channel] = false;
  return aligning_ ? CheckAligned() : Action::kNone;
}

BarrierAligner::Action BarrierAligner::CheckAligned() {
  for (std::size_t c = 0; c < blocked_.size(); ++c) {
    if (!ended_[c] && !blocked_[c]) return Action::kNone;
  }
  return Action::kAligned;
}

void BarrierAligner::Release() {
  SLUICE_ASSERT(aligning_, "a checkpoint completes only while aligning");
  aligning_ = false;
  for (std::size_t c = 0; c < blocked_.size(); ++c) blocked_[c] = false;
}

void BarrierAligner::Abandon() {
  aligning_ = false;
  for (std::size_t c = 0; c < blocked_.size(); ++c) blocked_[c] = false;
}

bool BarrierAligner::AllEnded() const {
  for (bool ended : ended_) {
    if (!ended) return false;
  }
  return true;
}

}  // namespace sluice
