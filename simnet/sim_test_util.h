// Helpers for simnet's GoogleTest tests: seeded worlds that print their seed, and run shortcuts.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

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

// An echo client for "server":9000: sends requests of 1..max_request_bytes bytes and checks each
// reply, reconnecting after any failure, until `round_trips_max` round trips; logs each one as
// "client.round_trip" with the count so far. May suspend.
inline void EchoClient(Host& host, int64_t max_request_bytes, int round_trips_max) {
  constexpr int64_t kMs = kNanosPerMilli;
  int round_trips = 0;
  while (round_trips < round_trips_max) {
    auto stream = host.network.Connect({"server", 9000}, 200 * kMs);
    if (!stream.ok()) {
      host.fibers.SleepFor(host.random.UniformRange(1, 50) * kMs);
      continue;
    }
    while (round_trips < round_trips_max) {
      const std::string request(host.random.UniformRange(1, max_request_bytes),
                                static_cast<char>('a' + round_trips % 26));
      if (!(*stream)->Write(request).ok()) break;
      std::string reply;
      while (reply.size() < request.size()) {
        auto n = (*stream)->Read(&reply, request.size() - reply.size());
        if (!n.ok() || *n == 0) break;
      }
      if (reply != request) break;
      host.log.Info("client.round_trip", std::to_string(++round_trips));
      host.fibers.SleepFor(host.random.UniformRange(0, 20) * kMs);
    }
  }
}

}  // namespace sluice::sim::testing
