#include "engine/jobmanager/checkpoint_coordinator.h"

#include <algorithm>
#include <climits>

#include "engine/base/assert.h"

namespace sluice {

CheckpointCoordinator::CheckpointCoordinator(Options options) : options_(std::move(options)) {
  SLUICE_ASSERT(options_.interval_ns > 0 && options_.timeout_ns > 0,
                "checkpoint interval and timeout are positive");
  SLUICE_ASSERT(options_.num_retained >= 1, "at least the latest checkpoint is retained");
}

void CheckpointCoordinator::Recover(int64_t next_checkpoint_id,
                                    std::optional<CompletedCheckpoint> latest) {
  SLUICE_ASSERT(!latest || latest->id < next_checkpoint_id,
                "the next checkpoint id is above the latest completed one");
  next_checkpoint_id_ = next_checkpoint_id;
  latest_ = std::move(latest);
  previous_.reset();
  retained_.clear();
  if (latest_) retained_.push_back(*latest_);
}

void CheckpointCoordinator::OnDeployed(const std::vector<std::pair<TaskId, bool>>& tasks,
                                       int64_t now_ns) {
  tasks_.clear();
  for (const auto& [task, source] : tasks) tasks_[task].source = source;
  pending_.reset();
  active_ = true;
  ++deployment_;
  next_trigger_ns_ = now_ns + options_.interval_ns;
}

void CheckpointCoordinator::OnAttemptEnded() {
  if (pending_ && Planted("restore-latest-triggered")) {
    // Planted bug: a triggered checkpoint is not a completed one.
    latest_ = pending_->acknowledged;
    latest_->id = pending_->id;
  }
  pending_.reset();
  active_ = false;
}

void CheckpointCoordinator::OnTaskRunning(TaskId task) {
  auto it = tasks_.find(task);
  if (it != tasks_.end()) it->second.running = true;
}

CheckpointCoordinator::Commands CheckpointCoordinator::OnTaskFinished(TaskId task, int64_t now_ns) {
  auto it = tasks_.find(task);
  if (it == tasks_.end()) return {};
  it->second.finished = true;
  if (!pending_ || pending_->awaiting.erase(task) == 0) return {};
  // A finished task's final state stands in for its acknowledgement (FLIP-147): it took the
  // final checkpoint before finishing, so its last acknowledged state is its final one.
  pending_->acknowledged.state_paths[task] = it->second.last_state_path;
  return pending_->awaiting.empty() ? Complete(now_ns) : Commands{};
}

CheckpointCoordinator::Commands CheckpointCoordinator::OnAcknowledged(TaskId task,
                                                                      int64_t checkpoint_id,
                                                                      const std::string& state_path,
                                                                      int64_t now_ns) {
  auto it = tasks_.find(task);
  if (it == tasks_.end() || !pending_ || checkpoint_id != pending_->id) return {};
  SLUICE_ASSERT(!state_path.empty(), "an acknowledgement names the task's state file");
  it->second.last_state_path = state_path;
  if (pending_->awaiting.erase(task) == 0) return {};  // a repeated acknowledgement
  pending_->acknowledged.state_paths[task] = state_path;
  return pending_->awaiting.empty() ? Complete(now_ns) : Commands{};
}

CheckpointCoordinator::Commands CheckpointCoordinator::OnTick(int64_t now_ns) {
  Commands commands;
  if (pending_ && now_ns - pending_->triggered_ns >= options_.timeout_ns) {
    commands.push_back(Command{CommandKind::kExpired, pending_->id, {}, {}});
    ++expired_count_;
    pending_.reset();
    return commands;  // the JobMaster fails over
  }
  if (!active_ || pending_ || now_ns < next_trigger_ns_) return commands;
  for (const auto& [task, state] : tasks_) {
    if (!state.running) {
      // Flink triggers only when every task is running; try again one interval later (without
      // this the trigger deadline stays in the past and the JobMaster's loop spins).
      next_trigger_ns_ = now_ns + options_.interval_ns;
      return commands;
    }
  }
  Pending checkpoint;
  checkpoint.id = next_checkpoint_id_++;
  checkpoint.triggered_ns = now_ns;
  Command trigger{CommandKind::kTrigger, checkpoint.id, {}, {}};
  for (const auto& [task, state] : tasks_) {
    if (!state.finished) {
      checkpoint.awaiting.insert(task);
      if (state.source) trigger.tasks.push_back(task);
      continue;
    }
    // A finished task's final state belongs in every later checkpoint, or a restore from one of
    // them would replay that task from the beginning (regression: FinishedSourceKeepsItsState).
    SLUICE_ASSERT(!state.last_state_path.empty(),
                  "a task finishes only after a checkpoint it acknowledged");
    checkpoint.acknowledged.state_paths[task] = state.last_state_path;
  }
  if (checkpoint.awaiting.empty()) {
    // Every task finished: the job is done and no barrier could travel; nothing to trigger.
    --next_checkpoint_id_;
    next_trigger_ns_ = now_ns + options_.interval_ns;
    return commands;
  }
  if (options_.sources != nullptr) {
    checkpoint.acknowledged.enumerator_states =
        options_.sources->SnapshotEnumerators(checkpoint.id);
  }
  pending_ = std::move(checkpoint);
  commands.push_back(std::move(trigger));
  return commands;
}

CheckpointCoordinator::Commands CheckpointCoordinator::Complete(int64_t now_ns) {
  Pending done = std::move(*pending_);
  pending_.reset();
  next_trigger_ns_ = now_ns + options_.interval_ns;
  done.acknowledged.id = done.id;
  SLUICE_ASSERT(done.acknowledged.state_paths.size() == tasks_.size(),
                "a checkpoint completes with the state of every task of the attempt");

  Commands commands;
  storing_notified_ = Planted("notify-before-metadata-durable");
  if (storing_notified_) {
    // Planted bug: the sinks commit before the checkpoint is durable.
    commands.push_back(Command{CommandKind::kNotify, done.id, {}, {}});
  }
  storing_ = done.acknowledged;
  storing_deployment_ = deployment_;
  commands.push_back(Command{CommandKind::kStore, done.id, {}, std::move(done.acknowledged)});
  return commands;
}

CheckpointCoordinator::Commands CheckpointCoordinator::OnStored(int64_t checkpoint_id) {
  SLUICE_ASSERT(storing_ && storing_->id == checkpoint_id,
                "OnStored answers the last kStore command");
  SLUICE_ASSERT(!latest_ || latest_->id < checkpoint_id,
                "completed checkpoints follow each other in id order");
  previous_ = std::move(latest_);
  latest_ = std::move(storing_);
  ++completed_count_;
  storing_.reset();
  Commands commands;
  if (storing_deployment_ == deployment_ && active_ && !storing_notified_) {
    // (Otherwise it failed over while the metadata was written, or notified already.)
    commands.push_back(Command{CommandKind::kNotify, checkpoint_id, {}, {}});
  }
  // Retention. Planted bug fall-back-past-committed restores the checkpoint before the latest,
  // so a JobManager with that bug keeps it.
  retained_.push_back(*latest_);
  const size_t retain = static_cast<size_t>(
      Planted("fall-back-past-committed") ? std::max(2, options_.num_retained)
                                          : options_.num_retained);
  if (retained_.size() > retain) {
    while (retained_.size() > retain) retained_.pop_front();
    Command discard{CommandKind::kDiscard, retained_.front().id, {}, {}};
    if (!Planted("shared-state-discarded")) {
      for (const CompletedCheckpoint& kept : retained_) {
        for (const auto& [task, path] : kept.state_paths) discard.keep.insert(path);
      }
    }
    commands.push_back(std::move(discard));
  }
  return commands;
}

bool CheckpointCoordinator::FallBackToPrevious() {
  if (!previous_) return false;
  latest_ = std::move(previous_);
  previous_.reset();
  return true;
}

int64_t CheckpointCoordinator::NextDeadlineNs() const {
  if (pending_) return pending_->triggered_ns + options_.timeout_ns;
  return active_ ? next_trigger_ns_ : INT64_MAX;
}

}  // namespace sluice
