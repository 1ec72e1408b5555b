// TimerQueue: callbacks ordered by (deadline ns, insertion sequence), so that equal deadlines fire
// in a deterministic order. Used by the real reactor for sleeps and by the simulator as its event
// queue. Not thread-safe; never suspends.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>

namespace sluice {

class TimerQueue {
 public:
  using Handle = std::pair<int64_t, uint64_t>;  // (deadline, sequence)

  Handle Add(int64_t deadline_ns, std::function<void()> callback) {
    Handle handle{deadline_ns, next_sequence_++};
    timers_.emplace(handle, std::move(callback));
    return handle;
  }
  // Returns true if the timer was still pending.
  bool Cancel(const Handle& handle) { return timers_.erase(handle) != 0; }
  bool empty() const { return timers_.empty(); }
  size_t size() const { return timers_.size(); }
  // Deadline of the earliest timer; requires !empty().
  int64_t NextDeadline() const { return timers_.begin()->first.first; }
  // Removes and returns the earliest timer's callback if its deadline is <= now.
  bool PopDue(int64_t now_ns, std::function<void()>* callback) {
    if (timers_.empty() || timers_.begin()->first.first > now_ns) return false;
    auto node = timers_.extract(timers_.begin());
    *callback = std::move(node.mapped());
    return true;
  }
  uint64_t sequence() const { return next_sequence_; }

 private:
  std::map<Handle, std::function<void()>> timers_;
  uint64_t next_sequence_ = 0;
};

}  // namespace sluice
