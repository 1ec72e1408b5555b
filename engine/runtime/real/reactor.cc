#include "engine/runtime/real/reactor.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "engine/base/assert.h"

namespace sluice::real {
namespace {

// Readiness events taken per epoll call; more stay queued in the kernel for the next call.
constexpr int kEpollEventsMax = 256;
// Events that wake a fiber waiting to read (errors and hang-ups wake it so it sees them).
constexpr uint32_t kReadWakeEvents = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
constexpr uint32_t kWriteWakeEvents = EPOLLOUT | EPOLLHUP | EPOLLERR;

[[noreturn]] void Die(const char* what, int error) {
  std::fprintf(stderr, "sluice reactor: %s: %s\n", what, std::strerror(error));
  std::abort();
}

}  // namespace

Reactor::Reactor(Scheduler& scheduler, const Clock& clock) : scheduler_(scheduler), clock_(clock) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) Die("epoll_create1", errno);
}

Reactor::~Reactor() {
  SLUICE_ASSERT(registrations_.empty(), "a registered fd outlives its reactor");
  SLUICE_ASSERT(timed_parks_.empty(), "a fiber is still parked in this reactor");
  ::close(epoll_fd_);
}

// --- Fibers ---

FiberId Reactor::Spawn(std::string name, std::function<void()> body) {
  return scheduler_.Spawn(kHostGroup, std::move(name), std::move(body));
}

void Reactor::Yield() { scheduler_.Yield(); }

void Reactor::SleepFor(int64_t duration_ns) {
  if (duration_ns <= 0) return Yield();
  SleepUntil(clock_.NowNs() + duration_ns);
}

void Reactor::SleepUntil(int64_t deadline_ns) {
  if (clock_.NowNs() >= deadline_ns) return Yield();
  // Park returns false at the deadline (or at once while the fiber unwinds), true after an Unpark
  // meant for some other wait, after which the sleep goes on.
  while (Park(deadline_ns) && clock_.NowNs() < deadline_ns) {
  }
}

void Reactor::Join(FiberId id) { scheduler_.Join(id); }

void Reactor::Cancel(FiberId id) { scheduler_.Cancel(id); }

FiberId Reactor::Current() const { return scheduler_.Current(); }

bool Reactor::Park(int64_t deadline_ns) {
  if (deadline_ns < 0) return scheduler_.Park();
  const FiberId self = scheduler_.Current();
  SLUICE_ASSERT(self != kNoFiber, "Park outside a fiber");
  SLUICE_ASSERT(timed_parks_.count(self) == 0, "a fiber cannot be in two timed parks");
  ParkWait wait;
  // The timer and the map entry point at `wait` on this stack; the guard removes both on every
  // way out (wake-up, timeout, FiberCancelled), so neither can outlive this frame.
  const TimerQueue::Handle timer = timers_.Add(deadline_ns, [this, self, &wait] {
    wait.timed_out = true;
    scheduler_.Unpark(self);
  });
  timed_parks_.emplace(self, &wait);
  struct Guard {
    Reactor* reactor;
    FiberId self;
    TimerQueue::Handle timer;
    ~Guard() {
      reactor->timers_.Cancel(timer);
      reactor->timed_parks_.erase(self);
    }
  } guard{this, self, timer};
  if (!scheduler_.Park()) return false;  // only while unwinding after cancellation
  // An Unpark that raced with the timer (both before the fiber ran again) counts as a wake-up.
  return wait.unparked || !wait.timed_out;
}

void Reactor::Unpark(FiberId id) {
  auto it = timed_parks_.find(id);
  if (it != timed_parks_.end()) it->second->unparked = true;
  scheduler_.Unpark(id);
}

// --- Event loop ---

Status Reactor::RunUntilFinished(FiberId main) {
  SLUICE_ASSERT(!scheduler_.InFiber(), "the event loop runs outside fibers");
  while (scheduler_.IsLive(main)) {
    RunRunnableBatch();
    if (!scheduler_.IsLive(main)) break;
    FireDueTimers();
    if (scheduler_.RunnableCount() == 0 && timers_.empty() && registrations_.empty()) {
      return InternalError(
          "deadlock: the main fiber waits, but no fiber is runnable, no timer "
          "is pending and no fd is registered");
    }
    PollOnce();
  }
  return Status::Ok();
}

void Reactor::RunRunnableBatch() {
  for (size_t budget = scheduler_.RunnableCount(); budget > 0 && scheduler_.RunOne(); --budget) {
  }
}

void Reactor::FireDueTimers() {
  const int64_t now_ns = clock_.NowNs();
  std::function<void()> callback;
  // Bounded by the number of pending timers: callbacks only unpark, they never add timers.
  while (timers_.PopDue(now_ns, &callback)) callback();
}

