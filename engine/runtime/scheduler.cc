#include "engine/runtime/scheduler.h"

#include <algorithm>
#include <boost/context/fiber.hpp>
#include <boost/context/fixedsize_stack.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "engine/base/assert.h"

#if defined(__SANITIZE_ADDRESS__)  // GCC
#define SLUICE_ASAN_FIBERS 1
#elif defined(__has_feature)  // Clang
#if __has_feature(address_sanitizer)
#define SLUICE_ASAN_FIBERS 1
#endif
#endif
#ifndef SLUICE_ASAN_FIBERS
#define SLUICE_ASAN_FIBERS 0
#endif
#if SLUICE_ASAN_FIBERS
#include <sanitizer/common_interface_defs.h>
#endif

namespace sluice {

namespace ctx = boost::context;

namespace {

// AddressSanitizer's view of one fiber's stack. ASan must be told which stack is live at every
// switch (__sanitizer_start_switch_fiber just before, __sanitizer_finish_switch_fiber first thing
// after); otherwise an exception thrown on a fiber stack (FiberCancelled) makes it unpoison the
// wrong range, and false stack-buffer-overflow reports follow. Empty, and every call a no-op,
// unless the build has -fsanitize=address.
//
// A switch has two sides. The side that resumes a fiber (the scheduler) brackets the resume with
// BeforeResume/AfterResume; the fiber brackets each suspension with BeforeSuspend/AfterSuspend,
// calls OnEntry first thing and BeforeExit last thing. `fake_stack` is a slot on the switching
// side's own stack where ASan parks that side's fake stack (detect_stack_use_after_return) while
// it is switched out.
class SwitchAnnotations {
 public:
#if SLUICE_ASAN_FIBERS
  void BeforeResume(void** fake_stack) const {
    SLUICE_ASSERT(stack_.sp != nullptr, "the stack allocator did not record the fiber's stack");
    SLUICE_ASSERT(stack_.size != 0, "a fiber stack has a size");
    __sanitizer_start_switch_fiber(fake_stack, static_cast<char*>(stack_.sp) - stack_.size,
                                   stack_.size);
  }
  static void AfterResume(void* fake_stack) {
    __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
  }
  void OnEntry() { __sanitizer_finish_switch_fiber(nullptr, &resumer_bottom_, &resumer_size_); }
  void BeforeSuspend(void** fake_stack) const {
    SLUICE_ASSERT(resumer_bottom_ != nullptr, "suspending a fiber that was never entered");
    __sanitizer_start_switch_fiber(fake_stack, resumer_bottom_, resumer_size_);
  }
  void AfterSuspend(void* fake_stack) {
    __sanitizer_finish_switch_fiber(fake_stack, &resumer_bottom_, &resumer_size_);
  }
  // A null save slot: this fiber will not run again, so ASan frees its fake stack.
  void BeforeExit() const {
    __sanitizer_start_switch_fiber(nullptr, resumer_bottom_, resumer_size_);
  }

  ctx::stack_context* stack() { return &stack_; }
  // Set on a fiber that is torn down before it ever ran (see KillGroup).
  void Drop() { dropped_ = true; }
  bool dropped() const { return dropped_; }

 private:
  ctx::stack_context stack_;              // the fiber's own stack, as allocated (RecordingStack)
  const void* resumer_bottom_ = nullptr;  // the stack that last resumed the fiber
  size_t resumer_size_ = 0;
  bool dropped_ = false;
#else
  void BeforeResume(void**) const {}
  static void AfterResume(void*) {}
  void OnEntry() {}
  void BeforeSuspend(void**) const {}
  void AfterSuspend(void*) {}
  void BeforeExit() const {}
  static constexpr bool dropped() { return false; }
#endif
};

#if SLUICE_ASAN_FIBERS
// Boost's fixedsize_stack (as in normal builds) that also records where each stack lies.
class RecordingStack {
 public:
  RecordingStack(size_t size_bytes, ctx::stack_context* record)
      : allocator_(size_bytes), record_(record) {}
  ctx::stack_context allocate() {
    *record_ = allocator_.allocate();
    return *record_;
  }
  void deallocate(ctx::stack_context& stack) noexcept { allocator_.deallocate(stack); }

