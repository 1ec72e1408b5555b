#include "engine/runtime/real/real_runtime.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::real {
namespace {
namespace real_runtime_test {

constexpr uint64_t kSeed = 42;  // fixed so that any test drawing randoms replays

TEST(RealRuntimeTest, RunReturnsTheProgramsStatus) {
  RealRuntime runtime("host", "", kSeed);
  EXPECT_TRUE(runtime.Run([](Host&) { return Status::Ok(); }).ok());
  const Status status = runtime.Run([](Host&) { return AbortedError("stale fencing token"); });
  EXPECT_EQ(status.code(), StatusCode::kAborted);
  EXPECT_EQ(status.message(), "stale fencing token");
}

TEST(RealRuntimeTest, HostBundlesTheRuntimesObjects) {
  RealRuntime runtime("tm-1", "", kSeed);
  EXPECT_EQ(runtime.host().name, "tm-1");
  EXPECT_EQ(runtime.seed(), kSeed);
  Random expected(kSeed);
  EXPECT_EQ(runtime.host().random.NextU64(), expected.NextU64());
}

TEST(RealRuntimeTest, SeedZeroDrawsOneFromTheOs) {
  RealRuntime runtime("host", "", /*seed=*/0);
  EXPECT_NE(runtime.seed(), 0u);
}

TEST(RealRuntimeTest, SleepersWakeInDeadlineOrder) {
  RealRuntime runtime("host", "", kSeed);
  std::vector<int> woke;
  const Status status = runtime.Run([&](Host& host) {
    const int64_t start_ns = host.clock.NowNs();
    std::vector<FiberId> sleepers;
    for (int ms : {30, 10, 20, 0}) {
      sleepers.push_back(host.fibers.Spawn("sleeper", [&host, &woke, ms, start_ns] {
        host.fibers.SleepFor(ms * kNanosPerMilli);
        EXPECT_GE(host.clock.NowNs() - start_ns, ms * kNanosPerMilli);
        woke.push_back(ms);
      }));
    }
    for (FiberId id : sleepers) host.fibers.Join(id);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(woke, (std::vector<int>{0, 10, 20, 30}));
  EXPECT_EQ(runtime.reactor().pending_timer_count(), 0u);
}

TEST(RealRuntimeTest, ParkTimesOutWithoutUnpark) {
  RealRuntime runtime("host", "", kSeed);
  const Status status = runtime.Run([&](Host& host) {
    const int64_t deadline_ns = host.clock.NowNs() + 5 * kNanosPerMilli;
    EXPECT_FALSE(host.fibers.Park(deadline_ns));
    EXPECT_GE(host.clock.NowNs(), deadline_ns);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(runtime.reactor().pending_timer_count(), 0u);
}

TEST(RealRuntimeTest, UnparkBeatsTheDeadlineAndCancelsItsTimer) {
  RealRuntime runtime("host", "", kSeed);
  const Status status = runtime.Run([&](Host& host) {
    const FiberId parker = host.fibers.Current();
    host.fibers.Spawn("waker", [&host, parker] {
      host.fibers.SleepFor(2 * kNanosPerMilli);
      host.fibers.Unpark(parker);
    });
    const int64_t start_ns = host.clock.NowNs();
    EXPECT_TRUE(host.fibers.Park(start_ns + 10 * kNanosPerSecond));
    EXPECT_LT(host.clock.NowNs() - start_ns, kNanosPerSecond);
    // The 10 s timer is gone: a stale timer would wake a later Park too early.
    EXPECT_EQ(runtime.reactor().pending_timer_count(), 0u);
    EXPECT_FALSE(host.fibers.Park(host.clock.NowNs() + 3 * kNanosPerMilli));
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST(RealRuntimeTest, YieldingFiberDoesNotStarveTimers) {
  RealRuntime runtime("host", "", kSeed);
  const Status status = runtime.Run([&](Host& host) {
    bool slept = false;
    host.fibers.Spawn("sleeper", [&] {
      host.fibers.SleepFor(kNanosPerMilli);
      slept = true;
    });
    // Bounded so that a starving reactor fails the test instead of hanging it.
    for (int spins = 0; !slept && spins < 10'000'000; ++spins) host.fibers.Yield();
    EXPECT_TRUE(slept);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

struct SetOnDestruction {
  bool* flag;
  ~SetOnDestruction() { *flag = true; }
};

TEST(RealRuntimeTest, RunUnwindsFibersLeftBehind) {
  RealRuntime runtime("host", "", kSeed);
  bool unwound = false;
  bool ran_past_park = false;
  const Status status = runtime.Run([&](Host& host) {
    host.fibers.Spawn("orphan", [&] {
      SetOnDestruction guard{&unwound};
      host.fibers.Park(host.clock.NowNs() + 10 * kNanosPerSecond);
      ran_past_park = true;
    });
    host.fibers.Yield();  // let the orphan start and park
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(unwound);
  EXPECT_FALSE(ran_past_park);
  EXPECT_EQ(runtime.reactor().pending_timer_count(), 0u);
}

TEST(RealRuntimeTest, CancelledSleeperUnwinds) {
  RealRuntime runtime("host", "", kSeed);
  const Status status = runtime.Run([&](Host& host) {
    bool unwound = false;
    const FiberId sleeper = host.fibers.Spawn("sleeper", [&] {
      SetOnDestruction guard{&unwound};
      host.fibers.SleepFor(10 * kNanosPerSecond);
    });
    host.fibers.Yield();
    host.fibers.Cancel(sleeper);
    host.fibers.Join(sleeper);
    EXPECT_TRUE(unwound);
    EXPECT_EQ(runtime.reactor().pending_timer_count(), 0u);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST(RealRuntimeTest, DeadlockIsReportedNotHung) {
  RealRuntime runtime("host", "", kSeed);
  const Status status = runtime.Run([](Host& host) {
    host.fibers.Park(/*deadline_ns=*/-1);  // nothing will ever unpark it
    return Status::Ok();
  });
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_NE(status.message().find("deadlock"), std::string::npos) << status.message();
}

TEST(RealRuntimeTest, EventLogWritesHostSeverityCategoryMessage) {
  testing::internal::CaptureStderr();
  {
    RealRuntime quiet("quiet-host", "", kSeed);
    quiet.host().log.Info("checkpoint.completed", "checkpoint 7");
    quiet.host().log.Record(Severity::kDebug, "debug.hidden", "not shown");
    RealRuntime verbose("loud-host", "", kSeed, /*verbose=*/true);
    verbose.host().log.Record(Severity::kDebug, "debug.shown", "shown");
  }
  const std::string output = testing::internal::GetCapturedStderr();
  EXPECT_NE(output.find("\"host\":\"quiet-host\",\"level\":\"info\",\"event\":"
                        "\"checkpoint.completed\",\"message\":\"checkpoint 7\"}\n"),
            std::string::npos)
      << output;
  EXPECT_EQ(output.find("not shown"), std::string::npos) << output;
  EXPECT_NE(output.find("\"host\":\"loud-host\",\"level\":\"debug\",\"event\":\"debug.shown\","
                        "\"message\":\"shown\"}\n"),
            std::string::npos)
      << output;
}

}  // namespace real_runtime_test
}  // namespace
}  // namespace sluice::real
