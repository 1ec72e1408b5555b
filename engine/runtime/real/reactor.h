// Reactor: the real host's event loop, and the Fibers implementation it drives.
//
// One OS thread runs a sluice::Scheduler (group kHostGroup) and, whenever the runnable fibers have
// had their turn, fires due timers (a TimerQueue of CLOCK_MONOTONIC deadlines) and waits in
// epoll_pwait2 for file-descriptor readiness, at most until the next timer (not at all while
// fibers are runnable). Timed waits (SleepFor, SleepUntil, Park with a deadline, WaitFd with a
// deadline) register a timer that unparks the fiber; the timer is cancelled as soon as the fiber
// wakes for another reason or is cancelled, so no wake-up is ever stale.
//
// File descriptors are registered edge-triggered for input and output. The pattern for I/O is:
// try the non-blocking syscall; on EAGAIN call WaitFd and retry. WaitFd may return early
// (spurious readiness), never late, so callers always loop.
//
// Not thread-safe: the Reactor, its Scheduler and every object registered with it belong to the
// one OS thread that calls RunUntilFinished. The Reactor must outlive every registered fd.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/base/status.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/fibers.h"
#include "engine/runtime/scheduler.h"
#include "engine/runtime/timer_queue.h"

struct epoll_event;

namespace sluice::real {

// The Scheduler group of every fiber of the real host (one host per process thread).
constexpr uint32_t kHostGroup = 0;

class Reactor final : public Fibers {
 public:
  enum class Direction { kReadable, kWritable };
  using FdToken = uint64_t;

  // Creates the epoll instance; aborts if the kernel refuses (out of fds at start-up is a bug).
  Reactor(Scheduler& scheduler, const Clock& clock);
  // Closes the epoll instance. Every registered fd must have been unregistered.
  ~Reactor() override;
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // --- Fibers (see fibers.h). Fibers join group kHostGroup. ---
  FiberId Spawn(std::string name, std::function<void()> body) override;
  void Yield() override;
  void SleepFor(int64_t duration_ns) override;
  void SleepUntil(int64_t deadline_ns) override;
  void Join(FiberId id) override;
  void Cancel(FiberId id) override;
  FiberId Current() const override;
  bool Park(int64_t deadline_ns) override;
  // Nothing: on a real host the work took its real time.
  void AccountWork(int64_t) override {}
  void Unpark(FiberId id) override;

  // --- Event loop. Called from the driving thread outside any fiber. ---
  // Runs fibers, timers and I/O until fiber `main` has finished (at once if it is not live).
  // Blocks the thread in epoll while nothing is runnable. Returns kInternal ("deadlock") if `main`
  // is still live while nothing could ever wake a fiber again: none runnable, no timer pending
  // and no fd registered. Fibers still live on return are left to the caller (KillGroup).
  Status RunUntilFinished(FiberId main);

  // --- File descriptors. Called from fibers or the driving thread. ---
  // Registers non-blocking `fd` for edge-triggered readiness. Returns a token for WaitFd /
  // UnregisterFd. Fails only if epoll_ctl does: kResourceExhausted (ENOMEM, ENOSPC: the epoll
  // watch limit), else kInternal. Never suspends.
  Result<FdToken> RegisterFd(int fd);
  // Forgets the fd (before the caller closes it) and unparks every fiber waiting on it; they must
  // notice that their object was closed. Unknown tokens are ignored. Never suspends.
  void UnregisterFd(FdToken token);
  // Suspends the calling fiber until the fd may be ready in `direction` (or has an error or
  // hang-up), until it is unregistered, or until deadline_ns (host clock; < 0: none). Returns false
  // on timeout, true otherwise (readiness is a hint: retry the syscall). Throws FiberCancelled. May
  // suspend.
  bool WaitFd(FdToken token, Direction direction, int64_t deadline_ns);

  const Clock& clock() const { return clock_; }
  size_t registered_fd_count() const { return registrations_.size(); }
  size_t pending_timer_count() const { return timers_.size(); }

 private:
  struct Registration {
    int fd = -1;
    std::vector<FiberId> readers;
    std::vector<FiberId> writers;
  };
  struct ParkWait {
    bool unparked = false;
    bool timed_out = false;
  };

  // Runs at most the fibers runnable on entry, so a fiber that keeps yielding cannot starve I/O.
  void RunRunnableBatch();
  void FireDueTimers();
  // Waits for readiness up to the next timer (not at all if fibers are runnable) and unparks the
  // fibers waiting on ready fds.
  void PollOnce();
  int WaitForEvents(struct epoll_event* events, int events_max);
  void Dispatch(FdToken token, uint32_t events);
  static void RemoveWaiter(std::vector<FiberId>* waiters, FiberId id);

  Scheduler& scheduler_;
  const Clock& clock_;
  int epoll_fd_ = -1;
  bool epoll_pwait2_missing_ = false;  // old kernel: fall back to epoll_wait (ms resolution)
  TimerQueue timers_;
  std::unordered_map<FiberId, ParkWait*> timed_parks_;  // fibers in Park with a deadline
  std::unordered_map<FdToken, Registration> registrations_;
  FdToken next_token_ = 1;
};

}  // namespace sluice::real
