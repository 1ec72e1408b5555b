// The control plane against misbehaving peers, in the simulator: a TaskManager that goes silent
// without closing its connection is declared lost by heartbeat timeout, and a TaskManager drops
// messages carrying an older JobManager epoch (fencing token).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "simnet/store_server.h"
#include "engine/jobmanager/job_manager.h"
#include "engine/jobs/builtin_jobs.h"
#include "engine/rpc/control.h"
#include "engine/rpc/frame.h"
#include "engine/taskmanager/task_manager.h"
#include "simnet/etcd_model.h"
#include "simnet/world.h"

namespace sluice {
namespace {
namespace control_plane_test {

struct Observed {
  std::string category;
  std::string message;
  int64_t at_ms;
};

class ControlPlaneTest : public ::testing::Test {
 protected:
  void Observe() {
    world_.AddEventObserver(
        [this](sim::World::HostId, Severity, std::string_view category, std::string_view message) {
          events_.push_back(
              {std::string(category), std::string(message), world_.now_ns() / kNanosPerMilli});
        });
  }
  const Observed* Find(const std::string& category) const {
    for (const auto& e : events_) {
      if (e.category == category) return &e;
    }
    return nullptr;
  }
  sim::World world_{sim::WorldOptions{.seed = 5}};
  std::vector<Observed> events_;
};

TEST_F(ControlPlaneTest, SilentTaskManagerIsLostByHeartbeatTimeout) {
  Observe();
  world_.AddHost("checkpoint-store", [](Host& host) {
    (void)RunStoreServer(host, StoreServerConfig{7000, "store"});
  });
  JobRegistry jobs;
  ASSERT_TRUE(RegisterBuiltinJobs(jobs).ok());
  world_.AddHost("etcd", [](Host& host) {
    (void)sim::RunEtcdModel(host, sim::EtcdModelConfig{2379});
  });
  JobManagerConfig config;
  config.build_graph = jobs.Factory();
  config.services.checkpoint_dir = "mnt/checkpoints";
  config.etcd = {Address{"etcd", 2379}};
  config.heartbeat_timeout_ns = 1000 * kNanosPerMilli;
  const sim::World::HostId jobmanager =
      world_.AddHost("jobmanager", [&config](Host& host) { (void)RunJobManager(host, config); });
  world_.MountShared(jobmanager, "mnt/checkpoints", Address{"checkpoint-store", 7000});
  // Registers, then neither reads nor writes again, but keeps the connection open.
  world_.AddHost("silent-taskmanager", [](Host& host) {
    // The JobManager listens once it has won its leader election.
    auto stream = host.network.Connect(Address{"jobmanager", 6123}, kNanosPerSecond);
    while (!stream.ok()) {
      host.fibers.SleepFor(10 * kNanosPerMilli);
      stream = host.network.Connect(Address{"jobmanager", 6123}, kNanosPerSecond);
    }
    ControlMessage hello;
    hello.type = ControlType::kRegister;
    hello.text = "taskmanager-9";
    hello.slots = 1;
    ASSERT_TRUE(WriteFrame(*stream.value(), hello.Encode()).ok());
    host.fibers.SleepFor(3600 * kNanosPerSecond);
  });
  world_.RunUntil([this] { return Find("taskmanager.lost") != nullptr; }, 20 * kNanosPerSecond);
  const Observed* registered = Find("taskmanager.registered");
  const Observed* lost = Find("taskmanager.lost");
  ASSERT_NE(registered, nullptr);
  ASSERT_NE(lost, nullptr) << "a silent TaskManager was never declared lost (seed 5)";
  EXPECT_NE(lost->message.find("heartbeat timeout"), std::string::npos) << lost->message;
  EXPECT_GE(lost->at_ms - registered->at_ms, 1000);
  EXPECT_LE(lost->at_ms - registered->at_ms, 1300);
}

TEST_F(ControlPlaneTest, TaskManagerDropsMessagesFromAnOlderEpoch) {
  Observe();
  // A fake JobManager: accepts, answers the registration with epoch 5, then sends a deployment
  // stamped with epoch 4, as a deposed JobManager would.
  world_.AddHost("jobmanager", [](Host& host) {
    auto listener = host.network.Listen(Address{"", 6123});
    ASSERT_TRUE(listener.ok());
    auto stream = listener.value()->Accept();
    ASSERT_TRUE(stream.ok());
    FrameReader reader(stream.value().get());
    ASSERT_TRUE(reader.Next().ok());  // the registration
    ControlMessage registered;
    registered.type = ControlType::kRegistered;
    registered.epoch = 5;
    ASSERT_TRUE(WriteFrame(*stream.value(), registered.Encode()).ok());
    ControlMessage stale;
    stale.type = ControlType::kDeploy;
    stale.epoch = 4;
    stale.attempt = 4000001;
    ASSERT_TRUE(WriteFrame(*stream.value(), stale.Encode()).ok());
    host.fibers.SleepFor(3600 * kNanosPerSecond);
  });
  JobRegistry jobs;
  ASSERT_TRUE(RegisterBuiltinJobs(jobs).ok());
  TaskManagerConfig config;
  config.build_graph = jobs.Factory();
  config.id = "taskmanager-1";
  config.job_managers = {Address{"jobmanager", 6123}};
  config.data_address = Address{"taskmanager-1", 6124};
  config.heartbeat_timeout_ns = 3600 * kNanosPerSecond;
  world_.AddHost("taskmanager-1", [&config](Host& host) { (void)RunTaskManager(host, config); });
  world_.RunUntil([this] { return Find("taskmanager.fenced") != nullptr; }, 5 * kNanosPerSecond);
  const Observed* fenced = Find("taskmanager.fenced");
  ASSERT_NE(fenced, nullptr) << "a deployment from an older epoch was not refused (seed 5)";
  EXPECT_NE(fenced->message.find("deploy from epoch 4"), std::string::npos) << fenced->message;
  EXPECT_EQ(Find("task.running"), nullptr);
  EXPECT_EQ(Find("task.failed"), nullptr);
}

}  // namespace control_plane_test
}  // namespace
}  // namespace sluice
