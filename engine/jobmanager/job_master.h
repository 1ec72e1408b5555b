// JobMaster: the JobManager's event loop for one job (Flink's JobMaster). Connection fibers only
// parse frames and queue events; every event is handled in Run's loop, so the logic needs no
// locks and sees one ordered stream of events.
//
// The decisions are the JobScheduler's (job_scheduler.h: slots, deployments, heartbeats,
// failover and the restart strategy), the CheckpointCoordinator's (checkpoint_coordinator.h) and
// the SourceCoordinator's (source_coordinator.h: split assignment); this class is their I/O
// shell: it turns messages into their events and their commands into messages, store writes and
// log events, and lists the sources' splits (their SplitDiscovery) when the job starts from
// scratch.
//
// job_master.cc holds the event loop and the rest of the shell; job_master_checkpoints.cc the
// checkpoint side (recovering checkpoint storage, carrying out the CheckpointCoordinator's
// commands, discarding subsumed checkpoints); job_master_savepoints.cc the savepoint requests and
// the REST API's view of the job (Snapshot).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/jobmanager/autoscaler.h"
#include "engine/jobmanager/checkpoint_coordinator.h"
#include "engine/jobmanager/job_scheduler.h"
#include "engine/jobmanager/rest_api.h"
#include "engine/jobmanager/job_manager.h"
#include "engine/jobmanager/source_coordinator.h"
#include "engine/rpc/control.h"
#include "engine/runtime/sync.h"

namespace sluice {

// Records the job's outcome (OK: finished; an error: failed, with its message) at
// JobResultKey(key_prefix) on etcd, as a fenced write under the leader's `fence`. May suspend.
Status RecordJobResult(EtcdClient& etcd, const LeaderFence& fence, const std::string& key_prefix,
                       const Status& result);

class JobMaster {
 public:
  // `election` has just won a campaign: its epoch is this JobMaster's fencing token.
  // `spec` is the job as deployed (config.job, at the parallelism reactive mode chose), `graph`
  // its graph and `chains` its chains (BuildChains). While it exists, the JobMaster answers the
  // REST API's questions through `rest` (null: none). `reactive_slots` (reactive mode; null:
  // off) is JobScheduler::Options::reactive_slots.
  JobMaster(Host& host, const JobManagerConfig& config, const JobSpec& spec,
            const JobGraph& graph, std::vector<Chain> chains, LeaderElection& election,
            JobManagerRestState* rest = nullptr,
            std::function<int(int)> reactive_slots = nullptr);
  ~JobMaster();
  JobMaster(const JobMaster&) = delete;
  JobMaster& operator=(const JobMaster&) = delete;
  // Serves TaskManagers on `listener` until the job finishes (OK), fails (kAborted) or is
  // cancelled (kCancelled: PATCH /jobs/:jobid), and records the outcome; kUnavailable when
  // leadership is lost first, or when reactive mode rescales the job (then rescale_to() says to
  // which parallelism). May suspend.
  Status Run(Listener& listener);
  // After Run: the parallelism.default reactive mode rescaled the job to, or 0.
  int rescale_to() const { return rescale_to_; }

 private:
  enum class Outcome { kRunning, kFinished, kFailed, kCanceled, kLostLeadership, kRescale };
  using TaskId = std::pair<int, int>;  // (chain, subtask)
  struct Connection;
  struct Event {
    // kSplitsDiscovered: message.chain's splits are message.splits. kSavepointRequested:
    // request message.text, a stop-with-savepoint if message.terminate.
    enum class Kind {
      kRegistered,
      kMessage,
      kDisconnected,
      kLeadershipLost,
      kSplitsDiscovered,
      kSavepointRequested,
      kCancelRequested
    } kind;
    uint64_t session = 0;
    ControlMessage message;
  };

