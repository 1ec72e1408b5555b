// SourceCoordinator: the JobMaster's split enumerators, one per source operator (Flink's
// SourceCoordinator, the OperatorCoordinator of a FLIP-27 source), as a pure state machine. It
// takes events (a deployment, a subtask's split request, a checkpoint's trigger and
// acknowledgements) and returns the assignments for the JobMaster to send; it never suspends and
// does no I/O (a source's splits are listed first, by the JobMaster, with its SplitDiscovery).
//
// The protocol (kRequestSplit / kAddSplits, engine/rpc/control.h):
//   - a source subtask with no split left to read asks for more, saying how many splits it has
//     received in this attempt; it has at most one request outstanding;
//   - the enumerator answers with splits (possibly none) and whether more will ever come; the
//     answer carries the index of its first split among the subtask's assignments, so the
//     subtask can check that none was lost or repeated;
//   - a full deployment (the job's first, or after a global failover): each enumerator restarts
//     from the restored checkpoint's enumerator state (or from the discovered splits without
//     one), and the subtasks from their checkpointed splits;
//   - a region failover restarts some source subtasks from the latest completed checkpoint while
//     the enumerators and the other subtasks run on: the splits assigned to a restarted subtask
//     after that checkpoint go back to its enumerator (Flink's SplitEnumerator.addSplitsBack,
//     with the assignments tracked per checkpoint as Flink's SplitAssignmentTracker does), and
//     the subtask counts its assignments from zero again;
//   - split discovery is I/O and runs beside the JobMaster's loop: until a source's splits are
//     known, an enumerator that starts from them does not exist yet, its subtasks' requests wait
//     (answered by SetDiscovered), and checkpoints hold no state for it (a restore of such a
//     checkpoint starts it from the discovered splits again).
// Why a checkpoint is a consistent cut: its enumerator state is taken when it triggers, and
// every assignment sent before a trigger reaches the source task before that trigger (one
// ordered connection per TaskManager, and the task runs assignments and triggers in arrival
// order), so each split is either unassigned in the enumerator's state or in exactly one
// subtask's snapshot. A subtask's acknowledgement says how many splits it had received, and
// OnAcknowledged asserts it is exactly the number assigned to it before the trigger.
// Thread/fiber safety: one owner (the JobMaster's event loop).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/status.h"
#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/graph/job_graph.h"

namespace sluice {

class SourceCoordinator {
 public:
  using TaskId = std::pair<int, int>;  // (chain, subtask)

  struct SourceInfo {
    int chain = 0;  // the source's chain (a source is the head of its chain)
    int node = 0;   // the source's operator
    std::string name;
    int parallelism = 1;
    EnumeratorFactory make_enumerator;
  };
  // The source chains of `graph` (split into `chains`), in chain order.
  static std::vector<SourceInfo> SourcesOf(const JobGraph& graph, const std::vector<Chain>& chains);

  // The answer to a split request: kAddSplits to `task`.
  struct Assignment {
    TaskId task;
    int64_t first_index = 0;  // index of splits[0] among the task's assignments this attempt
    std::vector<std::string> splits;
    bool no_more_splits = false;
  };

  // `bug_planted`: whether a planted bug (engine/runtime/fault_injection.h) is on; null: none is.
  explicit SourceCoordinator(std::vector<SourceInfo> sources,
                             std::function<bool(std::string_view bug)> bug_planted = nullptr);

  const std::vector<SourceInfo>& sources() const { return sources_; }
  // Source `chain` lists `splits` (its SplitDiscovery's result). Starts its enumerator if the
  // current attempt waits for it, and answers the requests that waited. kDataLoss as OnDeployed.
  Result<std::vector<Assignment>> SetDiscovered(int chain, std::vector<std::string> splits);

  // A new attempt is deployed, restoring `restored` (null: the job starts from scratch).
  // Recreates every enumerator and forgets every assignment and waiting request. A source the
  // checkpoint holds no state for starts from its discovered splits. kDataLoss naming the source
  // when its state is malformed.
  Status OnDeployed(const CompletedCheckpoint* restored);
  // Region failover: source subtasks `tasks` were restarted alone, restoring `restored` (the
  // latest completed checkpoint, or null if none completed). Returns the splits each was
  // assigned after it to its enumerator and forgets its assignments and waiting requests.
  void OnSubtasksReset(const std::vector<TaskId>& tasks, const CompletedCheckpoint* restored);
  // Checkpoint `checkpoint_id` completed (its metadata is durable): the assignments a reset
  // returns are counted from its snapshot from now on.
  void OnCheckpointCompleted(int64_t checkpoint_id);
  // Source subtask `task` asks for splits, having received `received` so far this attempt: the
  // answer, or none while the source's splits are not yet discovered. kInvalidArgument when
  // `task` is no source subtask (a protocol violation by the sender).
  Result<std::vector<Assignment>> OnSplitRequest(TaskId task, int64_t received);
  // Checkpoint `checkpoint_id` triggers: every enumerator's state, by source chain. Remembers
  // how many splits each subtask had been assigned, for OnAcknowledged.
  std::map<int, std::string> SnapshotEnumerators(int64_t checkpoint_id);
  // Source subtask `task` acknowledged `checkpoint_id` having received `received` splits.
  // Asserts the consistent cut (see the top of this file).
  void OnAcknowledged(int64_t checkpoint_id, TaskId task, int64_t received) const;

 private:
  struct Source {
    std::unique_ptr<SplitEnumerator> enumerator;   // null until its splits are discovered
    // The splits assigned to each subtask this attempt, in order (their count is what the
    // subtask says it received).
    std::vector<std::vector<std::string>> history;
    std::vector<std::pair<int, int64_t>> waiting;  // (subtask, received) requests, in order
  };
  const SourceInfo* InfoOf(int chain) const;
  Status Start(const SourceInfo& info, Source& source, const EnumeratorStart& start);
  Assignment Assign(int chain, Source& source, int subtask, int64_t received);

  std::vector<SourceInfo> sources_;
  std::function<bool(std::string_view bug)> bug_planted_;
  std::map<int, std::vector<std::string>> discovered_;  // by chain
  std::map<int, Source> live_;                          // by chain, this attempt
  // Splits assigned to each source subtask when each checkpoint above the latest completed one
  // triggered, by checkpoint id (the last kSnapshotsKept: at most that many are pending,
  // execution.checkpointing.max-concurrent-checkpoints' bound).
  static constexpr size_t kSnapshotsKept = 64;
  std::map<int64_t, std::map<TaskId, int64_t>> assigned_at_snapshot_;
  // The checkpoint a reset restores: the latest completed one, or the one the last full
  // deployment restored (0: none); and each subtask's assignments at it (absent: none).
  int64_t base_checkpoint_ = 0;
  std::map<TaskId, int64_t> assigned_at_base_;
};

}  // namespace sluice
