// JobScheduler: the JobMaster's decisions about TaskManagers, deployments and failures, as a pure
// state machine (Flink's DefaultScheduler with its restart strategy, slot pool and heartbeat
// monitor). It takes events (a TaskManager registered, was heard from or was lost; a task ran,
// finished or failed; a checkpoint expired; the clock) and returns commands for the JobMaster
// to carry out (deploy these tasks there, cancel the attempt, release a TaskManager, ping,
// finish, fail, log). It never suspends and does no I/O (job_scheduler_test.cc drives it).
//
// The job's states: waiting for resources → running → (restarting → waiting → running)* →
// finished or failed.
//   - Slot sharing as in Flink: slot i of a slot sharing group holds subtask i of every chain in
//     that group, so the job needs SlotsRequired(chains) slots (engine/graph/job_graph.h). Where
//     they go, by taskmanager.load-balance.mode (Flink 1.20's TaskManagerLoadBalanceMode):
//       none   fill: each slot to the first TaskManager (in id order) with a free slot;
//       slots  spread: each slot to the TaskManager used least relative to its size (used ÷
//              slots; ties: most free slots, then smallest id), Flink's
//              EvenlySpreadOutLocationPreferenceSlotSelectionStrategy;
//       tasks  FLIP-370: slots holding more tasks first, each to the TaskManager with the
//              fewest tasks so far relative to its size (ties as for slots), so that the tasks,
//              not just the slots, are balanced.
//     Placement is sticky (Flink schedules to prior allocations): a restart keeps every slot on
//     its previous TaskManager if that one is still registered, and places only the others,
//     so losing a TaskManager moves only its slots and adding one moves none; "job.deployed"
//     reports the number of tasks moved (field `moved`). The first deployment waits for
//     min_taskmanagers (or initial_resource_wait_ns); restarts do not.
//   - Every deployment restores the latest completed checkpoint (CheckpointCoordinator::latest())
//     and gives each pipelined region it deploys a new attempt, numbered epoch ×
//     kAttemptsPerEpoch + n: the tasks of one region share an attempt, which names their data
//     channels and their reports (Accepts), and regions restarted alone get their own.
//   - Failover (jobmanager.execution.failover-strategy, Flink's RestartPipelinedRegion-
//     FailoverStrategy): a task that failed, or an unfinished task on a lost TaskManager, fails
//     its pipelined region (Options::regions, engine/graph/job_graph.h's PipelinedRegions; with
//     `full` one region holds every task). When the failed regions are not all of them, only
//     those are cancelled (kCancelRegion) and, after the delay, redeployed from the latest
//     checkpoint (a partial kDeploy: the JobMaster returns the splits their sources were
//     assigned after it to the enumerators, Flink's addSplitsBack), while the others keep
//     running; the pending checkpoints are aborted. The job stays RUNNING. Otherwise, and for
//     failures that are not a task's (Failover: a checkpoint that expired), every task restarts,
//     when and after the delay its restart strategy says
//     (engine/jobmanager/restart_strategy.h; every failure it judges is logged as
//     "job.failover", the cause as text, with the fields epoch, now_ms (the time it was judged
//     at, by this JobManager's clock), restart (1/0), delay_ms and tasks (the number of tasks
//     restarted); "job.deployed" carries attempt, restored_checkpoint and now_ms). When the strategy gives up and some checkpoint completed, the job is FAILING:
//     one more deployment with final_commit set commits that checkpoint's output (retried every
//     200 ms until it finishes), and the job is FAILED once it finished. A task that
//     cannot restore its state (TaskFailure::kRestoredStateLost) fails the job at once: no
//     older checkpoint may be restored (the fall-back rule,
//     engine/checkpoint/completed_checkpoint.h).
//   - A TaskManager not heard from for heartbeat_timeout_ns is lost; losing one that runs an
//     unfinished task of the attempt fails the attempt over.
//   - Reactive mode (scheduler-mode: reactive, Flink's Reactive Mode on its AdaptiveScheduler):
//     the job runs at the highest parallelism.default whose slots the registered TaskManagers
//     hold (Options::reactive_slots says what each parallelism needs). Once the registered
//     slots have stayed unchanged for resource_stabilization_timeout_ns, the scheduler rescales
//     (cancels every task and returns kRescale: the JobMaster ends its leadership and the
//     JobManager leads again with the job at the new parallelism, restoring the latest
//     checkpoint with its state redistributed) when the job waits for slots it does not have
//     (a TaskManager left: scale in), when its first deployment would run at another
//     parallelism than the slots allow, or when TaskManagers joined and it could run wider
//     (scale out). The first deployment waits for the slots to stabilize instead of for
//     min_taskmanagers.
// Thread/fiber safety: one owner (the JobMaster's event loop).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/graph/job_graph.h"
#include "engine/jobmanager/checkpoint_coordinator.h"
#include "engine/jobmanager/job_manager.h"
#include "engine/jobmanager/restart_strategy.h"
#include "engine/rpc/control.h"
#include "engine/runtime/event_log.h"
#include "engine/runtime/network.h"

