// Helpers for simnet's GoogleTest tests: seeded worlds that print their seed, and run shortcuts.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <functional>

#include "engine/runtime/clock.h"
#include "simnet/world.h"

namespace sluice::sim::testing {

// Options for `seed`, printed so a failure can be replayed (SIMNET_SEED is not read: the seed is
// in the test source; change it there to replay another).
inline WorldOptions SeededOptions(uint64_t seed) {
  std::printf("[   SEED   ] %s.%s seed=%llu\n",
              ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name(),
              ::testing::UnitTest::GetInstance()->current_test_info()->name(),
              static_cast<unsigned long long>(seed));
  WorldOptions options;
  options.seed = seed;
  return options;
}

// Runs until `done` or 1 hour of virtual time.
inline World::RunOutcome RunFor(World& world, const std::function<bool()>& done,
                                int64_t limit_ns = 3600 * kNanosPerSecond) {
  return world.RunUntil(done, world.now_ns() + limit_ns);
}

}  // namespace sluice::sim::testing