  void Accept(Listener& listener);
  void ServeConnection(std::shared_ptr<Connection> connection);
  void Handle(const Event& event);
  void HandleRegistered(const Event& event);
  void HandleTaskState(const ControlMessage& m);
  void HandleAck(const ControlMessage& m);
  void HandleSplitRequest(const ControlMessage& m);
  void SendAssignments(const std::vector<SourceCoordinator::Assignment>& assignments);
  // Lists every source's splits, retried while its input is unreachable, and queues each result
  // as a kSplitsDiscovered event. Runs on its own fiber; suspends.
  void DiscoverSplits();
  // Deletes subsumed checkpoints (kDiscard) on its own fiber with its own store connection,
  // so that the event loop never waits for it: the newest request replaces any not yet begun.
  void DiscardCheckpoints();
  // Carries out the scheduler's and the checkpoint coordinator's commands, in order.
  void Execute(const JobScheduler::Commands& commands);
  void Execute(const CheckpointCoordinator::Commands& commands);
  // Tells every TaskManager running the current attempt that `checkpoint_id` completed.
  void NotifyCheckpointComplete(int64_t checkpoint_id);
  void Send(const std::string& taskmanager, ControlMessage message);
  void RecoverCheckpointStore();
  // The REST API's savepoint request (JobManagerRestState::trigger_savepoint): records it
  // IN_PROGRESS under a new id, queues it as a kSavepointRequested event and returns the id.
  std::string RequestSavepoint(bool terminate, const std::string& target_directory);
  // A savepoint path or target directory as the user gave it (absolute, or relative to
  // execution.checkpointing.dir), placed: inside the job's checkpoint storage (JobStorageDir:
  // `inside`, `path` relative to it) or outside (`path` absolute, or the cluster directory's
  // path in a session cluster).
  struct StoragePlace {
    bool inside = true;
    std::string path;
  };
  StoragePlace PlaceOf(const std::string& path) const;
  // execution.savepoint.path's savepoint, imported into checkpoint storage first if it lies
  // outside. Errors as ReadSavepoint's. May suspend.
  Result<CompletedCheckpoint> ReadSavepointToRestore();
  // A kSavepointRequested event: the request waits for its trigger, in place of any older one
  // still waiting (which fails), and the coordinator is asked for a savepoint.
  void HandleSavepointRequested(const Event& event);
  // Checkpoint `checkpoint_id` was triggered as a savepoint: the request waiting for a trigger
  // (if any) is now its. `terminate`: a stop-with-savepoint.
  void MarkSavepointTriggered(int64_t checkpoint_id, bool terminate);
  // Writes savepoint `checkpoint`'s self-contained copy (kSavepoint,
  // engine/checkpoint/completed_checkpoint.h) and settles its request. May suspend (store I/O on
  // the event loop, as the metadata write).
  void WriteSavepoint(const CompletedCheckpoint& checkpoint);
  // Requests whose checkpoint was dropped (failover, expiry) fail.
  void SettleAbortedSavepoints();
  // Records the outcome; retried while the store is down, given up once fenced. May suspend.
  void RecordResult();
  void Shutdown();
  bool MetadataChecksummed() const;
  // Where this leadership records completed checkpoints, through `etcd` (the calling fiber's).
  CheckpointPointers Pointers(EtcdClient& etcd) const;
  void LoseLeadership(const std::string& reason);
  // The job as the REST API shows it.
  JobSnapshot Snapshot() const;

  Host& host_;
  const JobManagerConfig& config_;
  LeaderElection& election_;
  const int64_t epoch_;  // fencing token: the leadership's epoch
  // The host's log with the job and the epoch on every event (the structured log's keys).
  ContextEventLog log_;
  StorageDirectory checkpoint_storage_;
  EtcdClient etcd_;  // the event loop's
  Channel<Event> events_;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;  // by session
  std::map<std::string, uint64_t> sessions_;  // registered TaskManager id → its session
  std::vector<FiberId> fibers_;
  uint64_t next_session_ = 1;
  // The newest discard request (CheckpointCoordinator kDiscard): delete checkpoints below
  // discard_below_ (0: none pending) except discard_keep_; DiscardCheckpoints waits on
  // discard_wake_.
  int64_t discard_below_ = 0;
  std::set<std::string> discard_keep_;
  std::set<std::string> discard_keep_shared_;  // its live shared files
  int64_t discard_shared_below_ = 0;           // and the bound of its shared-file sweep
  WaitList discard_wake_;
  // The decisions: checkpoints (the latest completed one is the only one a deployment restores
  // from; never an older one, the fall-back rule of engine/checkpoint/completed_checkpoint.h) and
  // scheduling (which tells the coordinator of every deployment and failover).
  // How each source chain lists its splits, by chain id.
  std::map<int, SplitDiscovery> discover_splits_;
  SourceCoordinator sources_;
  CheckpointCoordinator coordinator_;
  JobScheduler scheduler_;
  JobManagerRestState* rest_;
  const std::string job_id_;
  const std::string spec_;  // the job as deployed, encoded (kDeploy's text)
  int rescale_to_ = 0;
  const int max_parallelism_;
  const int64_t started_ns_;
  int64_t ended_ns_ = -1;
  Outcome outcome_ = Outcome::kRunning;
  std::string failure_;
  std::string lost_leadership_;  // why, once outcome_ is kLostLeadership
  // Savepoint requests of this leadership (REST), by request id; `checkpoint` is 0 until the
  // savepoint triggered.
  struct SavepointRequest {
    JobSnapshot::Savepoint status;
    int64_t checkpoint = 0;
    std::string target_directory;  // "": savepoints/ in execution.checkpointing.dir
  };
  std::map<std::string, SavepointRequest> savepoints_;
  // When each checkpoint in flight was triggered (host clock, ns), for the latest completed
  // one's duration (GET /metrics, lastCheckpointDuration).
  std::map<int64_t, int64_t> triggered_ns_;
  int64_t latest_checkpoint_duration_ms_ = 0;
  // Each task's last two reports of its times (acknowledgements and state reports), for the
  // REST API's backpressure ratios over the interval between them.
  struct TimesSample {
    int64_t attempt = 0;
    TaskTimes previous;
    TaskTimes latest;
  };
  std::map<TaskId, TimesSample> task_times_;
  // job.autoscaler.enabled: reads the tasks' reports and caps the reactive scheduler.
  std::optional<Autoscaler> autoscaler_;
  std::vector<bool> source_chain_;  // by chain: it reads a source
  void RecordTimes(const ControlMessage& m);
  std::string untriggered_savepoint_;  // the request waiting for its trigger ("" if none)
  int64_t savepoint_requests_ = 0;
};

}  // namespace sluice