void Reactor::PollOnce() {
  struct epoll_event events[kEpollEventsMax];
  const int count = WaitForEvents(events, kEpollEventsMax);
  SLUICE_ASSERT(count >= 0, "epoll_wait failed only with EINTR, handled above");
  SLUICE_ASSERT(count <= kEpollEventsMax, "epoll_wait returns at most maxevents");
  for (int i = 0; i < count; ++i) Dispatch(events[i].data.u64, events[i].events);
}

int Reactor::WaitForEvents(struct epoll_event* events, int events_max) {
  int64_t timeout_ns = -1;  // no runnable fiber and no timer: wait for I/O only
  if (scheduler_.RunnableCount() > 0) {
    timeout_ns = 0;
  } else if (!timers_.empty()) {
    timeout_ns = std::max<int64_t>(0, timers_.NextDeadline() - clock_.NowNs());
  }
  int count = -1;
  if (!epoll_pwait2_missing_) {
    const struct timespec timeout = {static_cast<time_t>(timeout_ns / kNanosPerSecond),
                                     static_cast<long>(timeout_ns % kNanosPerSecond)};
    count =
        epoll_pwait2(epoll_fd_, events, events_max, timeout_ns < 0 ? nullptr : &timeout, nullptr);
    if (count < 0 && errno == ENOSYS) {
      epoll_pwait2_missing_ = true;  // kernel < 5.11; the next call uses epoll_wait
      return 0;
    }
  } else {
    // Round up so a timer is never fired early and the loop does not spin before it is due.
    const int64_t timeout_ms =
        timeout_ns < 0
            ? -1
            : std::min<int64_t>(INT_MAX, (timeout_ns + kNanosPerMilli - 1) / kNanosPerMilli);
    count = epoll_wait(epoll_fd_, events, events_max, static_cast<int>(timeout_ms));
  }
  if (count < 0) {
    if (errno == EINTR) return 0;
    Die("epoll_wait", errno);
  }
  return count;
}

void Reactor::Dispatch(FdToken token, uint32_t events) {
  auto it = registrations_.find(token);
  if (it == registrations_.end()) return;  // unregistered since the kernel queued the event
  // Unpark only queues fibers; it never runs them, so the waiter lists do not change here.
  if ((events & kReadWakeEvents) != 0) {
    for (FiberId id : it->second.readers) Unpark(id);
  }
  if ((events & kWriteWakeEvents) != 0) {
    for (FiberId id : it->second.writers) Unpark(id);
  }
}

// --- File descriptors ---

Result<Reactor::FdToken> Reactor::RegisterFd(int fd) {
  SLUICE_ASSERT(fd >= 0, "a registered fd is open");
  const FdToken token = next_token_++;
  struct epoll_event event = {};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.u64 = token;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    const int error = errno;
    std::string message = "epoll_ctl(ADD, fd " + std::to_string(fd) + "): " + std::strerror(error);
    if (error == ENOMEM || error == ENOSPC) return ResourceExhaustedError(std::move(message));
    return InternalError(std::move(message));
  }
  Registration& registration = registrations_[token];
  registration.fd = fd;
  return token;
}

void Reactor::UnregisterFd(FdToken token) {
  auto node = registrations_.extract(token);
  if (node.empty()) return;
  Registration& registration = node.mapped();
  // Fails only if the caller closed the fd first, which is a bug; the kernel has then dropped it.
  const int rc = epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, registration.fd, nullptr);
  SLUICE_ASSERT(rc == 0, "UnregisterFd must come before close(2)");
  (void)rc;
  for (FiberId id : registration.readers) Unpark(id);
  for (FiberId id : registration.writers) Unpark(id);
}

bool Reactor::WaitFd(FdToken token, Direction direction, int64_t deadline_ns) {
  auto it = registrations_.find(token);
  if (it == registrations_.end()) return true;  // closed: the caller sees it when it retries
  const FiberId self = scheduler_.Current();
  SLUICE_ASSERT(self != kNoFiber, "WaitFd outside a fiber");
  const bool reading = direction == Direction::kReadable;
  (reading ? it->second.readers : it->second.writers).push_back(self);
  struct Guard {
    Reactor* reactor;
    FdToken token;
    bool reading;
    FiberId self;
    ~Guard() {
      auto it = reactor->registrations_.find(token);
      if (it == reactor->registrations_.end()) return;  // unregistered while we waited
      RemoveWaiter(reading ? &it->second.readers : &it->second.writers, self);
    }
  } guard{this, token, reading, self};
  return Park(deadline_ns);
}

void Reactor::RemoveWaiter(std::vector<FiberId>* waiters, FiberId id) {
  auto it = std::find(waiters->begin(), waiters->end(), id);
  SLUICE_ASSERT(it != waiters->end(), "a waiter removes only itself, once");
  waiters->erase(it);
}

}  // namespace sluice::real