namespace sluice {

class JobScheduler {
 public:
  using TaskId = std::pair<int, int>;  // (chain, subtask)

  struct Options {
    int64_t epoch = 0;  // this leadership's fencing token: attempts are numbered from it
    RestartStrategyConfig restart;
    // Draws exponential-delay's jitter (the JobManager host's PRNG; not owned). May be null if
    // the strategy never draws (RestartBackoffTimeStrategy).
    Random* random = nullptr;
    LoadBalanceMode load_balance = LoadBalanceMode::kNone;
    int64_t heartbeat_interval_ns = 0;
    int64_t heartbeat_timeout_ns = 0;
    int min_taskmanagers = 1;
    int64_t initial_resource_wait_ns = 0;
    // Whether a planted bug (engine/runtime/fault_injection.h) is on; null: none is.
    std::function<bool(std::string_view bug)> bug_planted;
    // The job's pipelined regions, each a list of its tasks; together they hold every task
    // once. Empty: one region of every task (full failover).
    std::vector<std::vector<TaskId>> regions;
    // Reactive mode (see the header comment): the slots the job needs at parallelism.default
    // `p`, or -1 if it cannot run at `p` (another max parallelism, other chains); pure and
    // deterministic. Null: not reactive. `parallelism` is the one deployed here.
    std::function<int(int p)> reactive_slots;
    int parallelism = 0;
    int64_t resource_stabilization_timeout_ns = 0;
  };

  // One task of a deployment: where it runs, its attempt and what it restores.
  struct Deployment {
    TaskId task;
    std::string taskmanager;
    std::vector<Address> consumers;  // of each network output edge of its chain, concatenated
    // The restored checkpoint's state files of the task's chain, by old subtask (none for a
    // fresh start; another count than the chain's parallelism after a rescale).
    std::vector<std::string> restore_paths;
    int64_t attempt = 0;             // of the task's pipelined region
  };

  enum class CommandKind {
    kDeploy,              // send `deployments`: every task if `full`, else some regions' tasks
    kCancelAttempt,       // tell every TaskManager in `taskmanagers` to cancel attempts <=
                          // `attempt` (every task of the job)
    kCancelRegion,        // tell every TaskManager in `taskmanagers` to cancel exactly attempt
                          // `attempt` (one pipelined region)
    kReleaseTaskManager,  // close the connection of `taskmanager` (lost: `text` says why)
    kHeartbeat,           // ping every TaskManager in `taskmanagers`
    kFinished,            // the job finished: record the result and stop
    kFailed,              // the job failed for good (`text`): record the result and stop
    kCanceled,            // the job was cancelled (`text`): record the result and stop
    kLog,                 // record `category`/`text` at `severity`
    kRescale,             // reactive mode: every task is cancelled; lead again with the job at
                          // parallelism.default `parallelism`
  };
  struct Command {
    CommandKind kind = CommandKind::kLog;
    int64_t attempt = 0;
    bool full = true;           // kDeploy: every task (else the restarted regions' only)
    bool final_commit = false;  // kDeploy
    int64_t restored_from = 0;  // kDeploy: the checkpoint restored (0: none)
    int parallelism = 0;        // kRescale
    std::vector<Deployment> deployments;
    std::vector<std::string> taskmanagers;
    std::string taskmanager;
    Severity severity = Severity::kInfo;
    std::string category;
    std::string text;
    std::vector<std::pair<std::string, int64_t>> fields;  // kLog: the event's typed fields
  };
  using Commands = std::vector<Command>;

