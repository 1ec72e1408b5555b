// RealClock: the production Clock, CLOCK_MONOTONIC in ns. Never suspends; thread-safe.
#pragma once

#include <time.h>

#include <cstdint>

#include "engine/base/assert.h"
#include "engine/runtime/clock.h"

namespace sluice::real {

class RealClock final : public Clock {
 public:
  int64_t NowNs() const override {
    struct timespec now;
    const int rc = clock_gettime(CLOCK_MONOTONIC, &now);
    SLUICE_ASSERT(rc == 0, "CLOCK_MONOTONIC is always available on Linux");
    (void)rc;
    return static_cast<int64_t>(now.tv_sec) * kNanosPerSecond + now.tv_nsec;
  }
};

}  // namespace sluice::real
