// CheckpointCoordinator: the JobMaster's checkpoint decisions, as a pure state machine (Flink's
// CheckpointCoordinator with its CompletedCheckpointStore in memory). It takes events (a
// deployment, a task running or finished, an acknowledgement, the clock, the metadata stored)
// and returns commands for the JobMaster to carry out (trigger these sources, store this
// checkpoint's metadata, notify completion, fail over because a checkpoint expired). It never
// suspends and does no I/O, so every rule is unit-tested without a cluster
// (checkpoint_coordinator_test.cc).
//
// The protocol (Chandy-Lamport as in Flink's asynchronous barrier snapshots, Carbone et al. 2015):
//   - triggered every `interval_ns` (from one trigger to the next, as Flink's periodic trigger)
//     once every task of the attempt is running, at most `max_concurrent` pending at a time and
//     never sooner than `min_pause_ns` after the last completion (Flink's
//     execution.checkpointing.max-concurrent-checkpoints and .min-pause; a trigger held back by
//     either fires as soon as they allow); the triggers go to the sources, which inject
//     barriers; the split enumerators' state is taken at the trigger (source_coordinator.h says
//     why that is a consistent cut);
//   - a checkpoint completes when every task acknowledged it; a task that finished stands in
//     with its final state (FLIP-147), and a finished task's final state belongs in every later
//     checkpoint. Concurrent checkpoints complete in id order: barriers travel in order, so a
//     task acknowledges n before n+1;
//   - complete means durable: the JobMaster stores the metadata (kStore), and only once that
//     succeeded (OnStored) is the checkpoint the latest one, restored by every later deployment,
//     and are the tasks notified (kNotify), upon which sinks commit;
//   - a checkpoint not complete within `timeout_ns` expires: up to `tolerable_failed`
//     consecutive expiries are only aborted (kAborted: the attempt runs on, its sinks' pending
//     transactions are committed by the next completed checkpoint), one more fails over
//     (kExpired); a completion resets the count (Flink's
//     execution.checkpointing.tolerable-failed-checkpoints, default 0);
//   - a failover or a new deployment drops the pending checkpoints, and so does a region
//     failover (Flink aborts the checkpoints a failed task will never acknowledge); no
//     checkpoint triggers until the restarted regions' tasks run again;
//   - retention (execution.checkpointing.num-retained, Flink's CompletedCheckpointStore
//     subsuming old checkpoints): once a checkpoint is stored, only the newest `num_retained`
//     completed ones are kept; kDiscard then asks the JobMaster to delete every checkpoint below
//     the oldest retained one (completed, expired or aborted alike) except the state files a
//     retained checkpoint still uses (a finished task's final state is shared by every later
//     checkpoint; Flink's SharedStateRegistry keeps such files by reference count);
//   - savepoints (Flink's triggered savepoint and stop-with-savepoint): RequestSavepoint makes
//     the next trigger a savepoint, due at once (neither the interval, the min pause nor the
//     concurrency limit holds it back). It completes like any checkpoint (stored, the latest,
//     notified, so its sinks commit) and then kSavepoint asks the JobMaster for its
//     self-contained copy. A `terminate` savepoint's trigger stops the sources after its
//     barrier, so the job finishes once it completed. **Departure:** Flink's intermediate
//     savepoints (since 1.15) neither commit nor serve recovery; Sluice's are checkpoints too.
// Thread/fiber safety: one owner (the JobMaster's event loop).
#pragma once

#include <climits>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/checkpoint/shared_state_registry.h"
#include "engine/jobmanager/source_coordinator.h"

namespace sluice {

// The shared state files (incremental RocksDB SSTs) an acknowledged state names.
struct AcknowledgedSharedState {
  std::vector<std::string> files;  // store paths under checkpoints/shared/
  int64_t bytes = 0;               // their total size
  int64_t uploaded_bytes = 0;      // of those uploaded for this checkpoint
};

class CheckpointCoordinator {
 public:
  using TaskId = std::pair<int, int>;  // (chain, subtask)