  // `checkpoints` answers which checkpoint a deployment restores, and hears of every deployment
  // (OnDeployed) and of every attempt's end (OnAttemptEnded) from here; it must outlive this.
  JobScheduler(Options options, std::vector<Chain> chains, CheckpointCoordinator* checkpoints);

  // The leadership started at `now_ns` (the initial resource wait counts from here).
  void OnStarted(int64_t now_ns);
  // A TaskManager registered (again: its earlier registration is released first). Ignored
  // without an id or a slot.
  Commands OnTaskManagerRegistered(const std::string& id, int slots, const Address& data_address,
                                   int64_t now_ns);
  // Any message of the current epoch from a registered TaskManager.
  void OnHeardFrom(const std::string& id, int64_t now_ns);
  // The TaskManager's connection closed (or it was lost some other way).
  Commands OnTaskManagerLost(const std::string& id, const std::string& reason, int64_t now_ns);

  // Task reports of attempt `attempt`; reports of other attempts than the task's region's, or
  // while the job is not running, are ignored (see Accepts).
  Commands OnTaskFinished(TaskId task, int64_t attempt);
  Commands OnTaskFailed(TaskId task, int64_t attempt, TaskFailure failure,
                        const std::string& message, int64_t now_ns);
  // Every task fails over (a checkpoint expired, a planted fall-back), whatever the strategy.
  Commands Failover(const std::string& reason, int64_t now_ns);
  // The job fails at once, without a restart or a final-commit deployment (data loss).
  Commands FailJob(const std::string& reason);
  // The job is cancelled (Flink's CANCELED): every task is cancelled, nothing more is deployed
  // or committed (the sinks' pending transactions stay uncommitted). Nothing once it has ended.
  Commands Cancel(const std::string& reason);
  // Heartbeats, the restart delay, deployment.
  Commands OnTick(int64_t now_ns);
  // When OnTick next has something to do.
  bool reactive() const { return static_cast<bool>(options_.reactive_slots); }
  // Reactive mode with the autoscaler (engine/jobmanager/autoscaler.h): the job runs at no more
  // than `parallelism` (0: no cap), and rescales in as well as out, running or not, to
  // min(what the slots hold, the cap). Never suspends.
  void SetAutoscalerTarget(int parallelism) { autoscaler_target_ = parallelism; }
  int64_t NextDeadlineNs(int64_t now_ns) const;

  // Whether a report of `task` in `attempt` is from its running attempt.
  bool Accepts(TaskId task, int64_t attempt) const {
    return running() && attempt != 0 && AttemptOf(task) == attempt;
  }
  // The attempt `task` runs in (0 while it is not deployed).
  int64_t AttemptOf(TaskId task) const;
  // The highest attempt deployed so far.
  int64_t attempt() const { return attempt_; }
  int64_t restored_from() const { return restored_from_; }
  bool running() const { return status_ == JobStatus::kRunning; }
  int restarts() const { return restarts_; }
  // The TaskManagers running deployed tasks, each with the attempts it runs, in order.
  std::vector<std::pair<std::string, int64_t>> AttemptTaskManagers() const;
  const std::vector<std::vector<TaskId>>& regions() const { return regions_; }
  // Where task `task` of the current attempt runs ("" if it is not deployed).
  std::string TaskManagerOf(TaskId task) const;
  bool IsRegistered(const std::string& id) const { return taskmanagers_.count(id) != 0; }

  // For the REST API (engine/jobmanager/rest_api.h). Flink's JobStatus name of the job:
  // CREATED (waiting for its first slots), RUNNING, RESTARTING, FINISHED or FAILED.
  const char* JobStatusName() const;
  struct TaskManagerView {
    std::string id;
    Address data_address;
    int slots = 0;
    int slots_used = 0;  // by tasks of the current attempt
    int64_t last_heard_ns = 0;
  };
  // The registered TaskManagers, in id order.
  std::vector<TaskManagerView> TaskManagers() const;
  // Whether every subtask of `chain` in the current attempt has finished.
  bool ChainFinished(int chain) const;
  const std::vector<Chain>& chains() const { return chains_; }
  const std::string& failure() const { return failure_; }

