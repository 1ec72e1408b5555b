// Every fault of the model in one seeded run: same seed -> same trace hash, different seeds
// differ, and each fault really shows in the trace.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "simnet/sim_disk.h"
#include "simnet/sim_test_util.h"
#include "simnet/world.h"

namespace sluice::sim {
namespace {

using testing::SeededOptions;

constexpr int64_t kMs = kNanosPerMilli;
constexpr int64_t kSecond = kNanosPerSecond;

// Echoes every request and appends it to a synced log; gives up on a stream at its first error.
void LoggingEcho(Host& host) {
  auto listener = host.network.Listen(Address{"", 9000});
  if (!listener.ok()) return;
  for (;;) {
    auto stream = (*listener)->Accept();
    if (!stream.ok()) return;
    std::shared_ptr<Stream> shared(std::move(*stream));
    host.fibers.Spawn("conn", [&host, shared] {
      auto log = host.fs.OpenAppendable("requests", false);
      if (!log.ok() || !host.fs.SyncDir(".").ok()) return;
      std::string data;
      for (;;) {
        data.clear();
        auto n = shared->Read(&data, 4096);
        if (!n.ok() || *n == 0 || !(*log)->Append(data).ok()) return;
        (void)(*log)->Sync();  // may fail (injected): the reply goes out anyway
        if (!shared->Write(data).ok()) return;
      }
    });
  }
}

// Sends requests for ever, reconnecting after any failure; logs every round trip.
void EchoClient(Host& host) { testing::EchoClient(host, 2000, INT32_MAX); }

// Schedules one of each fault at times drawn from the scenario PRNG.
void ScheduleNemesis(World& world, World::HostId server,
                     const std::vector<World::HostId>& clients) {
  auto at = [&world](int64_t lo_ms, int64_t hi_ms) {
    return world.random().UniformRange(lo_ms, hi_ms) * kMs;
  };
  SimDisk& disk = world.disk(server);
  world.Schedule(0, [&disk] {
    disk.SetTornWrites(true);
    disk.SetIoErrorProbability(0.02);
    disk.SetSlow(3.0);
  });
  world.Schedule(at(100, 300), [&world, server] { world.Pause(server, 150 * kMs); });
  world.Schedule(at(400, 600), [&world, server] { world.Crash(server); });
  world.Schedule(at(650, 700), [&world, server] { world.Restart(server); });
  world.Schedule(at(800, 900), [&world, server, clients] {
    world.PartitionOneWay(server, clients[0]);
    world.Clog(clients[1], 5.0);
    world.LatencySpike(server, clients[2], 20 * kMs, 300 * kMs);
  });
  world.Schedule(at(1000, 1100), [&world] { world.HealAll(); });
  world.Schedule(at(1200, 1300), [&world, server] { world.ResetConnections(server); });
  world.Schedule(at(1400, 1500), [&world, server, clients] {
    world.Partition({server}, {clients[1], clients[2]});
    world.SetClockSkew(clients[0], 3 * kSecond, 200.0);
  });
  world.Schedule(at(1600, 1700), [&world, &disk, server] {
    world.HealAll();
    disk.SetFull(true);
    (void)disk.CorruptRandomDurableFile("");
  });
  world.Schedule(at(1800, 1900), [&disk] { disk.SetFull(false); });
  world.Schedule(at(2000, 2100), [&world, server] { world.RebootWipe(server); });
  world.Schedule(at(2200, 2300), [&world, server] { world.Restart(server); });
}

struct FaultRun {
  uint64_t trace_hash = 0;
  std::map<std::string, int> kinds;
  int round_trips = 0;
};

FaultRun RunWithEveryFault(uint64_t seed) {
  World world(SeededOptions(seed));
  FaultRun run;
  world.SetTraceSink([&run](std::string_view line) {
    const size_t start = line.find(' ') + 1;
    ++run.kinds[std::string(line.substr(start, line.find(' ', start) - start))];
  });
  world.AddEventObserver(
      [&run](World::HostId, Severity, std::string_view category, std::string_view) {
        run.round_trips += category == "client.round_trip";
      });
  const World::HostId server = world.AddHost("server", LoggingEcho);
  std::vector<World::HostId> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(world.AddHost("c" + std::to_string(i), EchoClient));
  ScheduleNemesis(world, server, clients);
  world.RunUntil(nullptr, 3 * kSecond);
  run.trace_hash = world.trace_hash();
  return run;
}

TEST(FaultDeterminismTest, EveryFaultSameSeedSameTrace) {
  const FaultRun first = RunWithEveryFault(77);
  const FaultRun again = RunWithEveryFault(77);
  EXPECT_EQ(first.trace_hash, again.trace_hash);
  EXPECT_EQ(first.kinds, again.kinds);
  EXPECT_EQ(first.round_trips, again.round_trips);
  EXPECT_GT(first.round_trips, 100) << "the workload made progress between faults";
  for (const char* kind : {"host.pause", "host.resume", "host.crash", "disk.wipe", "net.partition1",
                           "net.healall", "net.clog", "net.spike", "net.resetall", "net.partition",
                           "clock.skew", "disk.setting", "disk.corrupt", "disk.error"}) {
    EXPECT_GT(first.kinds.count(kind), 0u) << kind;
  }
  for (const auto& [kind, count] : first.kinds) std::printf("  %-15s %d\n", kind.c_str(), count);
  std::printf("seed 77: trace %016" PRIx64 ", %d round trips\n", first.trace_hash,
              first.round_trips);
  std::set<uint64_t> hashes{first.trace_hash};
  for (uint64_t seed = 1; seed <= 3; ++seed) hashes.insert(RunWithEveryFault(seed).trace_hash);
  EXPECT_EQ(hashes.size(), 4u);
}

}  // namespace
}  // namespace sluice::sim
