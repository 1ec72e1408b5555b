// Fiber synchronization built on Fibers::Park/Unpark: a wait list (condition variable), and a
// bounded channel between fibers of one host. No locks: all users run on the host's one thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "engine/runtime/fibers.h"

namespace sluice {

class WaitList {
 public:
  // Suspends until NotifyAll/NotifyOne or the deadline (ns; < 0: none). Returns false on timeout.
  // Spurious wake-ups are possible: re-check the condition. May suspend; throws FiberCancelled.
  bool Wait(Fibers& fibers, int64_t deadline_ns = -1) {
    const FiberId self = fibers.Current();
    waiters_.push_back(self);
    struct Remove {
      WaitList* list;
      FiberId id;
      ~Remove() {
        auto& w = list->waiters_;
        w.erase(std::remove(w.begin(), w.end(), id), w.end());
      }
    } remove{this, self};
    return fibers.Park(deadline_ns);
  }
  void NotifyAll(Fibers& fibers) {
    std::vector<FiberId> woken;
    woken.swap(waiters_);
    for (FiberId id : woken) fibers.Unpark(id);
  }
  void NotifyOne(Fibers& fibers) {
    if (waiters_.empty()) return;
    FiberId id = waiters_.front();
    waiters_.erase(waiters_.begin());
    fibers.Unpark(id);
  }
  bool empty() const { return waiters_.empty(); }

 private:
  std::vector<FiberId> waiters_;
};

// A bounded FIFO channel. Push suspends while full; Pop suspends while empty. After Close, Push
// fails and Pop drains what is left, then returns nullopt.
template <typename T>
class Channel {
 public:
  Channel(Fibers& fibers, size_t capacity) : fibers_(fibers), capacity_(capacity) {}

  // Returns false if the channel is closed. May suspend.
  bool Push(T value) {
    while (!closed_ && items_.size() >= capacity_) not_full_.Wait(fibers_);
    if (closed_) return false;
    items_.push_back(std::move(value));
    not_empty_.NotifyOne(fibers_);
    return true;
  }
  // Next item, or nullopt when closed and drained, or at the deadline (ns; < 0: none).
  // May suspend.
  std::optional<T> Pop(int64_t deadline_ns = -1) {
    while (items_.empty() && !closed_) {
      if (!not_empty_.Wait(fibers_, deadline_ns) && items_.empty()) return std::nullopt;
    }
    if (items_.empty()) return std::nullopt;
    T value = std::move(items_.front());
    items_.pop_front();
    not_full_.NotifyOne(fibers_);
    return value;
  }
  void Close() {
    closed_ = true;
    not_empty_.NotifyAll(fibers_);
    not_full_.NotifyAll(fibers_);
  }
  bool closed() const { return closed_; }
  size_t size() const { return items_.size(); }

 private:
  Fibers& fibers_;
  size_t capacity_;
  std::deque<T> items_;
  bool closed_ = false;
  WaitList not_empty_;
  WaitList not_full_;
};

}  // namespace sluice