 private:
  enum class JobStatus {
    kWaitingForResources,
    kRunning,
    kRestarting,
    kRescaling,  // reactive mode: every task cancelled, the JobMaster leads again rescaled
    kFinished,
    kFailed,
    kCanceled
  };
  struct TaskManager {
    Address data_address;
    int slots = 0;
    int64_t last_heard_ns = 0;
  };
  struct Execution {
    std::string taskmanager;
    bool finished = false;
  };
  bool Planted(std::string_view bug) const {
    return options_.bug_planted && options_.bug_planted(bug);
  }
  // Forgets TaskManager `id` and fails the regions of its unfinished tasks over.
  void Release(const std::string& id, const std::string& reason, int64_t now_ns, Commands* out);
  // Deploys every region (full) or the restarting ones, if the slots are there.
  bool TryDeploy(bool full, int64_t now_ns, Commands* out);
  // The TaskManager of each of the job's `groups` slots (SlotsRequired), given each registered
  // TaskManager's free slots: where the previous deployment put it if that TaskManager can still
  // take it, else by options_.load_balance (see the header comment).
  std::vector<std::string> PlaceSlots(int groups, std::map<std::string, int> free) const;
  // Cancels every deployed task (kCancelAttempt) and forgets the executions; the pending
  // checkpoints end with them.
  void CancelEverything(Commands* out);
  // Every task fails over.
  void Failover(const std::string& reason, int64_t now_ns, Commands* out);
  // Tasks `failed` failed: their regions fail over (every task, if that is all of them).
  void FailTasks(const std::set<TaskId>& failed, const std::string& reason, int64_t now_ns,
                 Commands* out);
  // Asks the restart strategy about a failure restarting `tasks` tasks and logs job.failover.
  RestartBackoffTimeStrategy::Decision Judge(const std::string& reason, int64_t tasks,
                                             int64_t now_ns, Commands* out);
  // The strategy gave up: the job fails, after a final-commit deployment if a checkpoint
  // completed.
  void GiveUp(const std::string& reason, int64_t now_ns, Commands* out);
  void Fail(const std::string& reason, Commands* out);
  // Reactive mode: the registered slots' total, and the highest parallelism.default they hold
  // (0: none).
  int RegisteredSlots() const;
  int ReactiveTarget() const;
  // Reactive mode, once the slots have stabilized: rescales if the job waits for slots it lacks
  // or could run wider. Whether it did.
  bool MaybeRescale(int64_t now_ns, Commands* out);
  int autoscaler_target_ = 0;
  static Command Log(Severity severity, std::string category, std::string text);

  Options options_;
  std::vector<Chain> chains_;
  CheckpointCoordinator* checkpoints_;
  RestartBackoffTimeStrategy restart_strategy_;
  std::map<std::string, TaskManager> taskmanagers_;  // by id: deterministic order
  std::map<TaskId, Execution> executions_;           // the deployed tasks
  std::vector<std::vector<TaskId>> regions_;
  std::map<TaskId, int> region_of_;
  std::vector<int64_t> region_attempt_;  // of each region; 0 while it is not deployed
  std::set<int> restarting_regions_;     // cancelled alone, waiting for restart_at_ns_
  std::vector<std::string> previous_hosts_;  // the last deployment's TaskManager of each slot
  JobStatus status_ = JobStatus::kWaitingForResources;
  int64_t attempt_ = 0;         // the highest attempt deployed
  int64_t deployments_ = 0;    // region deployments of this leadership: numbers the attempts
  int64_t restored_from_ = 0;  // checkpoint the current attempt was deployed from (0: none)
  int restarts_ = 0;
  bool final_commit_ = false;  // failing for good: deployments only commit, then FAILED
  int64_t started_ns_ = 0;
  int64_t restart_at_ns_ = 0;
  int64_t next_heartbeat_ns_ = 0;
  int64_t slots_changed_ns_ = 0;  // when a TaskManager last registered or was lost
  std::string failure_;
};

}  // namespace sluice
