// Clock: the host's monotonic time. Timers are Fibers::SleepFor / SleepUntil and Park deadlines.
// Real hosts read CLOCK_MONOTONIC; simulated hosts read the World's virtual time. Never suspends.
#pragma once

#include <cstdint>

namespace sluice {

constexpr int64_t kNanosPerMicro = 1000;
constexpr int64_t kNanosPerMilli = 1000 * 1000;
constexpr int64_t kNanosPerSecond = 1000 * 1000 * 1000;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time in ns since an arbitrary origin fixed for the host's life.
  virtual int64_t NowNs() const = 0;
  int64_t NowMs() const { return NowNs() / kNanosPerMilli; }
};

}  // namespace sluice
