// SimCore: the machinery every part of a simulated world shares: the virtual clock, the event
// queue (a TimerQueue ordered by (time, sequence)), the fiber Scheduler (one group per host), the
// trace, and the root PRNG. World owns one; SimFibers, SimNetwork and SimDisk hold a reference.
//
// Time: virtual ns starting at 0. It only moves in Step(), and only when no fiber is runnable: it
// then jumps to the earliest event and runs every event due. A fiber that spins on Yield() while
// waiting for time to pass therefore never sees it pass (use SleepFor or Park with a deadline).
// Single-threaded; nothing here suspends except through the Scheduler's fiber calls.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/runtime/random.h"
#include "engine/runtime/scheduler.h"
#include "engine/runtime/timer_queue.h"
#include "simnet/trace.h"

namespace sluice::sim {

// Host ids start at 1; 0 means "no host".
using HostId = uint32_t;
constexpr HostId kNoHost = 0;

class SimCore {
 public:
  SimCore(uint64_t seed, bool random_scheduling);
  SimCore(const SimCore&) = delete;
  SimCore& operator=(const SimCore&) = delete;

  int64_t now_ns() const { return now_ns_; }
  // Queues `event` to run in world context (outside fibers) at max(at_ns, now). Never suspends.
  TimerQueue::Handle At(int64_t at_ns, std::function<void()> event);
  // Returns true if the event was still pending.
  bool Cancel(const TimerQueue::Handle& handle) { return events_.Cancel(handle); }

  Scheduler& scheduler() { return scheduler_; }
  bool InFiber() const { return scheduler_.InFiber(); }
  TraceRecorder& trace() { return trace_; }
  const TraceRecorder& trace() const { return trace_; }
  // The root PRNG: fork per-purpose streams from it, in a deterministic order.
  Random& root_random() { return root_random_; }

  enum class StepResult { kRan, kQuiescent, kTimeLimit };
  // Runs one runnable fiber until it suspends; if none is runnable, advances time to the next
  // event and runs all events due then. kTimeLimit (time set to time_limit_ns) if the next event
  // lies beyond time_limit_ns (absolute virtual ns); kQuiescent if nothing is left to do.
  // Must be called outside fibers.
  StepResult Step(int64_t time_limit_ns);

  // Fibers run plus events run so far.
  uint64_t events_processed() const { return events_processed_; }

 private:
  int64_t now_ns_ = 0;
  TimerQueue events_;
  TraceRecorder trace_;
  Random root_random_;
  Random scheduling_random_;  // draws the next fiber when scheduling is random
  uint64_t events_processed_ = 0;
  // Declared last so it is destroyed first: unwinding fibers cancel their timers in events_.
  Scheduler scheduler_;
};

}  // namespace sluice::sim