  struct Options {
    int64_t interval_ns = 0;  // execution.checkpointing.interval
    int64_t timeout_ns = 0;   // execution.checkpointing.timeout
    // Whether a planted bug (engine/runtime/fault_injection.h) is on; null: none is.
    std::function<bool(std::string_view bug)> bug_planted;
    // The job's split enumerators, whose state each checkpoint takes when it triggers
    // (CompletedCheckpoint::enumerator_states); null for a job without (unit tests).
    SourceCoordinator* sources = nullptr;
    int num_retained = 1;  // execution.checkpointing.num-retained
    int64_t min_pause_ns = 0;  // execution.checkpointing.min-pause
    int max_concurrent = 1;    // execution.checkpointing.max-concurrent-checkpoints
    int tolerable_failed = 0;  // execution.checkpointing.tolerable-failed-checkpoints
    // The job graph every checkpoint's metadata records (CompletedCheckpoint::graph).
    CheckpointedGraph graph;
  };

  enum class CommandKind {
    kTrigger,  // send a trigger for `checkpoint_id` to each of `tasks` (sources)
    kStore,    // store `checkpoint`'s metadata durably, then call OnStored (or step down)
    kNotify,   // tell every task of the attempt that `checkpoint_id` completed
    kExpired,  // `checkpoint_id` did not complete in time: fail over
    kAborted,  // `checkpoint_id` did not complete in time, within the tolerance: log it
    kDiscard,  // delete the checkpoints below `checkpoint_id`, except the files in `keep`
    kSavepoint,  // `checkpoint` (stored, a savepoint) needs its self-contained copy
  };
  struct Command {
    CommandKind kind = CommandKind::kTrigger;
    int64_t checkpoint_id = 0;
    std::vector<TaskId> tasks;
    CompletedCheckpoint checkpoint;
    std::set<std::string> keep;  // kDiscard: state files of the retained checkpoints
    // kDiscard: shared files a registered checkpoint names; all others under checkpoints/shared/
    // uploaded for a checkpoint below `shared_below` are deleted. shared_below is the newest
    // registered checkpoint that is not a savepoint (0: none): a file uploaded for a later
    // checkpoint that failed, or one before a savepoint, may still be reused by a task's next
    // incremental snapshot, which the next such checkpoint then registers.
    std::set<std::string> keep_shared;
    int64_t shared_below = 0;
    bool savepoint = false;      // kTrigger: the trigger of a requested savepoint
    bool terminate = false;      // kTrigger, kSavepoint: a stop-with-savepoint
  };
  using Commands = std::vector<Command>;

  explicit CheckpointCoordinator(Options options);

  // What checkpoint storage held when this JobMaster took over: the latest completed
  // checkpoint (if any) and the next id to use (above every id seen, completed or not).
  void Recover(int64_t next_checkpoint_id, std::optional<CompletedCheckpoint> latest);

  // A new attempt was deployed at `now_ns`, restoring latest(): `tasks` with whether each is a
  // source. Forgets the pending checkpoint and what earlier attempts acknowledged; the first
  // trigger is due one interval later.
  void OnDeployed(const std::vector<std::pair<TaskId, bool>>& tasks, int64_t now_ns);
  // The attempt ended (failover, cancellation, job failed): the pending checkpoint is dropped and
  // nothing triggers until the next deployment.
  void OnAttemptEnded();
  // Region failover: `tasks` (some of the job's) were cancelled. Drops the pending checkpoints;
  // nothing triggers until they are deployed again.
  void OnTasksCancelled(const std::vector<TaskId>& tasks);
  // `tasks` (with whether each is a source), cancelled by OnTasksCancelled, were deployed again,
  // restoring latest().
  void OnTasksDeployed(const std::vector<std::pair<TaskId, bool>>& tasks);

