// JobManager high availability in the simulator, on the etcd model (simnet/etcd_model.h): leader
// election between two candidates (takeover only once the leader's lease has expired, with a
// higher epoch), a paused leader learning of its loss and its fenced writes being refused, a
// restarted candidate taking its own key over, and an etcd crash deposing the leader.
#include "engine/ha/leader_election.h"

#include <gtest/gtest.h>

#include <string>

#include "scenarios/exactly_once.h"
#include "scenarios/wordcount_cluster.h"
#include "simnet/etcd_model.h"
#include "simnet/world.h"

namespace sluice {
namespace {
namespace leader_election_test {

constexpr uint16_t kEtcdPort = 2379;
const Address kEtcd{"etcd", kEtcdPort};
constexpr int64_t kRequestTimeoutNs = 200 * kNanosPerMilli;

class LeaderElectionTest : public ::testing::Test {
 protected:
  LeaderElectionTest() {
    etcd_ = world_.AddHost("etcd", [](Host& host) {
      (void)sim::RunEtcdModel(host, sim::EtcdModelConfig{kEtcdPort});
    });
  }
  static LeaderElectionConfig Config(const std::string& id) {
    LeaderElectionConfig config;
    config.candidate_id = id;
    config.lease_ttl_s = 1;
    config.renew_deadline_ns = 700 * kNanosPerMilli;
    config.renew_interval_ns = 100 * kNanosPerMilli;
    return config;
  }
  sim::World world_{sim::WorldOptions{.seed = 11}};
  sim::World::HostId etcd_ = 0;
};

// The standby takes over only once the leader's lease has expired on etcd, with a higher epoch;
// the old leader, paused past its lease, learns of the loss when it runs again, and its fenced
// write under its old epoch is refused.
TEST_F(LeaderElectionTest, StandbyTakesOverAfterTheLeaseAndFencesThePausedLeader) {
  int64_t first_epoch = 0, second_epoch = 0, second_elected_ms = -1, lost_ms = -1;
  std::string lost_reason;
  Status stale_write, fresh_write;
  bool stale_write_done = false;
  const auto leader = world_.AddHost("jobmanager-1", [&](Host& host) {
    LeaderElection election(host, {kEtcd}, Config("jobmanager-1"), kRequestTimeoutNs);
    first_epoch = election.Campaign([] { return false; }).value_or(-1);
    bool lost = false;
    election.StartRenewing([&](const std::string& reason) {
      lost = true;
      lost_reason = reason;
      lost_ms = host.clock.NowNs() / kNanosPerMilli;
    });
    while (!lost) host.fibers.SleepFor(10 * kNanosPerMilli);
    EtcdClient etcd = election.NewClient();
    stale_write = FencedWrite(etcd, election.fence(), {EtcdOp::Put("pointer", "stale")});
    stale_write_done = true;
    election.StopRenewing();
  });
  world_.RunUntil([&] { return first_epoch != 0; }, kNanosPerSecond);
  ASSERT_GT(first_epoch, 0);
  world_.AddHost("jobmanager-2", [&](Host& host) {
    LeaderElection election(host, {kEtcd}, Config("jobmanager-2"), kRequestTimeoutNs);
    second_epoch = election.Campaign([] { return false; }).value_or(-1);
    second_elected_ms = host.clock.NowNs() / kNanosPerMilli;
    EtcdClient etcd = election.NewClient();
    fresh_write = FencedWrite(etcd, election.fence(), {EtcdOp::Put("pointer", "fresh")});
  });
  // While the leader renews, the standby never takes over.
  world_.RunUntil([&] { return second_epoch != 0; }, world_.now_ns() + 3 * kNanosPerSecond);
  EXPECT_EQ(second_epoch, 0) << "the standby took over a lease that was being renewed (seed 11)";
  const int64_t paused_at_ms = world_.now_ns() / kNanosPerMilli;
  world_.Pause(leader, 2 * kNanosPerSecond);
  world_.RunUntil([&] { return stale_write_done; }, world_.now_ns() + 5 * kNanosPerSecond);
  EXPECT_GT(second_epoch, first_epoch);
  // The lease was last renewed at most one renew interval before the pause.
  EXPECT_GE(second_elected_ms - paused_at_ms, 900) << "taken over before the lease expired";
  EXPECT_LE(second_elected_ms - paused_at_ms, 1300);
  EXPECT_GE(lost_ms, paused_at_ms + 2000) << "the paused leader cannot notice before it runs";
  EXPECT_FALSE(lost_reason.empty());
  EXPECT_TRUE(fresh_write.ok()) << fresh_write.ToString();
  EXPECT_EQ(stale_write.code(), StatusCode::kFailedPrecondition) << stale_write.ToString();
}

// A JobManager that restarts (or leads again after a rescale) finds the key under its own id,
// held by its previous incarnation's lease, and takes it over at once with a new epoch; the old
// epoch is fenced off.
TEST_F(LeaderElectionTest, ACandidateTakesItsOwnKeyOverAtOnceWithANewEpoch) {
  int64_t first = 0, second = 0, first_ms = 0, second_ms = 0;
  Status old_epoch_write;
  bool done = false;
  world_.AddHost("jobmanager", [&](Host& host) {
    LeaderElection election(host, {kEtcd}, Config("jobmanager"), kRequestTimeoutNs);
    first = election.Campaign([] { return false; }).value_or(-1);
    first_ms = host.clock.NowNs() / kNanosPerMilli;
    const LeaderFence old_fence = election.fence();
    LeaderElection again(host, {kEtcd}, Config("jobmanager"), kRequestTimeoutNs);
    second = again.Campaign([] { return false; }).value_or(-1);
    second_ms = host.clock.NowNs() / kNanosPerMilli;
    EtcdClient etcd = again.NewClient();
    old_epoch_write = FencedWrite(etcd, old_fence, {EtcdOp::Put("x", "1")});
    done = true;
  });
  world_.RunUntil([&] { return done; }, 5 * kNanosPerSecond);
  ASSERT_TRUE(done);
  EXPECT_GT(second, first);
  EXPECT_LT(second_ms - first_ms, 100) << "the old lease was waited out";
  EXPECT_EQ(old_epoch_write.code(), StatusCode::kFailedPrecondition);
}

// etcd crashes: the leader cannot renew and steps down by its renew deadline. etcd comes back
// with the lease refreshed (as etcd's lessor does), and the JobManager, campaigning again, finds
// its own id on the key and leads with a new epoch.
TEST_F(LeaderElectionTest, AnEtcdCrashDeposesTheLeaderWhichLeadsAgainWithANewEpoch) {
  int64_t first = 0, second = 0, lost_ms = -1;
  bool done = false;
  world_.AddHost("jobmanager", [&](Host& host) {
    LeaderElection election(host, {kEtcd}, Config("jobmanager"), kRequestTimeoutNs);
    first = election.Campaign([] { return false; }).value_or(-1);
    bool lost = false;
    election.StartRenewing([&](const std::string&) {
      lost = true;
      lost_ms = host.clock.NowNs() / kNanosPerMilli;
    });
    while (!lost) host.fibers.SleepFor(10 * kNanosPerMilli);
    election.StopRenewing();
    second = election.Campaign([] { return false; }).value_or(-1);
    done = true;
  });
  world_.RunUntil([&] { return first != 0; }, kNanosPerSecond);
  world_.RunUntil([] { return false; }, world_.now_ns() + 500 * kNanosPerMilli);
  const int64_t crashed_ms = world_.now_ns() / kNanosPerMilli;
  world_.Crash(etcd_);
  world_.RunUntil([] { return false; }, world_.now_ns() + 2 * kNanosPerSecond);
  EXPECT_GT(lost_ms, crashed_ms);
  EXPECT_LE(lost_ms, crashed_ms + 700) << "the leader outlived its renew deadline";
  EXPECT_EQ(second, 0) << "led again while etcd was down";
  world_.Restart(etcd_);
  world_.RunUntil([&] { return done; }, world_.now_ns() + 5 * kNanosPerSecond);
  EXPECT_GT(second, first);
}

// Leader retrieval, as on real hosts: the TaskManagers know only etcd. They find the first leader
// there, and when it crashes they find its successor there too, and the job finishes exactly
// once.
TEST(LeaderRetrievalTest, TaskManagersFollowTheLeaderThroughEtcd) {
  scenarios::WordCountClusterOptions options;
  options.seed = 6;
  options.jobmanagers = 2;
  options.leader_retrieval = true;
  options.source_records_per_second = 2000;
  std::string input;
  for (int i = 0; i < 4000; ++i) input += "alpha beta gamma w" + std::to_string(i % 17) + "\n";
  scenarios::WordCountCluster cluster(options, input);
  std::vector<std::string> retrieved;
  std::string first_leader;
  cluster.world().AddEventObserver(
      [&](sim::World::HostId, Severity, std::string_view category, std::string_view message) {
        if (category == "taskmanager.leader_retrieved") retrieved.emplace_back(message);
        if (category == "jobmanager.elected" && first_leader.empty()) {
          first_leader = std::string(message.substr(0, message.find(' ')));
        }
      });
  // Crash the first leader once the job runs; it comes back as a standby.
  cluster.world().RunUntil([&] { return cluster.checkpoints_completed() >= 2; },
                           20 * kNanosPerSecond);
  ASSERT_FALSE(first_leader.empty());
  const auto leader = first_leader == "jobmanager" ? cluster.jobmanagers()[0]
                                                   : cluster.jobmanagers()[1];
  cluster.world().Crash(leader);
  cluster.world().Schedule(cluster.world().now_ns() + 2 * kNanosPerSecond,
                           [&] { cluster.world().Restart(leader); });
  cluster.Run(60 * 1000);
  ASSERT_TRUE(cluster.finished()) << cluster.failure() << " (rerun: ctest -R LeaderRetrievalTest)";
  const scenarios::ExactlyOnceReport report =
      scenarios::CheckExactlyOnce(scenarios::WordCountReference(input), cluster.CommittedOutput());
  EXPECT_TRUE(report.ok) << report.first_violation;
  // Every TaskManager found both JobManagers through etcd, the first leader and its successor.
  const size_t taskmanagers = cluster.taskmanagers().size();
  EXPECT_EQ(retrieved.size(), 2 * taskmanagers) << ::testing::PrintToString(retrieved);
}

}  // namespace leader_election_test
}  // namespace
}  // namespace sluice
