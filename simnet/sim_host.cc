#include "simnet/sim_host.h"

#include <cassert>
#include <exception>
#include <utility>

namespace sluice::sim {

void SimFibers::AssertInOwnFiber() const {
  assert(core_.InFiber() && "a suspension call outside a fiber");
  assert(core_.scheduler().CurrentGroup() == host_ && "a fiber used another host's Fibers");
}

FiberId SimFibers::Spawn(std::string name, std::function<void()> body) {
  if (!up_) return kNoFiber;
  return core_.scheduler().Spawn(host_, host_name_ + "/" + name, std::move(body));
}

void SimFibers::Yield() {
  AssertInOwnFiber();
  core_.scheduler().Yield();
}

void SimFibers::SleepFor(int64_t duration_ns) {
  if (duration_ns <= 0) {
    Yield();
    return;
  }
  SleepUntil(core_.now_ns() + duration_ns);
}

void SimFibers::SleepUntil(int64_t deadline_ns) {
  AssertInOwnFiber();
  if (deadline_ns <= core_.now_ns()) {
    Yield();
    return;
  }
  // Loop: an Unpark from elsewhere (a stale wait list entry) is a spurious wake-up here.
  while (core_.now_ns() < deadline_ns) {
    Park(deadline_ns);
    // A cancelled fiber's Park returns at once while it unwinds: do not spin on it.
    if (std::uncaught_exceptions() > 0) return;
  }
}

void SimFibers::Join(FiberId id) {
  AssertInOwnFiber();
  core_.scheduler().Join(id);
}

void SimFibers::Cancel(FiberId id) { core_.scheduler().Cancel(id); }

FiberId SimFibers::Current() const { return core_.scheduler().Current(); }

bool SimFibers::Park(int64_t deadline_ns) {
  AssertInOwnFiber();
  Scheduler& scheduler = core_.scheduler();
  if (deadline_ns < 0) return scheduler.Park();
  if (deadline_ns <= core_.now_ns()) {
    scheduler.Yield();  // still a suspension point (cancellation, fairness)
    return false;
  }
  // The timer points at this frame; Disarm cancels it if the frame is left any other way
  // (unparked, or unwound by FiberCancelled), so it never fires into a dead stack.
  struct Wake {
    Scheduler* scheduler;
    FiberId id;
    bool fired;
  } wake{&scheduler, scheduler.Current(), false};
  const TimerQueue::Handle handle = core_.At(deadline_ns, [w = &wake] {
    w->fired = true;
    w->scheduler->Unpark(w->id);
  });
  struct Disarm {
    SimCore* core;
    const Wake* wake;
    TimerQueue::Handle handle;
    ~Disarm() {
      if (!wake->fired) core->Cancel(handle);
    }
  } disarm{&core_, &wake, handle};
  const bool unparked = scheduler.Park();
  return unparked && !wake.fired;
}

void SimFibers::Unpark(FiberId id) { core_.scheduler().Unpark(id); }

}  // namespace sluice::sim
