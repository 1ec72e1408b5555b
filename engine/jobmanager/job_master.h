// JobMaster: the JobManager's event loop for one job (Flink's JobMaster + scheduler + heartbeat
// manager), around a pure CheckpointCoordinator (checkpoint_coordinator.h) whose commands it
// carries out. Connection fibers only parse frames and queue events; every decision is taken in
// Run's loop, so the logic needs no locks and sees one ordered stream of events.
//
// Scheduling: slot sharing as in Flink: slot i of a slot sharing group holds subtask i of every
// chain in that group, so the job needs SlotsRequired(chains) slots (engine/graph/job_graph.h);
// slots are spread across TaskManagers (most free slots first, ties by id), like
// cluster.evenly-spread-out-slots.
// Checkpoints: one at a time, every checkpoint_interval; a checkpoint that does not complete within
// checkpoint_timeout fails the job attempt (Flink's tolerable-failed-checkpoints = 0).
// Failover: restart-all from the latest completed checkpoint, fixed delay, bounded attempts; never
// from an older one: a task that finds the latest's state lost (TaskFailure::kRestoredStateLost)
// fails the job (the fall-back rule, engine/checkpoint/completed_checkpoint.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/jobmanager/checkpoint_coordinator.h"
#include "engine/jobmanager/job_manager.h"
#include "engine/rpc/control.h"
#include "engine/runtime/sync.h"

namespace sluice {

// Records the job's outcome (OK: finished; an error: failed, with its message) at
// kJobResultPath, as a fenced write under the leader's `fence`. May suspend.
Status RecordJobResult(StoreClient& store, const StoreFence& fence, const Status& result);

class JobMaster {
 public:
  // `election` has just won a campaign: its epoch is this JobMaster's fencing token.
  JobMaster(Host& host, const JobManagerConfig& config, std::vector<Chain> chains,
            LeaderElection& election);
  // Serves TaskManagers on `listener` until the job finishes (OK) or fails (kAborted), and
  // records the outcome; kUnavailable when leadership is lost first. May suspend.
  Status Run(Listener& listener);

 private:
  enum class JobStatus {
    kWaitingForResources,
    kRunning,
    kRestarting,
    kFinished,
    kFailed,
    kLostLeadership
  };
  using TaskId = std::pair<int, int>;  // (chain, subtask)
  struct Connection;
  struct Event {
    enum class Kind { kRegistered, kMessage, kDisconnected, kLeadershipLost } kind;
    uint64_t session = 0;
    ControlMessage message;
  };
  struct TaskManagerInfo {
    std::string id;
    Address data_address;
    int slots = 0;
    uint64_t session = 0;
    int64_t last_heard_ns = 0;
  };
  struct Execution {
    std::string taskmanager;
    bool running = false;
    bool finished = false;
  };

  void Accept(Listener& listener);
  void ServeConnection(std::shared_ptr<Connection> connection);
  void Handle(const Event& event);
  void HandleRegistered(const Event& event);
  void HandleTaskState(const ControlMessage& m);
  void HandleAck(const ControlMessage& m);
  void Tick();
  void CheckHeartbeats();
  // Carries out the checkpoint coordinator's commands, in order.
  void Execute(const CheckpointCoordinator::Commands& commands);
  // Tells every TaskManager running the current attempt that `checkpoint_id` completed.
  void NotifyCheckpointComplete(int64_t checkpoint_id);
  bool TryDeploy();
  void Failover(const std::string& reason);
  // `id` is taken by value: callers pass keys of taskmanagers_, which this erases.
  void LoseTaskManager(std::string id, const std::string& reason);
  void Send(const std::string& taskmanager, ControlMessage message);
  int64_t NextDeadline() const;
  void RecoverCheckpointStore();
  // Records the outcome; retried while the store is down, given up once fenced. May suspend.
  void RecordResult();
  void Shutdown();
  const CompletedCheckpoint* Latest() const { return coordinator_.latest(); }
  bool MetadataChecksummed() const;
  // Tells every TaskManager to cancel the current attempt's tasks.
  void CancelAttempt();
  // Ends the job FAILED at once, without restarting and without a final-commit deployment: for
  // failures no restart can repair (data loss).
  void FailJob(const std::string& reason);

  Host& host_;
  const JobManagerConfig& config_;
  LeaderElection& election_;
  const int64_t epoch_;  // fencing token: the leadership's epoch
  const std::vector<Chain> chains_;
  StoreClient checkpoint_store_;
  Channel<Event> events_;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;  // by session
  std::vector<FiberId> fibers_;
  uint64_t next_session_ = 1;
  std::map<std::string, TaskManagerInfo> taskmanagers_;  // by id: deterministic order

  JobStatus status_ = JobStatus::kWaitingForResources;
  int64_t attempt_ = 0;
  int restarts_ = 0;
  int64_t deployments_ = 0;  // of this leadership: numbers the attempts
  bool final_commit_ = false;  // failing for good: deployments only commit, then FAILED
  int64_t restart_at_ns_ = 0;
  std::map<TaskId, Execution> executions_;
  // Triggers, completes and expires checkpoints. Its latest completed checkpoint is the only one
  // a deployment restores from. Never an older one (the fall-back rule,
  // engine/checkpoint/completed_checkpoint.h): when its state turns out lost, the job fails.
  CheckpointCoordinator coordinator_;
  int64_t restored_from_ = 0;  // checkpoint the current attempt was deployed from (0: none)
  int64_t next_heartbeat_ns_ = 0;
  int64_t started_ns_ = 0;
  std::string failure_;
  std::string lost_leadership_;  // why, once status_ is kLostLeadership
};

}  // namespace sluice
