// Fibers: cooperative user-space threads of one host. All of a host's fibers run on one OS thread
// and switch only at suspension points (calls documented "may suspend"), so host code needs no
// locks; it must never block the OS thread (no blocking syscalls outside runtime/real/).
//
// Cancellation: Cancel(id) marks the fiber; at its next suspension point (or at once, if it is
// suspended) the suspension call throws FiberCancelled, which unwinds the fiber's stack, running
// destructors. Never catch FiberCancelled except to rethrow (and every `catch (...)` must rethrow).
// A simulated crash cancels every fiber of the host, newest first. Destructors must not suspend.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace sluice {

using FiberId = uint64_t;
constexpr FiberId kNoFiber = 0;

// Thrown at a suspension point of a cancelled fiber. Not an std::exception on purpose, so that
// `catch (const std::exception&)` does not swallow it.
struct FiberCancelled {};

class Fibers {
 public:
  virtual ~Fibers() = default;

  // Starts `body` as a new fiber of this host; it first runs at the next scheduling point.
  // Returns kNoFiber if the host is shutting down (crashing). Never suspends.
  virtual FiberId Spawn(std::string name, std::function<void()> body) = 0;
  // Lets other runnable fibers run. May suspend.
  virtual void Yield() = 0;
  // Suspends for `duration_ns` of this host's clock (<= 0 behaves as Yield). May suspend.
  virtual void SleepFor(int64_t duration_ns) = 0;
  // Suspends until Clock::NowNs() >= deadline_ns. May suspend.
  virtual void SleepUntil(int64_t deadline_ns) = 0;
  // Waits until fiber `id` has finished (returns at once if it has, or never existed). May suspend.
  virtual void Join(FiberId id) = 0;
  // Requests cancellation of `id` (see above). Cancelling oneself throws at the next suspension.
  // Never suspends.
  virtual void Cancel(FiberId id) = 0;
  // The calling fiber's id.
  virtual FiberId Current() const = 0;

  // Accounts for `records` records the calling fiber has just processed (a task calls it per
  // batch). Real runtime: nothing, the work took its real time. Simulator: suspends for `records`
  // times the host's cost per record (sim::World::SetWorkCost; 0 by default: no suspension), so
  // that processing occupies simulated time: busy time, a throughput ceiling and backpressure
  // from slow operators exist there too. May suspend.
  virtual void AccountWork(int64_t records) = 0;

  // Low-level wait used by runtime/sync.h: suspends the calling fiber until Unpark(its id) or until
  // the deadline (ns, host clock; < 0 means none). Returns true when unparked, false on timeout.
  // Spurious wake-ups are allowed: callers re-check their condition. May suspend.
  virtual bool Park(int64_t deadline_ns) = 0;
  // Makes a parked fiber runnable. No effect on a fiber that is not parked. Never suspends.
  virtual void Unpark(FiberId id) = 0;
};

}  // namespace sluice
