// The per-host runtime pieces of a simulated host that are not I/O: its Clock (the world's virtual
// time, possibly skewed), its Fibers (the world Scheduler's group `host id`, with timers on the
// world event queue; they can be paused) and its EventLog (forwarded to the World, which folds it
// into the trace and tells observers).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/runtime/clock.h"
#include "engine/runtime/event_log.h"
#include "engine/runtime/fibers.h"
#include "simnet/sim_core.h"

namespace sluice::sim {

// A host's view of the world's virtual time. Unskewed (the default) it reads virtual time itself:
// every host shares the origin 0 = world start. SetSkew models a wrong, drifting clock:
//   host(v) = max(floor, v + offset_ns + drift_ppb * (v - since) / 1e9)
// where v is virtual time, `since` the virtual time of the SetSkew call, and `floor` the reading
// at that moment, so that the clock never goes backwards: a backward step stalls the clock until
// the new mapping catches up. host(v) is non-decreasing in v. Integer arithmetic only.
// Never suspends.
class SimClock final : public Clock {
 public:
  // Bounds of the drift, in parts per billion (the clock's rate stays positive).
  static constexpr int64_t kDriftPpbMax = 500'000'000;  // +-50%: rate in [0.5, 1.5]

  explicit SimClock(const SimCore& core) : core_(core) {}
  int64_t NowNs() const override { return ToHost(core_.now_ns()); }

  // Host time at virtual time `virtual_ns` (>= the virtual time of the last SetSkew).
  int64_t ToHost(int64_t virtual_ns) const {
    return skewed_ ? SkewedToHost(virtual_ns) : virtual_ns;
  }
  // The earliest virtual time, not before now, at which the host clock reads >= host_ns
  // (INT64_MAX if it never does within int64 range).
  int64_t ToVirtual(int64_t host_ns) const {
    if (!skewed_) return host_ns > core_.now_ns() ? host_ns : core_.now_ns();
    return SkewedToVirtual(host_ns);
  }
  // From now on, host time follows the formula above. |drift_ppb| <= kDriftPpbMax. Timers armed
  // on the old mapping must be re-armed by the owner (SimFibers::RearmTimers).
  void SetSkew(int64_t offset_ns, int64_t drift_ppb);
  bool skewed() const { return skewed_; }

 private:
  int64_t Mapped(int64_t virtual_ns) const;  // the formula without the floor, saturated
  int64_t SkewedToHost(int64_t virtual_ns) const;
  int64_t SkewedToVirtual(int64_t host_ns) const;

  const SimCore& core_;
  bool skewed_ = false;  // false: host time is virtual time (the fast path)
  int64_t offset_ns_ = 0;
  int64_t drift_ppb_ = 0;
  int64_t since_ns_ = 0;
  int64_t floor_ns_ = 0;
};

// Fibers of one simulated host. Suspension calls must come from this host's own fibers (asserted).
// Deadlines are in the host's clock (`clock`, or virtual time if null): SleepUntil / Park(deadline)
// put a timer on the world event queue at the virtual time the host clock reaches the deadline,
// and cancel it when the fiber wakes otherwise or is unwound. While the fiber is being unwound (a
// crash), suspension calls return at once instead of suspending, so destructors cannot hang a
// crash.
// Pause (a GC stall): while paused, no host code runs. A fiber that would resume from a suspension
// point (woken by a timer, a delivery, an Unpark), and a new fiber that would start, parks at a
// gate instead, and continues when the pause ends, seeing the clock jumped forward; what woke it
// has happened meanwhile (a timer's deadline passed, bytes sit in a receive buffer).
class SimFibers final : public Fibers {
 public:
  SimFibers(SimCore& core, HostId host, std::string host_name, const SimClock* clock = nullptr)
      : core_(core), host_(host), host_name_(std::move(host_name)), clock_(clock) {}

  // Returns kNoFiber while the host is down or crashing. Never suspends. Callable from world
  // context too (the fiber then belongs to this host).
  FiberId Spawn(std::string name, std::function<void()> body) override;
  void Yield() override;
  void SleepFor(int64_t duration_ns) override;
  void SleepUntil(int64_t deadline_ns) override;
  void Join(FiberId id) override;
  void Cancel(FiberId id) override;
  FiberId Current() const override;
  bool Park(int64_t deadline_ns) override;
  void Unpark(FiberId id) override;
  // Sleeps records × work_cost_ns (none while the cost is 0).
  void AccountWork(int64_t records) override;
  void set_work_cost_ns(int64_t ns_per_record) { work_cost_ns_ = ns_per_record; }

  // Set by the World: true from host start to crash. Spawn fails while false.
  void set_up(bool up) { up_ = up; }
  // Pauses (true) or resumes (false) the host's fibers; resuming makes every gated fiber
  // runnable, in the order they reached the gate. World context or any fiber; never suspends.
  void SetPaused(bool paused);
  bool paused() const { return paused_; }
  // Moves every pending Park/Sleep timer to the virtual time at which the host clock now reaches
  // its deadline (after SimClock::SetSkew). Never suspends.
  void RearmTimers();

 private:
  struct Wake;
  void AssertInOwnFiber() const;
  int64_t work_cost_ns_ = 0;  // per record processed (World::SetWorkCost)
  int64_t HostNow() const { return clock_ ? clock_->NowNs() : core_.now_ns(); }
  int64_t ToVirtual(int64_t host_ns) const { return clock_ ? clock_->ToVirtual(host_ns) : host_ns; }
  bool ParkUntil(int64_t deadline_ns);  // Park without the pause gate
  void Arm(Wake& wake);
  // Parks the calling fiber while the host is paused (not while it unwinds). May suspend.
  void WaitWhilePaused() {
    if (paused_) WaitAtGate();
  }
  void WaitAtGate();

  SimCore& core_;
  const HostId host_;
  const std::string host_name_;
  const SimClock* const clock_;
  bool up_ = false;
  bool paused_ = false;
  std::vector<FiberId> gated_;  // fibers parked at the pause gate, in arrival order
  Wake* armed_head_ = nullptr;  // intrusive list of the Park timers pending, oldest first
  Wake* armed_tail_ = nullptr;
};

// Forwards every record to `sink` (the World). Never suspends.
class SimEventLog final : public EventLog {
 public:
  using Sink = std::function<void(Severity, std::string_view, std::string_view, EventFields)>;
  explicit SimEventLog(Sink sink) : sink_(std::move(sink)) {}
  void Record(Severity severity, std::string_view category, std::string_view message) override {
    sink_(severity, category, message, {});
  }
  void RecordWithFields(Severity severity, std::string_view category, std::string_view message,
                        EventFields fields) override {
    sink_(severity, category, message, fields);
  }

 private:
  Sink sink_;
};

}  // namespace sluice::sim
