#include "simnet/world.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/runtime/sync.h"
#include "simnet/sim_disk.h"
#include "simnet/sim_test_util.h"

namespace sluice::sim {
namespace {

using testing::RunFor;
using testing::SeededOptions;

TEST(WorldTest, TenSecondSleepTakesNoWallTime) {
  World world(SeededOptions(1));
  int64_t woke_at = -1;
  world.AddHost("sleeper", [&](Host& host) {
    host.fibers.SleepFor(10 * kNanosPerSecond);
    woke_at = host.clock.NowNs();
  });
  // No wall clock is read (simnet reads none): nothing here can wait 10 real seconds, and the
  // test's reported duration shows it.
  EXPECT_EQ(RunFor(world, nullptr), World::RunOutcome::kQuiescent);
  EXPECT_EQ(woke_at, 10 * kNanosPerSecond);
  EXPECT_EQ(world.now_ns(), 10 * kNanosPerSecond);
}

TEST(WorldTest, SleepersWakeInDeadlineOrder) {
  World world(SeededOptions(2));
  std::vector<int> order;
  world.AddHost("h", [&](Host& host) {
    std::vector<FiberId> ids;
    for (int seconds : {3, 1, 2, 5, 4}) {
      ids.push_back(host.fibers.Spawn("s" + std::to_string(seconds), [&host, &order, seconds] {
        host.fibers.SleepFor(seconds * kNanosPerSecond);
        EXPECT_EQ(host.clock.NowNs(), seconds * kNanosPerSecond);
        order.push_back(seconds);
      }));
    }
    for (FiberId id : ids) host.fibers.Join(id);
  });
  EXPECT_EQ(RunFor(world, nullptr), World::RunOutcome::kQuiescent);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(WorldTest, ParkTimesOutOrIsUnparkedAndCancelsItsTimer) {
  World world(SeededOptions(3));
  bool timed_out_result = true;
  bool unparked_result = false;
  int64_t unparked_at = -1;
  world.AddHost("h", [&](Host& host) {
    timed_out_result = host.fibers.Park(host.clock.NowNs() + kNanosPerMilli);
    const FiberId self = host.fibers.Current();
    host.fibers.Spawn("waker", [&host, self] {
      host.fibers.SleepFor(5 * kNanosPerMilli);
      host.fibers.Unpark(self);
    });
    unparked_result = host.fibers.Park(host.clock.NowNs() + kNanosPerSecond);
    unparked_at = host.clock.NowNs();
  });
  EXPECT_EQ(RunFor(world, nullptr), World::RunOutcome::kQuiescent);
  EXPECT_FALSE(timed_out_result);
  EXPECT_TRUE(unparked_result);
  EXPECT_EQ(unparked_at, 6 * kNanosPerMilli);
  // The 1 s timer was cancelled: the world went quiet at 6 ms, not at 1.001 s.
  EXPECT_EQ(world.now_ns(), 6 * kNanosPerMilli);
}

TEST(WorldTest, RunUntilStopsAtDoneOrTimeLimit) {
  World world(SeededOptions(4));
  int ticks = 0;
  world.AddHost("ticker", [&](Host& host) {
    for (;;) {
      host.fibers.SleepFor(kNanosPerSecond);
      ++ticks;
    }
  });
  EXPECT_EQ(world.RunUntil([&] { return ticks == 3; }, 100 * kNanosPerSecond),
            World::RunOutcome::kDone);
  EXPECT_EQ(world.now_ns(), 3 * kNanosPerSecond);
  EXPECT_EQ(world.RunUntil(nullptr, 10 * kNanosPerSecond + 1), World::RunOutcome::kTimeLimit);
  EXPECT_EQ(ticks, 10);
  EXPECT_EQ(world.now_ns(), 10 * kNanosPerSecond + 1);
}

TEST(WorldTest, ScheduledEventsRunInWorldContextAtTheirTime) {
  World world(SeededOptions(5));
  std::vector<int64_t> seen;
  world.Schedule(7 * kNanosPerMilli, [&] { seen.push_back(world.now_ns()); });
  world.Schedule(2 * kNanosPerMilli, [&] { seen.push_back(world.now_ns()); });
  EXPECT_EQ(RunFor(world, nullptr), World::RunOutcome::kQuiescent);
  EXPECT_EQ(seen, (std::vector<int64_t>{2 * kNanosPerMilli, 7 * kNanosPerMilli}));
}

TEST(WorldTest, EventLogIsObservedAndFoldedIntoTheTrace) {
  World world(SeededOptions(6));
  std::vector<std::string> seen;
  world.AddEventObserver([&](World::HostId id, Severity severity, std::string_view category,
                             std::string_view message) {
    seen.push_back(world.host_name(id) + " " + std::string(category) + " " + std::string(message));
  });
  world.AddHost("jm", [](Host& host) { host.log.Info("job.started", "job 7"); });
  const uint64_t before = world.trace_hash();
  RunFor(world, nullptr);
  EXPECT_EQ(seen, (std::vector<std::string>{"jm job.started job 7"}));
  EXPECT_NE(world.trace_hash(), before);
}

TEST(WorldTest, CrashUnwindsFibersAndRestartRunsTheProgramAgain) {
  World world(SeededOptions(7));
  int starts = 0;
  int unwound = 0;
  struct Guard {
    int* count;
    ~Guard() { ++*count; }
  };
  const World::HostId id = world.AddHost("worker", [&](Host& host) {
    ++starts;
    host.fibers.Spawn("child", [&host, &unwound] {
      Guard guard{&unwound};
      host.fibers.SleepFor(3600 * kNanosPerSecond);
    });
    Guard guard{&unwound};
    host.fibers.SleepFor(3600 * kNanosPerSecond);
  });
  world.Schedule(kNanosPerSecond, [&] { world.Crash(id); });
  EXPECT_EQ(world.RunUntil(nullptr, 2 * kNanosPerSecond), World::RunOutcome::kQuiescent);
  EXPECT_FALSE(world.IsUp(id));
  EXPECT_EQ(unwound, 2);
  EXPECT_EQ(starts, 1);
  world.Restart(id);
  EXPECT_TRUE(world.IsUp(id));
  world.RunUntil([&] { return starts == 2; }, world.now_ns() + kNanosPerSecond);
  EXPECT_EQ(starts, 2);
}

TEST(WorldTest, CrashRequestedFromAFiberIsDeferredToWorldContext) {
  World world(SeededOptions(8));
  World::HostId victim =
      world.AddHost("victim", [](Host& host) { host.fibers.SleepFor(3600 * kNanosPerSecond); });
  world.AddHost("nemesis", [&](Host& host) {
    host.fibers.SleepFor(kNanosPerMilli);
    world.Crash(victim);
    world.Crash(world.FindHost("nemesis"));  // crashing itself, too
    host.fibers.SleepFor(kNanosPerMilli);
    ADD_FAILURE() << "the crashing fiber kept running";
  });
  RunFor(world, nullptr);
  EXPECT_FALSE(world.IsUp(victim));
  EXPECT_FALSE(world.IsUp(world.FindHost("nemesis")));
}

TEST(WorldTest, FindHostAndNames) {
  World world(SeededOptions(9));
  const World::HostId a = world.AddHost("a", [](Host&) {});
  const World::HostId b = world.AddHost("b", [](Host& host) { EXPECT_EQ(host.name, "b"); });
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  EXPECT_EQ(world.FindHost("b"), b);
  EXPECT_EQ(world.FindHost("zzz"), kNoHost);
  EXPECT_EQ(world.host_name(a), "a");
  RunFor(world, nullptr);
}

TEST(WorldTest, ChannelBetweenFibersWithTimeout) {
  World world(SeededOptions(10));
  std::vector<int> got;
  bool timed_out = false;
  world.AddHost("h", [&](Host& host) {
    Channel<int> channel(host.fibers, 2);
    FiberId producer = host.fibers.Spawn("producer", [&] {
      for (int i = 0; i < 5; ++i) {
        host.fibers.SleepFor(kNanosPerMilli);
        channel.Push(i);
      }
    });
    for (int i = 0; i < 5; ++i) got.push_back(*channel.Pop());
    timed_out = !channel.Pop(host.clock.NowNs() + kNanosPerMilli).has_value();
    host.fibers.Join(producer);
  });
  RunFor(world, nullptr);
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(timed_out);
}

}  // namespace
}  // namespace sluice::sim
