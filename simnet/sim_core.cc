#include "simnet/sim_core.h"

#include <algorithm>
#include <utility>

#include "engine/base/assert.h"

namespace sluice::sim {

SimCore::SimCore(uint64_t seed, bool random_scheduling)
    : trace_(&now_ns_), root_random_(seed), scheduling_random_(root_random_.Fork()) {
  scheduler_.SetPicker(random_scheduling ? &scheduling_random_ : nullptr);
  scheduler_.SetSwitchHook([this](FiberId id) { trace_.Record(TraceKind::kSwitch, id); });
}

TimerQueue::Handle SimCore::At(int64_t at_ns, std::function<void()> event) {
  SLUICE_ASSERT(event, "an event needs a body");
  return events_.Add(std::max(at_ns, now_ns_), std::move(event));
}

SimCore::StepResult SimCore::Step(int64_t time_limit_ns) {
  SLUICE_ASSERT(!scheduler_.InFiber(), "Step runs the world; call it outside fibers");
  if (scheduler_.RunOne()) {
    ++events_processed_;
    return StepResult::kRan;
  }
  if (events_.empty()) return StepResult::kQuiescent;
  const int64_t next_ns = events_.NextDeadline();
  if (next_ns > time_limit_ns) {
    now_ns_ = std::max(now_ns_, time_limit_ns);
    return StepResult::kTimeLimit;
  }
  SLUICE_ASSERT(next_ns >= now_ns_, "events are never queued in the past");
  now_ns_ = next_ns;
  std::function<void()> event;
  while (events_.PopDue(now_ns_, &event)) {
    ++events_processed_;
    event();
  }
  return StepResult::kRan;
}

}  // namespace sluice::sim
