// Same seed -> same run (bit for bit, by trace hash); different seeds -> different runs.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <map>
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
constexpr int kRoundTrips = 150;

// An echo server that appends every request to a synced log.
void EchoServer(Host& host) {
  if (!host.fs.CreateDir("log").ok()) return;
  auto listener = host.network.Listen(Address{"", 9000});
  if (!listener.ok()) return;
  for (;;) {
    auto stream = (*listener)->Accept();
    if (!stream.ok()) return;
    std::shared_ptr<Stream> shared(std::move(*stream));  // shared with the connection's fiber
    host.fibers.Spawn("conn", [&host, shared] {
      auto log = host.fs.OpenAppendable("log/requests", false);
      if (!log.ok()) return;
      std::string data;
      for (;;) {
        data.clear();
        auto n = shared->Read(&data, 4096);
        if (!n.ok() || *n == 0) return;
        if (!(*log)->Append(data).ok() || !(*log)->Sync().ok()) return;
        if (!shared->Write(data).ok()) return;
      }
    });
  }
}

// Sends random-sized requests, reconnecting after failures, and logs progress.
void Client(Host& host) { testing::EchoClient(host, 3000, kRoundTrips); }

struct RunResult {
  uint64_t trace_hash;
  std::map<std::string, int> kinds;  // trace records by kind
  uint64_t events;
  int64_t end_ns;
  std::string server_log;
};

RunResult RunScenario(WorldOptions options) {
  World world(options);
  std::map<std::string, int> kinds;
  world.SetTraceSink([&kinds](std::string_view line) {
    const size_t start = line.find(' ') + 1;
    ++kinds[std::string(line.substr(start, line.find(' ', start) - start))];
  });
  const World::HostId server = world.AddHost("server", EchoServer);
  std::vector<World::HostId> clients;
  for (int i = 0; i < 3; ++i)
    clients.push_back(world.AddHost("client" + std::to_string(i), Client));
  int done_clients = 0;
  world.AddEventObserver(
      [&](World::HostId, Severity, std::string_view category, std::string_view message) {
        if (category == "client.round_trip" && message == std::to_string(kRoundTrips))
          ++done_clients;
      });
  // A nemesis drawing its timing from the scenario PRNG.
  for (int i = 0; i < 4; ++i) {
    const int64_t at = world.random().UniformRange(100, 2000) * kMs;
    world.Schedule(at, [&world, server] { world.Crash(server); });
    world.Schedule(at + 50 * kMs, [&world, server] {
      if (!world.IsUp(server)) world.Restart(server);
    });
  }
  world.Schedule(700 * kMs, [&] { world.Partition(server, clients[0]); });
  world.Schedule(900 * kMs, [&] { world.Heal(server, clients[0]); });
  world.RunUntil([&] { return done_clients == 3; }, 600 * kSecond);
  EXPECT_EQ(done_clients, 3);
  auto log = world.disk(server).ReadCurrent("log/requests");
  return {world.trace_hash(), kinds, world.events_processed(), world.now_ns(),
          log.ok() ? *log : std::string()};
}

TEST(DeterminismTest, SameSeedSameTraceDifferentSeedsDiffer) {
  const RunResult first = RunScenario(SeededOptions(42));
  const RunResult again = RunScenario(SeededOptions(42));
  EXPECT_EQ(first.trace_hash, again.trace_hash);
  EXPECT_EQ(first.events, again.events);
  EXPECT_EQ(first.end_ns, again.end_ns);
  EXPECT_EQ(first.server_log, again.server_log);
  EXPECT_EQ(first.kinds, again.kinds);
  // The scenario really exercised the faults.
  EXPECT_GE(first.kinds.at("host.crash"), 2);
  EXPECT_GE(first.kinds.at("net.reset"), 2);
  EXPECT_GE(first.kinds.at("disk.crash"), 2);
  for (const auto& [kind, count] : first.kinds) std::printf("  %-14s %d\n", kind.c_str(), count);
  std::printf("seed 42: trace %016" PRIx64 ", %" PRIu64 " events, ended at %" PRId64 " ns\n",
              first.trace_hash, first.events, first.end_ns);
  std::set<uint64_t> hashes{first.trace_hash};
  for (uint64_t seed = 1; seed <= 5; ++seed)
    hashes.insert(RunScenario(SeededOptions(seed)).trace_hash);
  EXPECT_EQ(hashes.size(), 6u);
}

TEST(DeterminismTest, FifoSchedulingIsDeterministicToo) {
  WorldOptions options = SeededOptions(7);
  options.random_scheduling = false;
  EXPECT_EQ(RunScenario(options).trace_hash, RunScenario(options).trace_hash);
}

// A throughput figure: many fibers ping-ponging through sleeps and channels-free wake-ups.
TEST(DeterminismTest, SleepStormThroughput) {
  World world(SeededOptions(3));
  world.AddHost("storm", [](Host& host) {
    std::vector<FiberId> ids;
    for (int f = 0; f < 100; ++f) {
      ids.push_back(host.fibers.Spawn("f", [&host] {
        for (int i = 0; i < 5000; ++i) host.fibers.SleepFor(host.random.UniformRange(1, 1000));
      }));
    }
    for (FiberId id : ids) host.fibers.Join(id);
  });
  world.RunUntil(nullptr, 3600 * kSecond);
  std::printf("sleep storm: %" PRIu64 " events, %" PRIu64 " fiber switches\n",
              world.events_processed(), world.fiber_switches());
  EXPECT_GE(world.events_processed(), 1000000u);
}

}  // namespace
}  // namespace sluice::sim