  void OnTaskRunning(TaskId task);
  Commands OnTaskFinished(TaskId task, int64_t now_ns);
  using SharedState = AcknowledgedSharedState;
  // `task` acknowledged `checkpoint_id` with its state at `state_path` (`state_bytes` long;
  // `in_flight_data`: it holds an unaligned checkpoint's in-flight buffers; `shared`: the shared
  // files it names). Acknowledgements of other checkpoints than the pending ones are ignored.
  Commands OnAcknowledged(TaskId task, int64_t checkpoint_id, const std::string& state_path,
                          int64_t state_bytes, int64_t now_ns, bool in_flight_data = false,
                          SharedState shared = {});
  // Triggers a checkpoint when one is due, expires the pending one when it is late.
  Commands OnTick(int64_t now_ns);
  // The next trigger (due at once, from `now_ns`) is a savepoint; `terminate`: a
  // stop-with-savepoint. A request made while another waits for its trigger replaces it.
  void RequestSavepoint(bool terminate, int64_t now_ns);
  // Whether checkpoint `checkpoint_id` is still pending or being stored.
  bool InFlight(int64_t checkpoint_id) const {
    return pending_.count(checkpoint_id) != 0 || storing_.count(checkpoint_id) != 0;
  }
  // The metadata of `checkpoint_id` (the last kStore) is durable: it becomes the latest.
  Commands OnStored(int64_t checkpoint_id);

  // Planted bug fall-back-past-committed only: makes the checkpoint before the latest the latest
  // again; false if there is none.
  bool FallBackToPrevious();

  const CompletedCheckpoint* latest() const { return latest_ ? &*latest_ : nullptr; }
  const SharedStateRegistry& shared_registry() const { return shared_registry_; }
  // The job graph its checkpoints record (Options::graph).
  const CheckpointedGraph& graph() const { return options_.graph; }
  // When OnTick next has something to do (INT64_MAX: nothing until another event).
  int64_t NextDeadlineNs() const;
  bool pending() const { return !pending_.empty(); }
  // Checkpoints this coordinator completed (stored), and those that expired.
  int64_t completed_count() const { return completed_count_; }
  int64_t expired_count() const { return expired_count_; }

 private:
  struct Task {
    bool source = false;
    bool running = false;
    bool finished = false;
    std::string last_state_path;  // of its latest acknowledgement of a pending checkpoint
    int64_t last_state_bytes = 0;  // that file's size
    SharedState last_shared;       // the shared files it names
  };
  struct Pending {
    int64_t id = 0;
    int64_t triggered_ns = 0;
    std::set<TaskId> awaiting;
    CompletedCheckpoint acknowledged;
  };
  bool Planted(std::string_view bug) const {
    return options_.bug_planted && options_.bug_planted(bug);
  }
  // Completes the pending checkpoints every task has acknowledged, in id order.
  Commands CompleteReady(int64_t now_ns);
  // When the next trigger may fire (INT64_MAX while max_concurrent are pending).
  int64_t TriggerDueNs() const;

  Options options_;
  bool active_ = false;      // an attempt is deployed
  uint64_t deployment_ = 0;  // counts deployments, to tell whether one happened since a kStore
  std::map<TaskId, Task> tasks_;
  std::map<int64_t, Pending> pending_;  // by id
  // Checkpoints being stored (between kStore and OnStored): by id, with the deployment they
  // belong to and whether planted bug notify-before-metadata-durable notified them already.
  struct Storing {
    CompletedCheckpoint checkpoint;
    uint64_t deployment = 0;
    bool notified = false;
  };
  std::map<int64_t, Storing> storing_;
  int64_t last_completion_ns_ = INT64_MIN / 2;  // of the last Complete (min-pause counts from it)
  int consecutive_failed_ = 0;  // expiries since the last completion
  std::optional<CompletedCheckpoint> latest_;
  std::optional<CompletedCheckpoint> previous_;  // only for the planted bug
  std::deque<CompletedCheckpoint> retained_;     // the newest num_retained stored, oldest first
  // Reference counts of the shared files the retained checkpoints name (savepoints are full
  // snapshots and name none). A checkpoint is unregistered once it is no longer retained and a
  // newer checkpoint that is not a savepoint has completed: until then a task may still reuse
  // the files its last checkpoint named.
  SharedStateRegistry shared_registry_;
  int64_t next_checkpoint_id_ = 1;
  int64_t completed_count_ = 0;
  int64_t expired_count_ = 0;
  int64_t next_trigger_ns_ = 0;
  // A requested savepoint not triggered yet (its terminate flag), and when it is due.
  std::optional<bool> savepoint_request_;
  int64_t savepoint_due_ns_ = 0;
  std::map<int64_t, bool> savepoints_;  // triggered savepoints (id → terminate)
};

}  // namespace sluice
