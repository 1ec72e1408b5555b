#include "engine/jobmanager/job_scheduler.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace sluice {
namespace {
namespace job_scheduler_test {

using Kind = JobScheduler::CommandKind;
using Commands = JobScheduler::Commands;
using Shown = std::vector<std::string>;

constexpr int64_t kMs = 1000 * 1000;

// A source chain (2 subtasks) feeding a sink chain (2 subtasks) in one slot sharing group: 2 slots.
std::vector<Chain> Chains() {
  Chain source;
  source.id = 0;
  source.parallelism = 2;
  source.is_source = true;
  source.output_chains = {1};
  Chain sink;
  sink.id = 1;
  sink.parallelism = 2;
  return {source, sink};
}

JobScheduler::Options Options(int max_restarts = 2, std::set<std::string> planted = {}) {
  JobScheduler::Options options;
  options.epoch = 3;
  options.restart = RestartStrategyConfig::FixedDelay(max_restarts, 200);
  options.heartbeat_interval_ns = 100 * kMs;
  options.heartbeat_timeout_ns = 1000 * kMs;
  options.min_taskmanagers = 2;
  options.initial_resource_wait_ns = 5000 * kMs;
  options.bug_planted = [planted](std::string_view bug) {
    return planted.count(std::string(bug)) != 0;
  };
  return options;
}

CheckpointCoordinator::Options CoordinatorOptions() { return {500 * kMs, 10000 * kMs, nullptr}; }

// Commands as text, logs as "category: text", deployments as "deploy A: chain/subtask@tm<-path".
Shown Show(const Commands& commands) {
  Shown shown;
  for (const auto& c : commands) {
    switch (c.kind) {
      case Kind::kDeploy: {
        std::string text =
            "deploy " + std::to_string(c.attempt) + (c.final_commit ? " final" : "") + ":";
        for (const auto& d : c.deployments) {
          text += " " + std::to_string(d.task.first) + "/" + std::to_string(d.task.second) + "@" +
                  d.taskmanager +
                  (d.restore_paths.empty() ? "" : "<-" + d.restore_paths[d.task.second]);
        }
        shown.push_back(text);
        break;
      }
      case Kind::kCancelAttempt:
        shown.push_back("cancel " + std::to_string(c.attempt));
        break;
      case Kind::kCancelRegion:
        shown.push_back("cancel region " + std::to_string(c.attempt));
        break;
      case Kind::kCanceled:
        shown.push_back("canceled: " + c.text);
        break;
      case Kind::kReleaseTaskManager:
        shown.push_back("release " + c.taskmanager);
        break;
      case Kind::kHeartbeat:
        shown.push_back("ping " + std::to_string(c.taskmanagers.size()));
        break;
      case Kind::kFinished:
        shown.push_back("finished");
        break;
      case Kind::kFailed:
        shown.push_back("failed: " + c.text);
        break;
      case Kind::kLog:
        shown.push_back(c.category + ": " + c.text);
        break;
      case Kind::kRescale:
        shown.push_back("rescale " + std::to_string(c.parallelism));
        break;
    }
  }
  return shown;
}

// Only the commands of one kind.
Shown Only(Kind kind, const Commands& commands) {
  Commands some;
  for (const auto& c : commands) {
    if (c.kind == kind) some.push_back(c);
  }
  return Show(some);
}

class JobSchedulerTest : public ::testing::Test {
 protected:
  explicit JobSchedulerTest(JobScheduler::Options options = Options())
      : coordinator_(CoordinatorOptions()),
        scheduler_(std::move(options), Chains(), &coordinator_) {
    scheduler_.OnStarted(0);
  }
  void Register(const std::string& id, int slots, int64_t now_ns) {
    scheduler_.OnTaskManagerRegistered(id, slots, Address{id, 1}, now_ns);
  }
  // Registers tm-a and tm-b with 1 slot each and deploys at time 0.
  void Deployed() {
    Register("tm-a", 1, 0);
    Register("tm-b", 1, 0);
    const Commands commands = scheduler_.OnTick(0);
    ASSERT_EQ(Only(Kind::kDeploy, commands).size(), 1u);
    ASSERT_TRUE(scheduler_.running());
  }
  CheckpointCoordinator coordinator_;
  JobScheduler scheduler_;
};

TEST_F(JobSchedulerTest, TheFirstDeploymentWaitsForMinTaskManagersThenFillsSlots) {
  Register("tm-b", 4, 0);
  EXPECT_TRUE(Only(Kind::kDeploy, scheduler_.OnTick(10 * kMs)).empty())
      << "enough slots, but one TaskManager of two";
  EXPECT_EQ(scheduler_.NextDeadlineNs(10 * kMs), 110 * kMs) << "the next heartbeat";
  Register("tm-a", 1, 20 * kMs);
  // Load-balance mode none (Flink's default) fills in id order: slot 0 → tm-a (its one slot),
  // slot 1 → tm-b.
  EXPECT_EQ(Only(Kind::kDeploy, scheduler_.OnTick(20 * kMs)),
            (Shown{"deploy 3000001: 0/0@tm-a 0/1@tm-b 1/0@tm-a 1/1@tm-b"}));
  EXPECT_EQ(scheduler_.attempt(), 3000001) << "numbered from the epoch";
  EXPECT_EQ(scheduler_.AttemptTaskManagers(),
            (std::vector<std::pair<std::string, int64_t>>{{"tm-a", 3000001}, {"tm-b", 3000001}}));
}

TEST_F(JobSchedulerTest, AfterTheInitialWaitEnoughSlotsOnOneTaskManagerDeploy) {
  Register("tm-a", 2, 0);
  scheduler_.OnHeardFrom("tm-a", 4900 * kMs);
  EXPECT_TRUE(Only(Kind::kDeploy, scheduler_.OnTick(4999 * kMs)).empty());
  EXPECT_EQ(Only(Kind::kDeploy, scheduler_.OnTick(5000 * kMs)),
            (Shown{"deploy 3000001: 0/0@tm-a 0/1@tm-a 1/0@tm-a 1/1@tm-a"}));
}

TEST_F(JobSchedulerTest, ATaskFailureRestartsAfterTheDelayFromTheLatestCheckpoint) {
  Deployed();
  // Checkpoint 1 completes with every task's state.
  coordinator_.OnTaskRunning({0, 0});
  coordinator_.OnTaskRunning({0, 1});
  coordinator_.OnTaskRunning({1, 0});
  coordinator_.OnTaskRunning({1, 1});
  coordinator_.OnTick(500 * kMs);
  for (int chain = 0; chain < 2; ++chain) {
    for (int s = 0; s < 2; ++s) {
      coordinator_.OnAcknowledged({chain, s}, 1, "s" + std::to_string(chain) + std::to_string(s),
                                  100, 510 * kMs);
    }
  }
  coordinator_.OnStored(1);
  EXPECT_EQ(
      Show(scheduler_.OnTaskFailed({1, 0}, 3000001, TaskFailure::kRecoverable, "io", 600 * kMs)),
      (Shown{"cancel 3000001", "job.failover: task 1/0 failed: io",
             "job.restarting: 1: task 1/0 failed: io"}));
  EXPECT_FALSE(scheduler_.running());
  EXPECT_TRUE(
      Show(scheduler_.OnTaskFailed({1, 1}, 3000001, TaskFailure::kRecoverable, "io", 601 * kMs))
          .empty())
      << "reports of the cancelled attempt are ignored";
  EXPECT_TRUE(Only(Kind::kDeploy, scheduler_.OnTick(700 * kMs)).empty());
  EXPECT_EQ(scheduler_.NextDeadlineNs(700 * kMs), 800 * kMs) << "the restart (and a heartbeat)";
  EXPECT_TRUE(Only(Kind::kDeploy, scheduler_.OnTick(799 * kMs)).empty()) << "the restart delay";
  EXPECT_EQ(Only(Kind::kDeploy, scheduler_.OnTick(800 * kMs)),
            (Shown{"deploy 3000002: 0/0@tm-a<-s00 0/1@tm-b<-s01 1/0@tm-a<-s10 1/1@tm-b<-s11"}));
  EXPECT_EQ(scheduler_.restored_from(), 1);
}

TEST_F(JobSchedulerTest, ASilentTaskManagerIsLostAndItsTasksFailOver) {
  Deployed();
  scheduler_.OnHeardFrom("tm-a", 900 * kMs);
  const Commands commands = scheduler_.OnTick(1001 * kMs);  // tm-b: last heard at 0
  EXPECT_EQ(Only(Kind::kReleaseTaskManager, commands), (Shown{"release tm-b"}));
  EXPECT_EQ(Only(Kind::kCancelAttempt, commands), (Shown{"cancel 3000001"}));
  EXPECT_EQ(Only(Kind::kHeartbeat, commands), (Shown{"ping 1"})) << "only tm-a is left";
  EXPECT_FALSE(scheduler_.IsRegistered("tm-b"));
}

TEST_F(JobSchedulerTest, LosingAnIdleTaskManagerDoesNotFailOver) {
  Deployed();
  Register("tm-c", 1, 10 * kMs);
  EXPECT_EQ(Show(scheduler_.OnTaskManagerLost("tm-c", "connection closed", 20 * kMs)),
            (Shown{"release tm-c", "taskmanager.lost: tm-c: connection closed"}));
  EXPECT_TRUE(scheduler_.running());
}

TEST_F(JobSchedulerTest, ARegistrationAgainReleasesTheEarlierOneFirst) {
  Deployed();
  const Commands commands = scheduler_.OnTaskManagerRegistered("tm-a", 1, Address{"tm-a", 2}, 5);
  EXPECT_EQ(Only(Kind::kReleaseTaskManager, commands), (Shown{"release tm-a"}));
  EXPECT_EQ(Only(Kind::kCancelAttempt, commands), (Shown{"cancel 3000001"}))
      << "it ran tasks of the attempt";
  EXPECT_TRUE(scheduler_.IsRegistered("tm-a"));
}

TEST_F(JobSchedulerTest, TheJobFinishesWhenEveryTaskFinished) {
  Deployed();
  for (int chain = 0; chain < 2; ++chain) {
    for (int s = 0; s < 2; ++s) {
      const Shown shown = Show(scheduler_.OnTaskFinished({chain, s}, 3000001));
      if (chain == 1 && s == 1) {
        EXPECT_EQ(shown, (Shown{"job.finished: attempt 3000001 restarts 0", "finished"}));
      } else {
        EXPECT_TRUE(shown.empty());
      }
    }
  }
}

TEST_F(JobSchedulerTest, LostRestoredStateFailsTheJobWithoutARestart) {
  Deployed();
  EXPECT_EQ(
      Show(scheduler_.OnTaskFailed({0, 1}, 3000001, TaskFailure::kRestoredStateLost,
                                   "no copy verifies", 50 * kMs)),
      (Shown{"cancel 3000001", "job.failed: task 0/1 cannot restore checkpoint 0: no copy verifies",
             "failed: task 0/1 cannot restore checkpoint 0: no copy verifies"}));
}

TEST_F(JobSchedulerTest, CancelStopsEveryTaskAndNothingRestartsOrRunsAfter) {
  Deployed();
  EXPECT_EQ(Show(scheduler_.Cancel("asked")),
            (Shown{"cancel 3000001", "job.canceled: asked", "canceled: asked"}));
  EXPECT_STREQ(scheduler_.JobStatusName(), "CANCELED");
  EXPECT_FALSE(scheduler_.Accepts({0, 0}, 3000001)) << "reports of the cancelled attempt";
  EXPECT_TRUE(Show(scheduler_.OnTaskFailed({0, 0}, 3000001, TaskFailure::kRecoverable, "cancelled",
                                           10 * kMs))
                  .empty())
      << "a cancelled task's failure restarts nothing";
  EXPECT_TRUE(Show(scheduler_.OnTick(10 * 1000 * kMs)).empty());
  EXPECT_TRUE(Show(scheduler_.Cancel("again")).empty()) << "an ended job stays as it ended";
}

class ExhaustedJobSchedulerTest : public JobSchedulerTest {
 protected:
  ExhaustedJobSchedulerTest() : JobSchedulerTest(Options(/*max_restarts=*/0)) {}
};

TEST_F(ExhaustedJobSchedulerTest, WithoutACompletedCheckpointTheJobFails) {
  Deployed();
  EXPECT_EQ(Show(scheduler_.Failover("boom", 10 * kMs)),
            (Shown{"cancel 3000001", "job.failover: boom",
                   "job.failed: boom; restart strategy fixed-delay exhausted after 0 restarts",
                   "failed: boom; restart strategy fixed-delay exhausted after 0 restarts"}));
}

TEST_F(ExhaustedJobSchedulerTest, WithACompletedCheckpointAFinalCommitDeploymentRunsFirst) {
  Deployed();
  for (int chain = 0; chain < 2; ++chain) {
    for (int s = 0; s < 2; ++s) coordinator_.OnTaskRunning({chain, s});
  }
  coordinator_.OnTick(500 * kMs);
  for (int chain = 0; chain < 2; ++chain) {
    for (int s = 0; s < 2; ++s) coordinator_.OnAcknowledged({chain, s}, 1, "p", 100, 510 * kMs);
  }
  coordinator_.OnStored(1);
  EXPECT_EQ(Only(Kind::kLog, scheduler_.Failover("boom", 600 * kMs)),
            (Shown{"job.failover: boom",
                   "job.failing: boom; restart strategy fixed-delay exhausted after 0 restarts; "
                   "committing "
                   "checkpoint 1's output first"}));
  const Shown deploy = Only(Kind::kDeploy, scheduler_.OnTick(800 * kMs));
  ASSERT_EQ(deploy.size(), 1u);
  EXPECT_NE(deploy[0].find("deploy 3000002 final:"), std::string::npos) << deploy[0];
  // A failure of the final-commit attempt retries it; it does not count as a restart.
  EXPECT_EQ(Only(Kind::kLog, scheduler_.Failover("again", 900 * kMs)),
            (Shown{"job.failing: final commit retried: again"}));
  scheduler_.OnHeardFrom("tm-a", 1000 * kMs);
  scheduler_.OnHeardFrom("tm-b", 1000 * kMs);
  ASSERT_EQ(Only(Kind::kDeploy, scheduler_.OnTick(1100 * kMs)).size(), 1u);
  Commands last;
  for (int chain = 0; chain < 2; ++chain) {
    for (int s = 0; s < 2; ++s) last = scheduler_.OnTaskFinished({chain, s}, 3000003);
  }
  EXPECT_EQ(Only(Kind::kFailed, last),
            (Shown{"failed: boom; restart strategy fixed-delay exhausted after 0 restarts"}))
      << "the job is FAILED once the final commit finished";
}

class PlantedHeartbeatBugTest : public JobSchedulerTest {
 protected:
  PlantedHeartbeatBugTest() : JobSchedulerTest(Options(2, {"heartbeat-timeout-ignored"})) {}
};

TEST_F(PlantedHeartbeatBugTest, ASilentTaskManagerIsNeverLost) {
  Deployed();
  EXPECT_TRUE(Only(Kind::kReleaseTaskManager, scheduler_.OnTick(5000 * kMs)).empty());
  EXPECT_TRUE(scheduler_.running());
}

// Placement by taskmanager.load-balance.mode: three chains (a source of 4 subtasks, a map of 4, a
// sink of 1) in one slot sharing group need 4 slots; slot 0 holds 3 tasks, slots 1..3 hold 2.
std::vector<std::string> Placement(LoadBalanceMode mode,
                                   const std::vector<std::pair<std::string, int>>& tms) {
  Chain source;
  source.id = 0;
  source.parallelism = 4;
  source.is_source = true;
  source.output_chains = {1};
  Chain map;
  map.id = 1;
  map.parallelism = 4;
  map.output_chains = {2};
  Chain sink;
  sink.id = 2;
  sink.parallelism = 1;
  JobScheduler::Options options = Options();
  options.load_balance = mode;
  options.min_taskmanagers = static_cast<int>(tms.size());
  CheckpointCoordinator coordinator(CoordinatorOptions());
  JobScheduler scheduler(std::move(options), {source, map, sink}, &coordinator);
  scheduler.OnStarted(0);
  for (const auto& [id, slots] : tms) {
    scheduler.OnTaskManagerRegistered(id, slots, Address{id, 1}, 0);
  }
  EXPECT_EQ(Only(Kind::kDeploy, scheduler.OnTick(0)).size(), 1u);
  std::vector<std::string> slot_hosts;  // the TaskManager of slot g = of subtask g of the source
  for (int g = 0; g < 4; ++g) slot_hosts.push_back(scheduler.TaskManagerOf({0, g}));
  return slot_hosts;
}

TEST(LoadBalanceTest, NoneFillsTaskManagersInIdOrder) {
  EXPECT_EQ(Placement(LoadBalanceMode::kNone, {{"tm-a", 2}, {"tm-b", 2}, {"tm-c", 2}}),
            (std::vector<std::string>{"tm-a", "tm-a", "tm-b", "tm-b"}));
}

TEST(LoadBalanceTest, SlotsSpreadWeightedByEachTaskManagersSize) {
  EXPECT_EQ(Placement(LoadBalanceMode::kSlots, {{"tm-a", 2}, {"tm-b", 2}, {"tm-c", 2}}),
            (std::vector<std::string>{"tm-a", "tm-b", "tm-c", "tm-a"}));
  // tm-big has 6 slots, tm-small 2: by utilization tm-big takes 3 of the 4 (1/6 < 1/2, 2/6 <
  // 1/2, then 3/6 = 1/2 with more free slots, and tm-small at 0/2 takes one before that).
  EXPECT_EQ(Placement(LoadBalanceMode::kSlots, {{"tm-big", 6}, {"tm-small", 2}}),
            (std::vector<std::string>{"tm-big", "tm-small", "tm-big", "tm-big"}));
}

TEST(LoadBalanceTest, TasksBalanceTheTaskCountNotTheSlotCount) {
  // Slot 0 (3 tasks) goes first, then each 2-task slot to the TaskManager with the fewest tasks
  // so far (relative to its size).
  const std::vector<std::string> placed =
      Placement(LoadBalanceMode::kTasks, {{"tm-a", 3}, {"tm-b", 3}});
  std::map<std::string, int> tasks;
  const int tasks_in[] = {3, 2, 2, 2};
  for (int g = 0; g < 4; ++g) tasks[placed[g]] += tasks_in[g];
  EXPECT_EQ(tasks["tm-a"], 5);
  EXPECT_EQ(tasks["tm-b"], 4) << "9 tasks over two TaskManagers: 5 and 4";
  // Spreading slots alone puts slots 0 and 2 (3 + 2 tasks) on tm-a as well, but with a third
  // TaskManager the modes differ: tasks puts the 3-task slot alone.
  const std::vector<std::string> three =
      Placement(LoadBalanceMode::kTasks, {{"tm-a", 2}, {"tm-b", 2}, {"tm-c", 2}});
  std::map<std::string, int> per;
  for (int g = 0; g < 4; ++g) per[three[g]] += tasks_in[g];
  EXPECT_EQ(per["tm-a"], 3) << "the 3-task slot first, alone";
  EXPECT_EQ(per["tm-b"], 4);
  EXPECT_EQ(per["tm-c"], 2);
}

// The "moved" field of the "job.deployed" event in `commands` (-1: none).
int64_t Moved(const Commands& commands) {
  for (const auto& c : commands) {
    if (c.kind != Kind::kLog || c.category != "job.deployed") continue;
    for (const auto& [name, value] : c.fields) {
      if (name == "moved") return value;
    }
  }
  return -1;
}

TEST_F(JobSchedulerTest, PlacementIsStickyAcrossRestarts) {
  Register("tm-a", 1, 0);
  Register("tm-b", 1, 0);
  Register("tm-c", 1, 0);
  EXPECT_EQ(Only(Kind::kDeploy, scheduler_.OnTick(0)),
            (Shown{"deploy 3000001: 0/0@tm-a 0/1@tm-b 1/0@tm-a 1/1@tm-b"}));
  // Losing tm-b moves only its slot (2 tasks) to tm-c; tm-a keeps its own.
  scheduler_.OnTaskManagerLost("tm-b", "crashed", 100 * kMs);
  const Commands restart = scheduler_.OnTick(300 * kMs);
  EXPECT_EQ(Only(Kind::kDeploy, restart),
            (Shown{"deploy 3000002: 0/0@tm-a 0/1@tm-c 1/0@tm-a 1/1@tm-c"}));
  EXPECT_EQ(Moved(restart), 2);
  // A TaskManager joining moves nothing.
  Register("tm-0", 1, 350 * kMs);
  scheduler_.OnTaskFailed({0, 0}, 3000002, TaskFailure::kRecoverable, "io", 400 * kMs);
  const Commands again = scheduler_.OnTick(600 * kMs);
  EXPECT_EQ(Only(Kind::kDeploy, again),
            (Shown{"deploy 3000003: 0/0@tm-a 0/1@tm-c 1/0@tm-a 1/1@tm-c"}))
      << "tm-0 would come first in id order, but nothing has to move";
  EXPECT_EQ(Moved(again), 0);
}

// The same chains joined by forward edges: two pipelined regions, subtask 0's and subtask 1's.
JobScheduler::Options RegionOptions() {
  JobScheduler::Options options = Options();
  options.regions = {{{0, 0}, {1, 0}}, {{0, 1}, {1, 1}}};
  return options;
}

class RegionFailoverTest : public JobSchedulerTest {
 protected:
  RegionFailoverTest() : JobSchedulerTest(RegionOptions()) {}
};

TEST_F(RegionFailoverTest, EachRegionRunsInAnAttemptOfItsOwn) {
  Register("tm-a", 1, 0);
  Register("tm-b", 1, 0);
  EXPECT_EQ(Only(Kind::kDeploy, scheduler_.OnTick(0)),
            (Shown{"deploy 3000001: 0/0@tm-a 1/0@tm-a 0/1@tm-b 1/1@tm-b"}));
  EXPECT_EQ(scheduler_.AttemptOf({1, 0}), 3000001);
  EXPECT_EQ(scheduler_.AttemptOf({1, 1}), 3000002);
  EXPECT_TRUE(scheduler_.Accepts({0, 1}, 3000002));
  EXPECT_FALSE(scheduler_.Accepts({0, 1}, 3000001)) << "region 0's attempt is not region 1's";
  EXPECT_EQ(scheduler_.AttemptTaskManagers(),
            (std::vector<std::pair<std::string, int64_t>>{{"tm-a", 3000001}, {"tm-b", 3000002}}));
}

TEST_F(RegionFailoverTest, ATaskFailureRestartsOnlyItsRegion) {
  Deployed();
  const Commands failed =
      scheduler_.OnTaskFailed({1, 1}, 3000002, TaskFailure::kRecoverable, "io", 10 * kMs);
  EXPECT_EQ(Only(Kind::kCancelRegion, failed), (Shown{"cancel region 3000002"}));
  EXPECT_TRUE(Only(Kind::kCancelAttempt, failed).empty()) << "region 0 runs on";
  EXPECT_STREQ(scheduler_.JobStatusName(), "RUNNING");
  EXPECT_TRUE(scheduler_.Accepts({0, 0}, 3000001));
  EXPECT_FALSE(scheduler_.Accepts({0, 1}, 3000002));
  EXPECT_EQ(scheduler_.AttemptOf({0, 1}), 0) << "not deployed while it waits";
  EXPECT_TRUE(Only(Kind::kDeploy, scheduler_.OnTick(200 * kMs)).empty()) << "the delay is 200 ms";
  EXPECT_EQ(scheduler_.NextDeadlineNs(200 * kMs), 210 * kMs);
  const Commands restart = scheduler_.OnTick(210 * kMs);
  EXPECT_EQ(Only(Kind::kDeploy, restart), (Shown{"deploy 3000003: 0/1@tm-b 1/1@tm-b"}));
  EXPECT_FALSE(restart.front().full);
  EXPECT_EQ(scheduler_.AttemptOf({0, 1}), 3000003);
  EXPECT_EQ(scheduler_.AttemptOf({0, 0}), 3000001);
  EXPECT_EQ(scheduler_.restarts(), 1);
  // The job finishes once every task of every region's current attempt has.
  for (const auto& [task, attempt] : std::vector<std::pair<JobScheduler::TaskId, int64_t>>{
           {{0, 0}, 3000001}, {{1, 0}, 3000001}, {{0, 1}, 3000003}}) {
    EXPECT_TRUE(Only(Kind::kFinished, scheduler_.OnTaskFinished(task, attempt)).empty());
  }
  EXPECT_TRUE(Only(Kind::kFinished, scheduler_.OnTaskFinished({1, 1}, 3000002)).empty())
      << "a report of the cancelled attempt";
  EXPECT_EQ(Only(Kind::kFinished, scheduler_.OnTaskFinished({1, 1}, 3000003)),
            (Shown{"finished"}));
}

TEST_F(RegionFailoverTest, WhenEveryRegionHasFailedTheJobRestarts) {
  Deployed();
  // tm-a runs region 0 only: losing it restarts that region.
  EXPECT_EQ(Only(Kind::kCancelRegion, scheduler_.OnTaskManagerLost("tm-a", "crashed", 10 * kMs)),
            (Shown{"cancel region 3000001"}));
  // Region 1 fails while region 0 waits: every region has failed, a full restart, which waits
  // for the later of the two delays.
  const Commands failed =
      scheduler_.OnTaskFailed({0, 1}, 3000002, TaskFailure::kRecoverable, "io", 50 * kMs);
  EXPECT_EQ(Only(Kind::kCancelAttempt, failed), (Shown{"cancel 3000002"}));
  EXPECT_STREQ(scheduler_.JobStatusName(), "RESTARTING");
  Register("tm-c", 1, 100 * kMs);
  EXPECT_TRUE(Only(Kind::kDeploy, scheduler_.OnTick(240 * kMs)).empty());
  const Commands restart = scheduler_.OnTick(250 * kMs);
  EXPECT_EQ(Only(Kind::kDeploy, restart),
            (Shown{"deploy 3000003: 0/0@tm-c 1/0@tm-c 0/1@tm-b 1/1@tm-b"}));
  EXPECT_TRUE(restart.front().full);
  EXPECT_EQ(Moved(restart), 2) << "region 0's two tasks moved off the lost tm-a";
  EXPECT_EQ(scheduler_.AttemptOf({0, 1}), 3000004);
}

TEST_F(RegionFailoverTest, GivingUpOnARegionStopsEveryTask) {
  Deployed();
  // max_restarts = 2: the third failure exhausts fixed-delay; nothing completed, so FAILED.
  scheduler_.OnTaskFailed({0, 0}, 3000001, TaskFailure::kRecoverable, "io", 10 * kMs);
  scheduler_.OnTick(210 * kMs);
  scheduler_.OnTaskFailed({0, 0}, 3000003, TaskFailure::kRecoverable, "io", 300 * kMs);
  scheduler_.OnTick(500 * kMs);
  const Commands gave_up =
      scheduler_.OnTaskFailed({1, 1}, 3000002, TaskFailure::kRecoverable, "io", 600 * kMs);
  EXPECT_EQ(Only(Kind::kCancelAttempt, gave_up), (Shown{"cancel 3000004"}));
  EXPECT_EQ(Only(Kind::kFailed, gave_up).size(), 1u);
  EXPECT_STREQ(scheduler_.JobStatusName(), "FAILED");
}

// Reactive mode: the job (chains of parallelism 2) needs p slots at parallelism p.
JobScheduler::Options ReactiveOptions() {
  JobScheduler::Options options = Options(/*max_restarts=*/5);
  options.reactive_slots = [](int p) { return p; };
  options.parallelism = 2;
  options.resource_stabilization_timeout_ns = 300 * kMs;
  return options;
}

class ReactiveTest : public JobSchedulerTest {
 protected:
  ReactiveTest() : JobSchedulerTest(ReactiveOptions()) {}
};

TEST_F(ReactiveTest, TheFirstDeploymentWaitsForTheSlotsToStabilize) {
  Register("tm-a", 1, 0);
  Register("tm-b", 1, 100 * kMs);
  EXPECT_TRUE(Only(Kind::kDeploy, scheduler_.OnTick(350 * kMs)).empty())
      << "tm-b registered 250 ms ago";
  EXPECT_EQ(scheduler_.NextDeadlineNs(350 * kMs), 400 * kMs) << "when the slots are stable";
  EXPECT_EQ(Only(Kind::kDeploy, scheduler_.OnTick(400 * kMs)).size(), 1u)
      << "two slots: the job's parallelism";
}

TEST_F(ReactiveTest, MoreSlotsThanTheJobUsesRescaleItBeforeItsFirstDeployment) {
  Register("tm-a", 4, 0);
  const Commands commands = scheduler_.OnTick(300 * kMs);
  EXPECT_TRUE(Only(Kind::kDeploy, commands).empty());
  EXPECT_EQ(Only(Kind::kRescale, commands), Shown{"rescale 4"});
  EXPECT_EQ(Only(Kind::kLog, commands), Shown{"job.rescaling: parallelism 2 -> 4 (4 slots)"});
  EXPECT_STREQ(scheduler_.JobStatusName(), "RESTARTING");
}

TEST_F(ReactiveTest, ALeavingTaskManagerScalesTheJobIn) {
  Register("tm-a", 1, 0);
  Register("tm-b", 1, 0);
  ASSERT_EQ(Only(Kind::kDeploy, scheduler_.OnTick(300 * kMs)).size(), 1u);
  const Commands lost = scheduler_.OnTaskManagerLost("tm-b", "connection closed", 1000 * kMs);
  EXPECT_TRUE(Only(Kind::kRescale, lost).empty()) << "the restart strategy judges first";
  scheduler_.OnHeardFrom("tm-a", 1200 * kMs);
  EXPECT_TRUE(Only(Kind::kRescale, scheduler_.OnTick(1250 * kMs)).empty())
      << "restart delay over, but the slots changed 250 ms ago";
  const Commands commands = scheduler_.OnTick(1300 * kMs);
  EXPECT_EQ(Only(Kind::kRescale, commands), Shown{"rescale 1"});
  EXPECT_TRUE(Only(Kind::kDeploy, commands).empty());
}

TEST_F(ReactiveTest, AJoiningTaskManagerScalesARunningJobOut) {
  Register("tm-a", 1, 0);
  Register("tm-b", 1, 0);
  ASSERT_EQ(Only(Kind::kDeploy, scheduler_.OnTick(300 * kMs)).size(), 1u);
  Register("tm-c", 1, 1000 * kMs);
  scheduler_.OnHeardFrom("tm-a", 1250 * kMs);
  scheduler_.OnHeardFrom("tm-b", 1250 * kMs);
  EXPECT_TRUE(Only(Kind::kRescale, scheduler_.OnTick(1250 * kMs)).empty());
  const Commands commands = scheduler_.OnTick(1300 * kMs);
  EXPECT_EQ(Only(Kind::kCancelAttempt, commands), Shown{"cancel 3000001"})
      << "every task is cancelled first";
  EXPECT_EQ(Only(Kind::kRescale, commands), Shown{"rescale 3"});
}

TEST_F(ReactiveTest, AParallelismTheJobCannotRunAtIsSkipped) {
  JobScheduler::Options options = ReactiveOptions();
  options.reactive_slots = [](int p) { return p == 3 ? -1 : p; };  // 3 would change the chains
  CheckpointCoordinator coordinator(CoordinatorOptions());
  JobScheduler scheduler(std::move(options), Chains(), &coordinator);
  scheduler.OnStarted(0);
  scheduler.OnTaskManagerRegistered("tm-a", 3, Address{"tm-a", 1}, 0);
  EXPECT_EQ(Only(Kind::kDeploy, scheduler.OnTick(300 * kMs)).size(), 1u)
      << "3 slots hold parallelism 2 at most: the job deploys as it is";
}

}  // namespace job_scheduler_test
}  // namespace
}  // namespace sluice
