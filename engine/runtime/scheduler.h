// Scheduler: the fiber core shared by the real runtime and the simulator. Fibers are
// Boost.Context `fiber`s with their own stacks; the scheduler runs on the caller's OS thread and
// switches into a fiber until it suspends (Yield, Park) or finishes.
//
// It knows nothing of time or I/O: the world that drives it (real reactor or simulated World)
// implements timers and readiness by calling Unpark. Fibers are grouped (one group per host) so
// that a simulated crash can unwind all of a host's fibers at once (KillGroup).
//
// Determinism: ids are assigned in spawn order; the run queue is FIFO, or, when a Random picker is
// set (simulation), the next fiber is drawn uniformly from the runnable ones.
// Not thread-safe: one OS thread drives a Scheduler.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/runtime/fibers.h"
#include "engine/runtime/random.h"

namespace sluice {

class Scheduler {
 public:
  static constexpr size_t kDefaultStackSizeBytes = 256 * 1024;

  explicit Scheduler(size_t stack_size_bytes = kDefaultStackSizeBytes);
  // Unwinds every remaining fiber (as KillGroup does), then frees the stacks.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Creates a runnable fiber in `group`. Returns kNoFiber while that group is being killed.
  FiberId Spawn(uint32_t group, std::string name, std::function<void()> body);

  // --- Called from inside a fiber. ---
  // Requeues the calling fiber at the back and switches away.
  void Yield();
  // Suspends the calling fiber until Unpark. Returns true when unparked. Throws FiberCancelled if
  // the fiber is cancelled (before or while parked); while the fiber is already unwinding it
  // returns false at once instead of suspending.
  bool Park();
  // Suspends until fiber `id` has finished (at once if it has). Throws FiberCancelled like Park.
  void Join(FiberId id);

  // --- Callable from anywhere on the driving thread. ---
  void Unpark(FiberId id);
  void Cancel(FiberId id);
  FiberId Current() const;
  uint32_t CurrentGroup() const;
  bool InFiber() const { return current_ != nullptr; }
  bool IsLive(FiberId id) const { return fibers_.count(id) != 0; }
  size_t LiveCount() const { return fibers_.size(); }
  size_t LiveCountInGroup(uint32_t group) const;
  size_t RunnableCount() const { return run_queue_.size(); }
  // Uniform choice among runnable fibers (simulation); nullptr for FIFO.
  void SetPicker(Random* picker) { picker_ = picker; }
  // Total fiber switches so far (for benchmarks and the trace).
  uint64_t switch_count() const { return switch_count_; }

  // --- Called from the driving thread outside any fiber. ---
  // Runs one runnable fiber until it suspends or finishes. Returns false if none was runnable.
  // Calls `on_switch(id)` (if set) before switching in, which the simulator folds into its trace.
  bool RunOne();
  void SetSwitchHook(std::function<void(FiberId)> hook) { on_switch_ = std::move(hook); }
  // Cancels every fiber of `group` and runs each, newest first, until it has unwound.
  // Fibers that never started are dropped without running.
  void KillGroup(uint32_t group);

 private:
  struct Fiber;
  Fiber* Find(FiberId id) const;
  void Enqueue(Fiber* fiber);
  void RemoveFromRunQueue(Fiber* fiber);
  void SwitchIn(Fiber* fiber);
  void SwitchOut();
  void Finish(Fiber* fiber);

  size_t stack_size_bytes_;
  std::map<FiberId, std::unique_ptr<Fiber>> fibers_;
  std::deque<Fiber*> run_queue_;
  std::vector<uint32_t> dying_groups_;
  Fiber* current_ = nullptr;
  FiberId next_id_ = 1;
  Random* picker_ = nullptr;
  uint64_t switch_count_ = 0;
  std::function<void(FiberId)> on_switch_;
  std::vector<std::unique_ptr<Fiber>> finished_;  // freed on the scheduler's stack, not their own
};

}  // namespace sluice
