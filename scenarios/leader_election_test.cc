// JobManager high availability in the simulator: the store's conditional calls, the lease record,
// leader election between two candidates (takeover only after the lease runs out, with a higher
// epoch), a paused leader learning of its loss, and its fenced writes being refused.
#include "engine/jobmanager/leader_election.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "engine/checkpoint/store.h"
#include "simnet/world.h"

namespace sluice {
namespace {
namespace leader_election_test {

constexpr uint16_t kStorePort = 7000;
const Address kStore{"checkpoint-store", kStorePort};

class LeaderElectionTest : public ::testing::Test {
 protected:
  LeaderElectionTest() {
    world_.AddHost("checkpoint-store", [](Host& host) {
      (void)RunStoreServer(host, StoreServerConfig{kStorePort, "store"});
    });
  }
  static LeaderElectionConfig Config(const std::string& id) {
    LeaderElectionConfig config;
    config.candidate_id = id;
    config.lease_duration_ns = 500 * kNanosPerMilli;
    config.renew_deadline_ns = 350 * kNanosPerMilli;
    config.renew_interval_ns = 100 * kNanosPerMilli;
    return config;
  }
  sim::World world_{sim::WorldOptions{.seed = 11}};
};

TEST_F(LeaderElectionTest, StoreCompareAndSwapAndFencedWrites) {
  std::string log;
  bool done = false;
  world_.AddHost("client", [&](Host& host) {
    StoreClient store(host, kStore);
    auto step = [&](const std::string& what, bool value) { log += what + (value ? "=1 " : "=0 "); };
    step("create", store.CompareAndSwap("lease", std::nullopt, "a").value_or(false));
    step("create-again", store.CompareAndSwap("lease", std::nullopt, "b").value_or(true));
    step("swap-wrong", store.CompareAndSwap("lease", std::string("x"), "b").value_or(true));
    step("swap", store.CompareAndSwap("lease", std::string("a"), "b").value_or(false));
    step("read-b", store.ReadFile("lease").value_or("") == "b");
    const Status fenced_off = store.WriteAtomic("data", "1", StoreFence{"lease", "a"});
    step("fenced-off", fenced_off.code() == StatusCode::kFailedPrecondition);
    step("data-absent", !store.Exists("data").value_or(true));
    step("fenced-ok", store.WriteAtomic("data", "2", StoreFence{"lease", "b"}).ok());
    step("no-guard", store.WriteAtomic("data", "3", StoreFence{"missing", ""}).code() ==
                         StatusCode::kFailedPrecondition);
    step("read-2", store.ReadFile("data").value_or("") == "2");
    done = true;
  });
  world_.RunUntil([&] { return done; }, 10 * kNanosPerSecond);
  EXPECT_EQ(log,
            "create=1 create-again=0 swap-wrong=0 swap=1 read-b=1 fenced-off=1 data-absent=1 "
            "fenced-ok=1 no-guard=1 read-2=1 ");
}

TEST(LeaseRecordTest, RoundTripsAndNamesWhatIsWrong) {
  const LeaseRecord record{7, "jobmanager-2", 41};
  EXPECT_EQ(record.Encode(), "7\njobmanager-2\n41\n");
  auto decoded = LeaseRecord::Decode(record.Encode(), "lease");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->epoch, 7);
  EXPECT_EQ(decoded->holder, "jobmanager-2");
  EXPECT_EQ(decoded->renewals, 41);
  EXPECT_EQ(record.FencePrefix(), "7\njobmanager-2\n");
  for (const char* bad : {"", "7\njm\n", "x\njm\n1\n", "7\n\n1\n", "7\njm\n1\nmore", "-1\njm\n0\n"}) {
    auto result = LeaseRecord::Decode(bad, "jobmanager/leader");
    EXPECT_EQ(result.status().code(), StatusCode::kDataLoss) << "'" << bad << "'";
    EXPECT_NE(result.status().message().find("jobmanager/leader"), std::string::npos);
  }
}

// The standby takes over only after the leader stops renewing for a whole lease, with the next
// epoch; the old leader, paused past its lease, learns of the loss when it runs again, and the
// store refuses the fenced write it attempts under its old epoch.
TEST_F(LeaderElectionTest, StandbyTakesOverAfterTheLeaseAndFencesThePausedLeader) {
  int64_t first_epoch = 0, second_epoch = 0, second_elected_ms = -1, lost_ms = -1;
  std::string lost_reason;
  Status stale_write;
  bool stale_write_done = false;
  const auto leader = world_.AddHost("jobmanager-1", [&](Host& host) {
    LeaderElection election(host, kStore, Config("jobmanager-1"));
    first_epoch = election.Campaign([] { return false; }).value_or(-1);
    bool lost = false;
    election.StartRenewing([&](const std::string& reason) {
      lost = true;
      lost_reason = reason;
      lost_ms = host.clock.NowNs() / kNanosPerMilli;
    });
    while (!lost) host.fibers.SleepFor(10 * kNanosPerMilli);
    StoreClient store(host, kStore);
    stale_write = store.WriteAtomic("checkpoints/chk-1/_metadata", "stale", election.fence());
    stale_write_done = true;
    election.StopRenewing();
  });
  world_.RunUntil([&] { return first_epoch != 0; }, kNanosPerSecond);
  ASSERT_EQ(first_epoch, 1);
  world_.AddHost("jobmanager-2", [&](Host& host) {
    LeaderElection election(host, kStore, Config("jobmanager-2"));
    second_epoch = election.Campaign([] { return false; }).value_or(-1);
    second_elected_ms = host.clock.NowNs() / kNanosPerMilli;
  });
  // While the leader renews, the standby never takes over.
  world_.RunUntil([&] { return second_epoch != 0; }, world_.now_ns() + 3 * kNanosPerSecond);
  EXPECT_EQ(second_epoch, 0) << "the standby took over a lease that was being renewed (seed 11)";
  const int64_t paused_at_ms = world_.now_ns() / kNanosPerMilli;
  world_.Pause(leader, 2 * kNanosPerSecond);
  world_.RunUntil([&] { return stale_write_done; }, world_.now_ns() + 5 * kNanosPerSecond);
  ASSERT_EQ(second_epoch, 2);
  EXPECT_GE(second_elected_ms - paused_at_ms, 500) << "taken over before the lease ran out";
  EXPECT_LE(second_elected_ms - paused_at_ms, 800);
  EXPECT_GE(lost_ms, paused_at_ms + 2000) << "the paused leader cannot notice before it runs";
  EXPECT_FALSE(lost_reason.empty());
  EXPECT_EQ(stale_write.code(), StatusCode::kFailedPrecondition) << stale_write.ToString();
}

}  // namespace leader_election_test
}  // namespace
}  // namespace sluice
