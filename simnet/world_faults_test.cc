// Host faults of the World: RebootWipe, Pause, SetClockSkew.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "simnet/sim_disk.h"
#include "simnet/sim_network.h"
#include "simnet/sim_test_util.h"
#include "simnet/world.h"

namespace sluice::sim {
namespace {

using testing::RunFor;
using testing::SeededOptions;

constexpr int64_t kMs = kNanosPerMilli;
constexpr int64_t kSecond = kNanosPerSecond;

void Check(const Status& status) { ASSERT_TRUE(status.ok()) << status.ToString(); }

// --- RebootWipe ---

TEST(RebootWipeTest, HostComesBackOnAnEmptyDiskOnlyWhenRestarted) {
  World world(SeededOptions(301));
  std::vector<bool> found_at_start;  // per incarnation: did the synced file exist?
  const World::HostId id = world.AddHost("h", [&](Host& host) {
    auto exists = host.fs.Exists("state");
    ASSERT_TRUE(exists.ok());
    found_at_start.push_back(*exists);
    Check(WriteFileAtomically(host.fs, "state", "durable"));
    host.fibers.SleepFor(3600 * kSecond);
  });
  world.RunUntil(nullptr, kSecond);
  world.Crash(id);
  world.Restart(id);  // a plain crash keeps the synced file
  world.RunUntil(nullptr, 2 * kSecond);
  ASSERT_EQ(*world.disk(id).ReadCurrent("state"), "durable");
  world.RebootWipe(id);
  EXPECT_FALSE(world.IsUp(id)) << "stays down until restarted";
  EXPECT_EQ(world.disk(id).inode_count(), 0u);
  EXPECT_TRUE(world.disk(id).ListCurrent(".").empty());
  world.RunUntil(nullptr, 3 * kSecond);
  EXPECT_EQ(found_at_start.size(), 2u) << "a wiped host does not restart by itself";
  world.Restart(id);
  world.RunUntil(nullptr, 4 * kSecond);
  EXPECT_EQ(found_at_start, (std::vector<bool>{false, true, false}));
}

TEST(RebootWipeTest, RequestedFromAFiberIsDeferredAndWorksOnADownHost) {
  World world(SeededOptions(302));
  const World::HostId victim = world.AddHost("victim", [](Host& host) {
    Check(WriteFileAtomically(host.fs, "f", "x"));
    host.fibers.SleepFor(3600 * kSecond);
  });
  world.AddHost("nemesis", [&](Host& host) {
    host.fibers.SleepFor(kSecond);
    world.RebootWipe(victim);
    EXPECT_TRUE(world.IsUp(victim)) << "deferred to a world event";
  });
  world.RunUntil(nullptr, 2 * kSecond);
  EXPECT_FALSE(world.IsUp(victim));
  EXPECT_FALSE(world.disk(victim).ExistsCurrent("f"));
  world.disk(victim).WriteDurable("g", "y");
  world.RebootWipe(victim);  // already down: only the disk is wiped
  EXPECT_FALSE(world.disk(victim).ExistsCurrent("g"));
}

// --- Pause ---

// "p" accepts one connection from "q", sends q a heartbeat every 10 ms and reads everything q
// sends; q streams 8 KB chunks to p. p is paused from 1 s to 1.5 s.
struct PauseRun {
  std::vector<int64_t> p_read_at;     // when p's reads returned (virtual = p's clock)
  std::vector<int64_t> heartbeat_at;  // when q received heartbeats
  std::vector<int64_t> tick_elapsed;  // p's clock advance over each 10 ms sleep
  std::vector<int64_t> tick_woke_at;  // p's clock when each sleep returned
  uint64_t p_read_bytes = 0;
  uint64_t q_written_bytes = 0;
  bool stream_failed = false;
};

void PausedServer(Host& host, PauseRun& run) {
  auto listener = host.network.Listen(Address{"", 7000});
  ASSERT_TRUE(listener.ok());
  auto accepted = (*listener)->Accept();
  ASSERT_TRUE(accepted.ok());
  std::shared_ptr<Stream> stream(std::move(*accepted));
  host.fibers.Spawn("heartbeat", [&host, &run, stream] {
    for (;;) {
      const int64_t before = host.clock.NowNs();
      host.fibers.SleepFor(10 * kMs);
      run.tick_elapsed.push_back(host.clock.NowNs() - before);
      run.tick_woke_at.push_back(host.clock.NowNs());
      if (!stream->Write("hb").ok()) run.stream_failed = true;
    }
  });
  std::string data;
  for (;;) {
    data.clear();
    auto n = stream->Read(&data, 64 * 1024);
    if (!n.ok() || *n == 0) {
      run.stream_failed = true;
      return;
    }
    run.p_read_at.push_back(host.clock.NowNs());
    run.p_read_bytes += *n;
  }
}

void StreamingClient(Host& host, PauseRun& run) {
  host.fibers.SleepFor(kMs);
  auto connected = host.network.Connect({"p", 7000}, kSecond);
  ASSERT_TRUE(connected.ok());
  std::shared_ptr<Stream> stream(std::move(*connected));
  host.fibers.Spawn("reader", [&host, &run, stream] {
    std::string data;
    for (;;) {
      auto n = stream->Read(&data, 100);
      if (!n.ok() || *n == 0) {
        run.stream_failed = true;
        return;
      }
      run.heartbeat_at.push_back(host.clock.NowNs());
    }
  });
  const std::string chunk(8 * 1024, 'q');
  for (;;) {
    if (!stream->Write(chunk).ok()) {
      run.stream_failed = true;
      return;
    }
    run.q_written_bytes += chunk.size();
    host.fibers.SleepFor(kMs);
  }
}

TEST(PauseTest, PeersSeeSilenceNotResetsAndThePausedHostSeesTimeJump) {
  World world(SeededOptions(303));
  PauseRun run;
  const World::HostId p = world.AddHost("p", [&](Host& host) { PausedServer(host, run); });
  world.AddHost("q", [&](Host& host) { StreamingClient(host, run); });
  uint64_t read_at_pause = 0, written_mid = 0, written_late = 0;
  world.Schedule(kSecond, [&] {
    world.Pause(p, 500 * kMs);
    read_at_pause = run.p_read_bytes;
    EXPECT_TRUE(world.IsPaused(p));
  });
  world.Schedule(1300 * kMs, [&] { written_mid = run.q_written_bytes; });
  world.Schedule(1490 * kMs, [&] { written_late = run.q_written_bytes; });
  world.RunUntil(nullptr, 3 * kSecond);
  EXPECT_FALSE(world.IsPaused(p));
  EXPECT_FALSE(run.stream_failed) << "a pause resets nothing";
  // No code of p ran during the pause.
  for (int64_t t : run.p_read_at) EXPECT_TRUE(t < kSecond || t >= 1500 * kMs) << t;
  for (int64_t t : run.tick_woke_at) EXPECT_TRUE(t < kSecond || t >= 1500 * kMs) << t;
  // Its sleep spanning the pause saw the clock jump.
  const int64_t longest_tick = *std::max_element(run.tick_elapsed.begin(), run.tick_elapsed.end());
  EXPECT_GE(longest_tick, 490 * kMs);
  EXPECT_LE(longest_tick, 510 * kMs);
  // q heard silence: a gap of about the pause between heartbeats, but never a reset.
  int64_t longest_gap = 0;
  for (size_t i = 1; i < run.heartbeat_at.size(); ++i) {
    longest_gap = std::max(longest_gap, run.heartbeat_at[i] - run.heartbeat_at[i - 1]);
  }
  EXPECT_GE(longest_gap, 480 * kMs);
  // q's bytes queued up to the window, then its writes blocked until p resumed.
  EXPECT_LE(written_late - read_at_pause, NetFabric::kWindowBytes);
  EXPECT_EQ(written_mid, written_late) << "q's writer is blocked on the window";
  EXPECT_GT(run.q_written_bytes, written_late + NetFabric::kWindowBytes) << "resumed after";
  EXPECT_GT(run.p_read_bytes, read_at_pause + NetFabric::kWindowBytes);
}

TEST(PauseTest, FibersStartedDuringAPauseWaitAndACrashEndsThePause) {
  World world(SeededOptions(304));
  std::vector<int64_t> started_at;
  const World::HostId id = world.AddHost("h", [&](Host& host) {
    started_at.push_back(host.clock.NowNs());
    host.fibers.Spawn("child", [&] { started_at.push_back(host.clock.NowNs()); });
    host.fibers.SleepFor(3600 * kSecond);
  });
  world.Pause(id, 2 * kSecond);  // before the main fiber ever ran
  world.Pause(id, kSecond);      // shorter: does not cut the first one short
  world.RunUntil(nullptr, 3 * kSecond);
  EXPECT_EQ(started_at, (std::vector<int64_t>{2 * kSecond, 2 * kSecond}));
  world.Pause(id, 10 * kSecond);
  world.Crash(id);
  EXPECT_FALSE(world.IsPaused(id));
  world.Restart(id);
  world.RunUntil(nullptr, 4 * kSecond);
  ASSERT_EQ(started_at.size(), 4u) << "the restarted host is not paused";
  EXPECT_EQ(started_at[2], 3 * kSecond);
}

// --- Clock skew ---

TEST(ClockSkewTest, OffsetShowsInNowAndASecondOfSleepIsASecondOfTheHostsClock) {
  World world(SeededOptions(305));
  int64_t skewed_now = -1, true_now = -1, slept_host = -1, slept_virtual = -1;
  const World::HostId a = world.AddHost("a", [&](Host& host) {
    host.fibers.SleepFor(kSecond);
    skewed_now = host.clock.NowNs();
    const int64_t host_before = host.clock.NowNs();
    const int64_t virtual_before = world.now_ns();
    host.fibers.SleepFor(kSecond);
    slept_host = host.clock.NowNs() - host_before;
    slept_virtual = world.now_ns() - virtual_before;
  });
  world.AddHost("b", [&](Host& host) {
    host.fibers.SleepUntil(6 * kSecond);  // b's clock is true: this is virtual 6 s
    true_now = host.clock.NowNs();
  });
  world.SetClockSkew(a, 5 * kSecond, 0);
  RunFor(world, nullptr);
  // a's first sleep of 1 s (of its own clock) ended at its 6 s, virtual 1 s.
  EXPECT_EQ(skewed_now, 6 * kSecond);
  EXPECT_EQ(true_now, 6 * kSecond);
  EXPECT_EQ(slept_host, kSecond);
  EXPECT_EQ(slept_virtual, kSecond);
}

TEST(ClockSkewTest, DriftMakesTheHostsSecondShorterInVirtualTime) {
  World world(SeededOptions(306));
  int64_t slept_host = -1, slept_virtual = -1;
  const World::HostId a = world.AddHost("a", [&](Host& host) {
    const int64_t host_before = host.clock.NowNs();
    host.fibers.SleepFor(kSecond);
    slept_host = host.clock.NowNs() - host_before;
    slept_virtual = world.now_ns();
  });
  world.SetClockSkew(a, 0, 1000.0);  // runs 0.1% fast
  RunFor(world, nullptr);
  EXPECT_GE(slept_host, kSecond);
  EXPECT_LE(slept_host, kSecond + 1);  // the first tick at or past the deadline
  EXPECT_NEAR(static_cast<double>(slept_virtual), kSecond / 1.001, 2.0);
}

TEST(ClockSkewTest, ABackwardStepStallsTheClockAndItsTimersWaitForIt) {
  World world(SeededOptions(307));
  std::vector<int64_t> readings;
  int64_t stalled_sleep_woke_virtual = -1;
  const World::HostId a = world.AddHost("a", [&](Host& host) {
    for (int i = 0; i < 40; ++i) {
      readings.push_back(host.clock.NowNs());
      host.fibers.SleepFor(100 * kMs);
      if (i == 10) stalled_sleep_woke_virtual = world.now_ns();
    }
  });
  world.SetClockSkew(a, 5 * kSecond, 0);
  // At virtual 1.05 s the clock reads 6.05 s; true time from here would step it back by 5 s.
  world.Schedule(1050 * kMs, [&] { world.SetClockSkew(a, 0, 0); });
  world.RunUntil(nullptr, 20 * kSecond);
  ASSERT_EQ(readings.size(), 40u);
  for (size_t i = 1; i < readings.size(); ++i) {
    EXPECT_GE(readings[i], readings[i - 1] + 100 * kMs) << "monotonic, sleeps on its own clock";
  }
  // The sleep pending at the step (deadline 6.1 s of a's clock) ended when true time reached it.
  EXPECT_EQ(stalled_sleep_woke_virtual, 6100 * kMs);
  EXPECT_EQ(world.host(a).clock.NowNs(), world.now_ns()) << "caught up: true time again";
}

TEST(ClockSkewTest, PendingTimersAreMovedWhenTheClockJumpsForward) {
  World world(SeededOptions(308));
  int64_t woke_host = -1, woke_virtual = -1;
  const World::HostId a = world.AddHost("a", [&](Host& host) {
    host.fibers.SleepUntil(10 * kSecond);
    woke_host = host.clock.NowNs();
    woke_virtual = world.now_ns();
  });
  world.Schedule(kSecond, [&] { world.SetClockSkew(a, 5 * kSecond, 0); });
  RunFor(world, nullptr);
  EXPECT_EQ(woke_host, 10 * kSecond);
  EXPECT_EQ(woke_virtual, 5 * kSecond);
}

TEST(ClockSkewTest, ConnectTimeoutRunsOnTheSkewedHostsClock) {
  World world(SeededOptions(309));
  Status status;
  int64_t elapsed_virtual = -1;
  const World::HostId server = world.AddHost("server", [](Host& host) {
    auto listener = host.network.Listen(Address{"", 7000});
    ASSERT_TRUE(listener.ok());
    (void)(*listener)->Accept();
  });
  const World::HostId client = world.AddHost("client", [&](Host& host) {
    const int64_t start = world.now_ns();
    status = host.network.Connect({"server", 7000}, kSecond).status();
    elapsed_virtual = world.now_ns() - start;
  });
  world.SetClockSkew(client, 100 * kSecond, 0);
  world.Partition(server, client);
  world.RunUntil(nullptr, 10 * kSecond);
  EXPECT_EQ(status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(elapsed_virtual, kSecond);
}

}  // namespace
}  // namespace sluice::sim