 private:
  ctx::fixedsize_stack allocator_;
  ctx::stack_context* record_;
};

RecordingStack StackAllocator(size_t size_bytes, SwitchAnnotations& asan) {
  return RecordingStack(size_bytes, asan.stack());
}
#else
ctx::fixedsize_stack StackAllocator(size_t size_bytes, SwitchAnnotations&) {
  return ctx::fixedsize_stack(size_bytes);
}
#endif

// Resumes `fiber` (from outside it) until it suspends or finishes; returns its continuation.
ctx::fiber ResumeFiber(ctx::fiber&& fiber, const SwitchAnnotations& asan) {
  void* fake_stack = nullptr;
  asan.BeforeResume(&fake_stack);
  ctx::fiber suspended = std::move(fiber).resume();
  SwitchAnnotations::AfterResume(fake_stack);
  return suspended;
}

// From inside a fiber: switches back to `resumer` until the fiber is resumed again.
ctx::fiber SuspendFiber(ctx::fiber&& resumer, SwitchAnnotations& asan) {
  void* fake_stack = nullptr;
  asan.BeforeSuspend(&fake_stack);
  ctx::fiber resumed_by = std::move(resumer).resume();
  asan.AfterSuspend(fake_stack);
  return resumed_by;
}

}  // namespace

struct Scheduler::Fiber {
  enum class State { kNew, kRunnable, kRunning, kParked, kDone };
  FiberId id = kNoFiber;
  uint32_t group = 0;
  std::string name;
  std::function<void()> body;
  ctx::fiber context;    // the fiber's own continuation while it is suspended
  ctx::fiber return_to;  // the scheduler's continuation while the fiber runs
  State state = State::kNew;
  bool queued = false;
  bool cancelled = false;
  bool unparked = false;
  std::vector<FiberId> joiners;
  [[no_unique_address]] SwitchAnnotations asan;
};

Scheduler::Scheduler(size_t stack_size_bytes) : stack_size_bytes_(stack_size_bytes) {}

Scheduler::~Scheduler() {
  std::vector<uint32_t> groups;
  for (auto& [id, fiber] : fibers_) groups.push_back(fiber->group);
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  for (uint32_t group : groups) KillGroup(group);
  finished_.clear();
}

Scheduler::Fiber* Scheduler::Find(FiberId id) const {
  auto it = fibers_.find(id);
  return it == fibers_.end() ? nullptr : it->second.get();
}

FiberId Scheduler::Spawn(uint32_t group, std::string name, std::function<void()> body) {
  if (std::find(dying_groups_.begin(), dying_groups_.end(), group) != dying_groups_.end()) {
    return kNoFiber;
  }
  auto fiber = std::make_unique<Fiber>();
  Fiber* f = fiber.get();
  f->id = next_id_++;
  f->group = group;
  f->name = std::move(name);
  f->body = std::move(body);
  f->context = ctx::fiber(std::allocator_arg, StackAllocator(stack_size_bytes_, f->asan),
                          [this, f](ctx::fiber&& scheduler) {
                            f->asan.OnEntry();
                            f->return_to = std::move(scheduler);
                            if (!f->asan.dropped()) {
                              try {
                                f->body();
                              } catch (const FiberCancelled&) {
                                // Normal end of a cancelled fiber.
                              } catch (const std::exception& e) {
                                std::fprintf(stderr, "fiber %s: uncaught exception: %s\n",
                                             f->name.c_str(), e.what());
                                std::abort();
                              }
                              f->body = nullptr;  // destroy captures on this stack's watch
                              Finish(f);
                            }
                            f->asan.BeforeExit();
                            return std::move(f->return_to);
                          });
  fibers_.emplace(f->id, std::move(fiber));
  Enqueue(f);
  return f->id;
}

void Scheduler::Enqueue(Fiber* fiber) {
  if (fiber->queued) return;
  fiber->queued = true;
  if (fiber->state != Fiber::State::kNew) fiber->state = Fiber::State::kRunnable;
  run_queue_.push_back(fiber);
}

void Scheduler::RemoveFromRunQueue(Fiber* fiber) {
  if (!fiber->queued) return;
  run_queue_.erase(std::find(run_queue_.begin(), run_queue_.end(), fiber));
  fiber->queued = false;
}

void Scheduler::Finish(Fiber* fiber) {
  fiber->state = Fiber::State::kDone;
  for (FiberId joiner : fiber->joiners) Unpark(joiner);
  fiber->joiners.clear();
}

void Scheduler::SwitchIn(Fiber* fiber) {
  SLUICE_ASSERT(current_ == nullptr, "SwitchIn from inside a fiber");
  if (on_switch_) on_switch_(fiber->id);
  ++switch_count_;
  current_ = fiber;
  fiber->state = Fiber::State::kRunning;
  fiber->context = ResumeFiber(std::move(fiber->context), fiber->asan);
  current_ = nullptr;
  if (fiber->state == Fiber::State::kDone) {
    // The fiber has returned; its stack is free to release now that we are off it.
    auto it = fibers_.find(fiber->id);
    finished_.push_back(std::move(it->second));
    fibers_.erase(it);
    finished_.clear();
  }
}

void Scheduler::SwitchOut() {
  Fiber* self = current_;
  SLUICE_ASSERT(self != nullptr, "suspension outside a fiber");
  self->return_to = SuspendFiber(std::move(self->return_to), self->asan);
}

bool Scheduler::RunOne() {
  if (run_queue_.empty()) return false;
  Fiber* next;
  if (picker_ != nullptr && run_queue_.size() > 1) {
    const size_t index = picker_->Uniform(run_queue_.size());
    next = run_queue_[index];
    run_queue_.erase(run_queue_.begin() + static_cast<std::ptrdiff_t>(index));
  } else {
    next = run_queue_.front();
    run_queue_.pop_front();
  }
  next->queued = false;
  SwitchIn(next);
  return true;
}

void Scheduler::Yield() {
  Fiber* self = current_;
  SLUICE_ASSERT(self != nullptr, "called from inside a fiber");
  if (self->cancelled && std::uncaught_exceptions() == 0) throw FiberCancelled{};
  Enqueue(self);
  SwitchOut();
  if (self->cancelled && std::uncaught_exceptions() == 0) throw FiberCancelled{};
}

bool Scheduler::Park() {
  Fiber* self = current_;
  SLUICE_ASSERT(self != nullptr, "called from inside a fiber");
  if (self->cancelled) {
    if (std::uncaught_exceptions() == 0) throw FiberCancelled{};
    return false;
  }
  self->state = Fiber::State::kParked;
  self->unparked = false;
  SwitchOut();
  if (self->cancelled && std::uncaught_exceptions() == 0) throw FiberCancelled{};
  return self->unparked;
}

void Scheduler::Join(FiberId id) {
  Fiber* self = current_;
  SLUICE_ASSERT(self != nullptr, "Join is called from inside a fiber");
  SLUICE_ASSERT(id != self->id, "a fiber cannot join itself");
  while (Fiber* target = Find(id)) {
    if (target->state == Fiber::State::kDone) return;
    target->joiners.push_back(self->id);
    if (!Park() && self->cancelled) return;
  }
}

void Scheduler::Unpark(FiberId id) {
  Fiber* fiber = Find(id);
  if (fiber == nullptr || fiber->state != Fiber::State::kParked) return;
  fiber->unparked = true;
  Enqueue(fiber);
}

void Scheduler::Cancel(FiberId id) {
  Fiber* fiber = Find(id);
  if (fiber == nullptr || fiber->state == Fiber::State::kDone) return;
  fiber->cancelled = true;
  if (fiber->state == Fiber::State::kParked) Enqueue(fiber);
}

FiberId Scheduler::Current() const { return current_ ? current_->id : kNoFiber; }
uint32_t Scheduler::CurrentGroup() const { return current_ ? current_->group : 0; }

size_t Scheduler::LiveCountInGroup(uint32_t group) const {
  size_t n = 0;
  for (const auto& [id, fiber] : fibers_) n += fiber->group == group ? 1 : 0;
  return n;
}

void Scheduler::KillGroup(uint32_t group) {
  SLUICE_ASSERT(current_ == nullptr, "KillGroup must run outside fibers");
  dying_groups_.push_back(group);
  for (;;) {
    // Newest first: later fibers may point into the stacks of the fibers that spawned them.
    Fiber* victim = nullptr;
    for (auto it = fibers_.rbegin(); it != fibers_.rend(); ++it) {
      if (it->second->group == group) {
        victim = it->second.get();
        break;
      }
    }
    if (victim == nullptr) break;
    RemoveFromRunQueue(victim);
    if (victim->state == Fiber::State::kNew) {
#if SLUICE_ASAN_FIBERS
      // Destroying a Boost fiber that never ran unwinds its stack by throwing through it, a
      // switch we cannot annotate. Under ASan, enter it once instead: a dropped fiber returns at
      // once without running its body or waking joiners, exactly as if it were just destroyed.
      victim->asan.Drop();
      victim->context = ResumeFiber(std::move(victim->context), victim->asan);
#endif
      fibers_.erase(victim->id);  // never entered: nothing to unwind
      continue;
    }
    victim->cancelled = true;
    const FiberId victim_id = victim->id;  // SwitchIn frees the fiber once it has unwound
    for (int rounds = 0; (victim = Find(victim_id)) != nullptr; ++rounds) {
      if (rounds > 1000) {
        std::fprintf(stderr, "fiber %s does not unwind after cancellation\n", victim->name.c_str());
        std::abort();
      }
      RemoveFromRunQueue(victim);
      SwitchIn(victim);
    }
  }
  dying_groups_.erase(std::find(dying_groups_.begin(), dying_groups_.end(), group));
}

}  // namespace sluice
