// The per-host runtime pieces of a simulated host that are not I/O: its Clock (the world's virtual
// time), its Fibers (the world Scheduler's group `host id`, with timers on the world event queue)
// and its EventLog (forwarded to the World, which folds it into the trace and tells observers).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/runtime/clock.h"
#include "engine/runtime/event_log.h"
#include "engine/runtime/fibers.h"
#include "simnet/sim_core.h"

namespace sluice::sim {

// Reads the world's virtual time. Every host shares the same origin (0 = world start).
class SimClock final : public Clock {
 public:
  explicit SimClock(const SimCore& core) : core_(core) {}
  int64_t NowNs() const override { return core_.now_ns(); }

 private:
  const SimCore& core_;
};

// Fibers of one simulated host. Suspension calls must come from this host's own fibers (asserted).
// SleepUntil / Park(deadline) put a timer on the world event queue and cancel it when the fiber
// wakes otherwise or is unwound. While the fiber is being unwound (a crash), suspension calls
// return at once instead of suspending, so destructors cannot hang a crash.
class SimFibers final : public Fibers {
 public:
  SimFibers(SimCore& core, HostId host, std::string host_name)
      : core_(core), host_(host), host_name_(std::move(host_name)) {}

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

  // Set by the World: true from host start to crash. Spawn fails while false.
  void set_up(bool up) { up_ = up; }

 private:
  void AssertInOwnFiber() const;

  SimCore& core_;
  const HostId host_;
  const std::string host_name_;
  bool up_ = false;
};

// Forwards every record to `sink` (the World). Never suspends.
class SimEventLog final : public EventLog {
 public:
  using Sink = std::function<void(Severity, std::string_view, std::string_view)>;
  explicit SimEventLog(Sink sink) : sink_(std::move(sink)) {}
  void Record(Severity severity, std::string_view category, std::string_view message) override {
    sink_(severity, category, message);
  }

 private:
  Sink sink_;
};

}  // namespace sluice::sim
