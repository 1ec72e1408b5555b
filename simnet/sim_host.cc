#include "simnet/sim_host.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <utility>

#include "engine/base/assert.h"

namespace sluice::sim {
namespace {

constexpr int64_t kPartsPerBillion = 1'000'000'000;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
// ToVirtual's estimate is off by a few ns (rounding); the walk to the exact answer is bounded.
constexpr int kToVirtualStepsMax = 64;

int64_t Saturate(__int128 value) {
  if (value > kInt64Max) return kInt64Max;
  if (value < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(value);
}

// Rounds toward negative infinity (C++ division truncates toward zero). divisor > 0.
__int128 FloorDiv(__int128 dividend, int64_t divisor) {
  SLUICE_ASSERT(divisor > 0, "the divisor is positive");
  __int128 quotient = dividend / divisor;
  if (dividend % divisor != 0 && dividend < 0) --quotient;
  return quotient;
}

}  // namespace

// --- SimClock ---

int64_t SimClock::Mapped(int64_t virtual_ns) const {
  const __int128 drift_ns =
      FloorDiv(static_cast<__int128>(virtual_ns - since_ns_) * drift_ppb_, kPartsPerBillion);
  return Saturate(static_cast<__int128>(virtual_ns) + offset_ns_ + drift_ns);
}

int64_t SimClock::SkewedToHost(int64_t virtual_ns) const {
  SLUICE_ASSERT(skewed_, "only a skewed clock is adjusted");
  SLUICE_ASSERT(virtual_ns >= since_ns_, "the skew mapping starts at its SetSkew");
  return std::max(floor_ns_, Mapped(virtual_ns));
}

int64_t SimClock::SkewedToVirtual(int64_t host_ns) const {
  SLUICE_ASSERT(skewed_, "only a skewed clock is adjusted");
  const int64_t now_ns = core_.now_ns();
  if (ToHost(now_ns) >= host_ns) return now_ns;
  // host_ns > floor_ns_ here, so the smallest t with Mapped(t) >= host_ns is the answer. Solve
  // (t - since) * (1e9 + drift) / 1e9 = host - offset - since, then walk to the exact t.
  const __int128 target = static_cast<__int128>(host_ns) - offset_ns_ - since_ns_;
  __int128 estimate =
      since_ns_ + FloorDiv(target * kPartsPerBillion, kPartsPerBillion + drift_ppb_);
  estimate = std::max<__int128>(estimate, now_ns);
  if (estimate >= kInt64Max) return kInt64Max;
  int64_t t = static_cast<int64_t>(estimate);
  for (int steps = 0; Mapped(t) < host_ns; ++steps) {
    SLUICE_ASSERT(steps < kToVirtualStepsMax, "the skew estimate is within a few ns");
    if (t == kInt64Max) return kInt64Max;
    ++t;
  }
  for (int steps = 0; t > now_ns && Mapped(t - 1) >= host_ns; ++steps) {
    SLUICE_ASSERT(steps < kToVirtualStepsMax, "the skew estimate is within a few ns");
    --t;
  }
  SLUICE_ASSERT(ToHost(t) >= host_ns, "the host clock has reached the deadline at the virtual time");
  return t;
}

void SimClock::SetSkew(int64_t offset_ns, int64_t drift_ppb) {
  SLUICE_ASSERT(drift_ppb >= -kDriftPpbMax && drift_ppb <= kDriftPpbMax, "drift out of range");
  const int64_t now_ns = core_.now_ns();
  floor_ns_ = ToHost(now_ns);  // the reading now: the clock never goes below it
  offset_ns_ = offset_ns;
  drift_ppb_ = drift_ppb;
  since_ns_ = now_ns;
  // Back to the identity (the fast path) only if that does not step the clock back.
  skewed_ = offset_ns != 0 || drift_ppb != 0 || floor_ns_ > now_ns;
  SLUICE_ASSERT(ToHost(now_ns) >= floor_ns_, "monotonic across skew changes");
}

// --- SimFibers ---

// A pending Park timer: on the parked fiber's stack, linked into its host's armed list so that a
// skew change can move it.
struct SimFibers::Wake {
  SimFibers* fibers;
  FiberId id;
  int64_t deadline_ns;  // host clock
  TimerQueue::Handle handle{};
  bool fired = false;
  Wake* prev = nullptr;
  Wake* next = nullptr;
};

void SimFibers::AssertInOwnFiber() const {
  SLUICE_ASSERT(core_.InFiber(), "a suspension call outside a fiber");
  SLUICE_ASSERT(core_.scheduler().CurrentGroup() == host_, "a fiber used another host's Fibers");
}

FiberId SimFibers::Spawn(std::string name, std::function<void()> body) {
  if (!up_) return kNoFiber;
  // A fiber that first runs while the host is paused waits at the gate before any host code.
  return core_.scheduler().Spawn(host_, host_name_ + "/" + name, [this, body = std::move(body)] {
    WaitWhilePaused();
    body();
  });
}

void SimFibers::Yield() {
  AssertInOwnFiber();
  core_.scheduler().Yield();
  WaitWhilePaused();
}

void SimFibers::AccountWork(int64_t records) {
  if (work_cost_ns_ <= 0 || records <= 0) return;
  SleepFor(records * work_cost_ns_);
}

void SimFibers::SleepFor(int64_t duration_ns) {
  if (duration_ns <= 0) {
    Yield();
    return;
  }
  const int64_t now_ns = HostNow();
  SleepUntil(duration_ns > kInt64Max - now_ns ? kInt64Max : now_ns + duration_ns);
}

void SimFibers::SleepUntil(int64_t deadline_ns) {
  AssertInOwnFiber();
  if (deadline_ns <= HostNow()) {
    Yield();
    return;
  }
  // Loop: an Unpark from elsewhere (a stale wait list entry) is a spurious wake-up here.
  while (HostNow() < deadline_ns) {
    Park(deadline_ns);
    // A cancelled fiber's Park returns at once while it unwinds: do not spin on it.
    if (std::uncaught_exceptions() > 0) return;
  }
}

void SimFibers::Join(FiberId id) {
  AssertInOwnFiber();
  core_.scheduler().Join(id);
  WaitWhilePaused();
}

void SimFibers::Cancel(FiberId id) { core_.scheduler().Cancel(id); }

FiberId SimFibers::Current() const { return core_.scheduler().Current(); }

bool SimFibers::Park(int64_t deadline_ns) {
  AssertInOwnFiber();
  const bool unparked = ParkUntil(deadline_ns);
  WaitWhilePaused();
  return unparked;
}

void SimFibers::Arm(Wake& wake) {
  wake.handle = core_.At(ToVirtual(wake.deadline_ns), [w = &wake] {
    w->fired = true;
    w->fibers->core_.scheduler().Unpark(w->id);
  });
}

bool SimFibers::ParkUntil(int64_t deadline_ns) {
  Scheduler& scheduler = core_.scheduler();
  if (deadline_ns < 0) return scheduler.Park();
  if (deadline_ns <= HostNow()) {
    scheduler.Yield();  // still a suspension point (cancellation, fairness)
    return false;
  }
  // The timer points at this frame; Disarm cancels it and unlinks the frame if it is left any
  // other way (unparked, or unwound by FiberCancelled), so it never fires into a dead stack.
  Wake wake{this, scheduler.Current(), deadline_ns};
  wake.prev = armed_tail_;
  (armed_tail_ ? armed_tail_->next : armed_head_) = &wake;
  armed_tail_ = &wake;
  Arm(wake);
  struct Disarm {
    Wake* wake;
    ~Disarm() {
      SimFibers& fibers = *wake->fibers;
      if (!wake->fired) fibers.core_.Cancel(wake->handle);
      (wake->prev ? wake->prev->next : fibers.armed_head_) = wake->next;
      (wake->next ? wake->next->prev : fibers.armed_tail_) = wake->prev;
    }
  } disarm{&wake};
  const bool unparked = scheduler.Park();
  return unparked && !wake.fired;
}

void SimFibers::RearmTimers() {
  for (Wake* wake = armed_head_; wake != nullptr; wake = wake->next) {
    if (wake->fired) continue;  // already woken: nothing to move
    const bool pending = core_.Cancel(wake->handle);
    SLUICE_ASSERT(pending, "an unfired timer is still queued");
    (void)pending;
    Arm(*wake);
  }
}

void SimFibers::WaitAtGate() {
  Scheduler& scheduler = core_.scheduler();
  // Each round needs an Unpark; resuming unparks every gated fiber. An unwinding fiber passes.
  while (paused_ && std::uncaught_exceptions() == 0) {
    const FiberId self = scheduler.Current();
    gated_.push_back(self);
    struct Ungate {
      std::vector<FiberId>* gated;
      FiberId id;
      ~Ungate() { gated->erase(std::remove(gated->begin(), gated->end(), id), gated->end()); }
    } ungate{&gated_, self};
    scheduler.Park();  // throws FiberCancelled if the host crashes meanwhile
  }
}

void SimFibers::SetPaused(bool paused) {
  paused_ = paused;
  if (paused) return;
  const std::vector<FiberId> gated = gated_;  // each leaves the list itself when it runs
  for (FiberId id : gated) core_.scheduler().Unpark(id);
}

void SimFibers::Unpark(FiberId id) { core_.scheduler().Unpark(id); }

}  // namespace sluice::sim
