// JobMaster's checkpoints: the checkpoint store recovered as a leadership begins (its latest
// completed checkpoint, else the configured savepoint; checked against the job graph, its metadata
// copies repaired first), the CheckpointCoordinator's commands carried out (triggers, the metadata
// write, notifications, expiries) and subsumed checkpoints discarded on their own fiber. Part of
// the JobMaster class (job_master.h); the event loop and the rest of the I/O shell are
// job_master.cc, the savepoints job_master_savepoints.cc.
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "engine/base/assert.h"
#include "engine/jobmanager/checkpoint_compatibility.h"
#include "engine/jobmanager/job_master.h"
#include "engine/runtime/clock.h"

namespace sluice {

CheckpointPointers JobMaster::Pointers(EtcdClient& etcd) const {
  return CheckpointPointers{etcd, JobKeyPrefix(config_.leader_election.key_prefix, config_.job) + "checkpoints/",
                            election_.fence()};
}

bool JobMaster::MetadataChecksummed() const {
  return !SLUICE_BUG_PLANTED(host_, "metadata-not-checksummed");
}

void JobMaster::RecoverCheckpointStore() {
  // The checkpoint store may still be starting: retry until it answers. Without its checkpoint
  // store the JobManager can do nothing: wait for it (a crashed store restarts, a full disk frees
  // up) rather than exit.
  for (int tries = 0;; ++tries) {
    if (tries > 0) host_.fibers.SleepFor(config_.heartbeat_interval_ns);
    auto recovered = RecoverCheckpoints(checkpoint_storage_, Pointers(etcd_), MetadataChecksummed());
    if (!recovered.ok() && recovered.status().code() == StatusCode::kFailedPrecondition) {
      // Deposed while recovering (paused, say): what it read may be stale, so it decides nothing.
      log_.Warn("checkpoint.recovery_fenced", recovered.status().ToString());
      LoseLeadership("checkpoint recovery: " + recovered.status().ToString());
      return;
    }
    if (!recovered.ok() && recovered.status().code() == StatusCode::kDataLoss) {
      // The fall-back rule: never an older checkpoint.
      Execute(scheduler_.FailJob(recovered.status().ToString()));
      return;
    }
    if (!recovered.ok()) {
      if (tries % 50 == 0) {
        log_.Warn("jobmanager.waiting_for_store", recovered.status().ToString());
      }
      continue;
    }
    std::optional<CompletedCheckpoint> start = recovered->latest;
    if (!start && !config_.savepoint_path.empty()) {
      // A job with no checkpoint of its own starts from the savepoint (Flink's
      // execution.savepoint.path; the savepoint is never deleted: Flink's NO_CLAIM).
      auto savepoint = ReadSavepointToRestore();
      if (!savepoint.ok() && (savepoint.status().code() == StatusCode::kNotFound ||
                              savepoint.status().code() == StatusCode::kDataLoss)) {
        log_.Error("savepoint.unreadable", savepoint.status().ToString());
        Execute(scheduler_.FailJob(savepoint.status().ToString()));
        return;
      }
      if (!savepoint.ok()) continue;  // the store is unavailable: wait
      log_.Info("savepoint.restoring",
                     config_.savepoint_path + ": checkpoint " + std::to_string(savepoint->id));
      start = std::move(savepoint).value();
    }
    // New checkpoints are numbered past every one seen, the savepoint's included (its sinks'
    // transactions are named by checkpoint).
    coordinator_.Recover(std::max(recovered->highest_id_seen, start ? start->id : 0) + 1,
                         std::move(start));
    const CompletedCheckpoint* latest = coordinator_.latest();
    if (latest == nullptr) return;
    // A checkpoint of another job graph: restoring it would lose or misplace state.
    Status restorable = CheckRestorable(*latest, coordinator_.graph());
    if (!restorable.ok()) {
      log_.Error("checkpoint.incompatible", restorable.ToString());
      Execute(scheduler_.FailJob(restorable.ToString()));
      return;
    }
    // Restore a checkpoint only once both copies of its metadata are durable again, so that one
    // disk's damage can never leave a restored (hence committed) checkpoint unreadable.
    Status repaired = Status::Ok();
    for (int copy : recovered->copies_to_repair) {
      repaired = RepairMetadataCopy(checkpoint_storage_, *latest, recovered->latest_metadata_path,
                                    copy, MetadataChecksummed());
      if (!repaired.ok()) break;
      log_.Warn("checkpoint.repaired",
                     std::to_string(latest->id) + ": metadata copy " + std::to_string(copy));
    }
    if (!repaired.ok()) continue;
    // A rescale: the checkpoint was taken at another parallelism, and the tasks redistribute
    // its state (engine/partition/state_assignment.h).
    std::string rescaled;
    for (size_t i = 0; i < latest->graph.operators.size(); ++i) {
      const CheckpointedOperator& was = latest->graph.operators[i];
      const CheckpointedOperator& is = coordinator_.graph().operators[i];
      if (was.parallelism == is.parallelism) continue;
      rescaled += (rescaled.empty() ? "" : ", ") + was.name + " " +
                  std::to_string(was.parallelism) + "->" + std::to_string(is.parallelism);
    }
    if (!rescaled.empty()) {
      log_.Info("checkpoint.rescaled", std::to_string(latest->id) + ": " + rescaled,
                     {{"checkpoint", latest->id}});
    }
    log_.Info("checkpoint.recovered", std::to_string(latest->id));
    return;
  }
}

void JobMaster::DiscardCheckpoints() {
  StorageDirectory store(host_.fs, JobStorageDir(config_.services.checkpoint_dir, config_.job));
  EtcdClient etcd = election_.NewClient();
  for (;;) {
    while (discard_below_ == 0) discard_wake_.Wait(host_.fibers);
    const int64_t below = discard_below_;
    const std::set<std::string> keep = std::move(discard_keep_);
    const std::set<std::string> keep_shared = std::move(discard_keep_shared_);
    const int64_t shared_below = discard_shared_below_;
    discard_below_ = 0;
    auto deleted =
        DiscardCheckpointsBelow(store, Pointers(etcd), below, keep, keep_shared, shared_below);
    if (deleted.ok()) {
      log_.Info("checkpoint.discarded",
                     "below " + std::to_string(below) + ": " + std::to_string(*deleted) + " files",
                     {{"checkpoint", below}, {"files", *deleted}});
    } else {
      // Left for the next discard, which sweeps everything below its own threshold again.
      log_.Warn("checkpoint.discard_failed",
                     "below " + std::to_string(below) + ": " + deleted.status().ToString());
    }
  }
}

void JobMaster::Execute(const CheckpointCoordinator::Commands& commands) {
  for (const CheckpointCoordinator::Command& command : commands) {
    const std::string id = std::to_string(command.checkpoint_id);
    switch (command.kind) {
      case CheckpointCoordinator::CommandKind::kTrigger:
        log_.Info("checkpoint.triggered", id);
        triggered_ns_[command.checkpoint_id] = host_.clock.NowNs();
        if (command.savepoint) MarkSavepointTriggered(command.checkpoint_id, command.terminate);
        for (const auto& [chain, subtask] : command.tasks) {
          ControlMessage trigger;
          trigger.type = ControlType::kTriggerCheckpoint;
          trigger.terminate = command.terminate;
          trigger.savepoint = command.savepoint;
          trigger.attempt = scheduler_.AttemptOf({chain, subtask});
          trigger.checkpoint_id = command.checkpoint_id;
          trigger.chain = chain;
          trigger.subtask = subtask;
          const std::string taskmanager = scheduler_.TaskManagerOf({chain, subtask});
          SLUICE_ASSERT(!taskmanager.empty(), "checkpoints trigger deployed tasks");
          Send(taskmanager, trigger);
        }
        break;
      case CheckpointCoordinator::CommandKind::kStore: {
        Status stored = StoreCompletedCheckpoint(checkpoint_storage_, Pointers(etcd_),
                                                 command.checkpoint, MetadataChecksummed());
        if (!stored.ok()) {
          log_.Warn("checkpoint.aborted", id + ": " + stored.ToString());
          // Fenced (a newer leader exists), or the outcome is unknown: one copy of the metadata
          // may be durable, or the write may still land, so the store may count this checkpoint
          // as completed while this JobMaster does not. Restoring the previous one now would let
          // its sinks discard this checkpoint's pre-committed transactions, which a later
          // recovery from the store would need (chaos and disk-full seeds found this). So step
          // down: the next leadership (this JobManager again, or another) takes a new epoch,
          // which fences any write still in flight, and recovers the completed checkpoints from
          // the store.
          LoseLeadership("checkpoint metadata: " + stored.ToString());
          return;
        }
        if (auto triggered = triggered_ns_.find(command.checkpoint_id);
            triggered != triggered_ns_.end()) {
          latest_checkpoint_duration_ms_ =
              (host_.clock.NowNs() - triggered->second) / kNanosPerMilli;
        }
        // Older ones never complete now (checkpoints complete in id order).
        triggered_ns_.erase(triggered_ns_.begin(),
                            triggered_ns_.upper_bound(command.checkpoint_id));
        log_.Info("checkpoint.completed", id,
                       {{"checkpoint", command.checkpoint_id},
                        {"full_bytes", command.checkpoint.full_bytes},
                        {"incremental_bytes", command.checkpoint.incremental_bytes}});
        Execute(coordinator_.OnStored(command.checkpoint_id));
        break;
      }
      case CheckpointCoordinator::CommandKind::kNotify:
        NotifyCheckpointComplete(command.checkpoint_id);
        // Fault point: a notification sent twice, as after a retry whose first send was not lost.
        if (host_.faults.Buggify("jobmanager.duplicate_notify")) {
          NotifyCheckpointComplete(command.checkpoint_id);
        }
        break;
      case CheckpointCoordinator::CommandKind::kDiscard:
        discard_below_ = command.checkpoint_id;
        discard_keep_ = command.keep;
        discard_keep_shared_ = command.keep_shared;
        discard_shared_below_ = command.shared_below;
        discard_wake_.NotifyAll(host_.fibers);
        break;
      case CheckpointCoordinator::CommandKind::kSavepoint:
        WriteSavepoint(command.checkpoint);
        break;
      case CheckpointCoordinator::CommandKind::kAborted:
        log_.Warn("checkpoint.aborted", id + ": expired (tolerated)");
        break;
      case CheckpointCoordinator::CommandKind::kExpired:
        log_.Warn("checkpoint.aborted", id + ": expired");
        Execute(scheduler_.Failover("checkpoint " + id + " expired", host_.clock.NowNs()));
        break;
    }
  }
}

void JobMaster::NotifyCheckpointComplete(int64_t checkpoint_id) {
  log_.Info("checkpoint.notified", std::to_string(checkpoint_id));
  for (const auto& [tm, attempt] : scheduler_.AttemptTaskManagers()) {
    ControlMessage notify;
    notify.type = ControlType::kNotifyCheckpointComplete;
    notify.attempt = attempt;
    notify.checkpoint_id = checkpoint_id;
    Send(tm, notify);
  }
}

}  // namespace sluice
