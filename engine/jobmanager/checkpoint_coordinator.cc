#include "engine/jobmanager/checkpoint_coordinator.h"

#include <algorithm>
#include <climits>

#include "engine/base/assert.h"

namespace sluice {

CheckpointCoordinator::CheckpointCoordinator(Options options) : options_(std::move(options)) {
  SLUICE_ASSERT(options_.interval_ns > 0 && options_.timeout_ns > 0,
                "checkpoint interval and timeout are positive");
  SLUICE_ASSERT(options_.num_retained >= 1, "at least the latest checkpoint is retained");
  SLUICE_ASSERT(options_.max_concurrent >= 1 && options_.min_pause_ns >= 0 &&
                    options_.tolerable_failed >= 0,
                "checkpoint concurrency, pause and tolerance are within their bounds");
}

void CheckpointCoordinator::Recover(int64_t next_checkpoint_id,
                                    std::optional<CompletedCheckpoint> latest) {
  SLUICE_ASSERT(!latest || latest->id < next_checkpoint_id,
                "the next checkpoint id is above the latest completed one");
  next_checkpoint_id_ = next_checkpoint_id;
  latest_ = std::move(latest);
  previous_.reset();
  retained_.clear();
  shared_registry_.Clear();
  if (latest_) {
    retained_.push_back(*latest_);
    shared_registry_.Register(latest_->id, latest_->shared_files);
  }
}

void CheckpointCoordinator::OnDeployed(const std::vector<std::pair<TaskId, bool>>& tasks,
                                       int64_t now_ns) {
  tasks_.clear();
  for (const auto& [task, source] : tasks) tasks_[task].source = source;
  pending_.clear();
  std::erase_if(savepoints_, [this](const auto& entry) { return !InFlight(entry.first); });
  active_ = true;
  ++deployment_;
  next_trigger_ns_ = now_ns + options_.interval_ns;
}

void CheckpointCoordinator::OnAttemptEnded() {
  if (!pending_.empty() && Planted("restore-latest-triggered")) {
    // Planted bug: a triggered checkpoint is not a completed one.
    const Pending& newest = pending_.rbegin()->second;
    latest_ = newest.acknowledged;
    latest_->id = newest.id;
  }
  pending_.clear();
  active_ = false;
}

void CheckpointCoordinator::OnTasksCancelled(const std::vector<TaskId>& tasks) {
  pending_.clear();
  for (const TaskId& task : tasks) {
    auto it = tasks_.find(task);
    SLUICE_ASSERT(it != tasks_.end(), "a region failover cancels tasks of the deployed job");
    it->second.running = false;
    it->second.finished = false;
  }
}

void CheckpointCoordinator::OnTasksDeployed(const std::vector<std::pair<TaskId, bool>>& tasks) {
  for (const auto& [task, source] : tasks) {
    auto it = tasks_.find(task);
    SLUICE_ASSERT(it != tasks_.end() && !it->second.running,
                  "a region is redeployed only after it was cancelled");
    it->second = Task{source, false, false, ""};
  }
}

void CheckpointCoordinator::OnTaskRunning(TaskId task) {
  auto it = tasks_.find(task);
  if (it != tasks_.end()) it->second.running = true;
}

CheckpointCoordinator::Commands CheckpointCoordinator::OnTaskFinished(TaskId task, int64_t now_ns) {
  auto it = tasks_.find(task);
  if (it == tasks_.end()) return {};
  it->second.finished = true;
  bool stood_in = false;
  for (auto& [id, pending] : pending_) {
    if (pending.awaiting.erase(task) == 0) continue;
    // A finished task's final state stands in for its acknowledgement (FLIP-147): it took the
    // final checkpoint before finishing, so its last acknowledged state is its final one.
    pending.acknowledged.state_paths[task] = it->second.last_state_path;
    pending.acknowledged.full_bytes += it->second.last_state_bytes + it->second.last_shared.bytes;
    for (const std::string& file : it->second.last_shared.files) {
      pending.acknowledged.shared_files.insert(file);
    }
    stood_in = true;
  }
  return stood_in ? CompleteReady(now_ns) : Commands{};
}

CheckpointCoordinator::Commands CheckpointCoordinator::OnAcknowledged(
    TaskId task, int64_t checkpoint_id, const std::string& state_path, int64_t state_bytes,
    int64_t now_ns, bool in_flight_data, SharedState shared) {
  auto it = tasks_.find(task);
  auto pending = pending_.find(checkpoint_id);
  if (it == tasks_.end() || pending == pending_.end()) return {};
  SLUICE_ASSERT(!state_path.empty(), "an acknowledgement names the task's state file");
  it->second.last_state_path = state_path;
  it->second.last_state_bytes = state_bytes;
  it->second.last_shared = shared;
  if (pending->second.awaiting.erase(task) == 0) return {};  // a repeated acknowledgement
  CompletedCheckpoint& acknowledged = pending->second.acknowledged;
  acknowledged.state_paths[task] = state_path;
  acknowledged.full_bytes += state_bytes + shared.bytes;
  acknowledged.incremental_bytes += state_bytes + shared.uploaded_bytes;
  for (std::string& file : shared.files) acknowledged.shared_files.insert(std::move(file));
  pending->second.acknowledged.has_in_flight_data |= in_flight_data;
  return CompleteReady(now_ns);
}

CheckpointCoordinator::Commands CheckpointCoordinator::OnTick(int64_t now_ns) {
  Commands commands;
  if (!pending_.empty() &&
      now_ns - pending_.begin()->second.triggered_ns >= options_.timeout_ns) {
    // The oldest pending checkpoint expired (the later ones triggered after it).
    const int64_t id = pending_.begin()->first;
    pending_.erase(pending_.begin());
    ++expired_count_;
    if (++consecutive_failed_ > options_.tolerable_failed) {
      consecutive_failed_ = 0;
      commands.push_back(Command{CommandKind::kExpired, id, {}, {}});
      return commands;  // the JobMaster fails over
    }
    commands.push_back(Command{CommandKind::kAborted, id, {}, {}});
  }
  if (!active_ || now_ns < TriggerDueNs()) return commands;
  for (const auto& [task, state] : tasks_) {
    if (!state.running) {
      // Flink triggers only when every task is running; try again one interval later (without
      // this the trigger deadline stays in the past and the JobMaster's loop spins).
      next_trigger_ns_ = now_ns + options_.interval_ns;
      savepoint_due_ns_ = next_trigger_ns_;
      return commands;
    }
  }
  Pending checkpoint;
  checkpoint.id = next_checkpoint_id_++;
  checkpoint.triggered_ns = now_ns;
  Command trigger{CommandKind::kTrigger, checkpoint.id, {}, {}};
  if (savepoint_request_) {
    trigger.savepoint = true;
    trigger.terminate = *savepoint_request_;
    savepoints_[checkpoint.id] = *savepoint_request_;
    savepoint_request_.reset();
  }
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
    checkpoint.acknowledged.full_bytes += state.last_state_bytes + state.last_shared.bytes;
    for (const std::string& file : state.last_shared.files) {
      checkpoint.acknowledged.shared_files.insert(file);
    }
  }
  next_trigger_ns_ = now_ns + options_.interval_ns;
  if (checkpoint.awaiting.empty()) {
    // Every task finished: the job is done and no barrier could travel; nothing to trigger.
    --next_checkpoint_id_;
    savepoints_.erase(checkpoint.id);
    return commands;
  }
  if (options_.sources != nullptr) {
    checkpoint.acknowledged.enumerator_states =
        options_.sources->SnapshotEnumerators(checkpoint.id);
  }
  const int64_t id = checkpoint.id;
  pending_.emplace(id, std::move(checkpoint));
  commands.push_back(std::move(trigger));
  return commands;
}

void CheckpointCoordinator::RequestSavepoint(bool terminate, int64_t now_ns) {
  savepoint_request_ = terminate;
  savepoint_due_ns_ = now_ns;
}

int64_t CheckpointCoordinator::TriggerDueNs() const {
  if (savepoint_request_) return savepoint_due_ns_;  // held back by nothing
  if (static_cast<int>(pending_.size()) >= options_.max_concurrent) return INT64_MAX;
  return std::max(next_trigger_ns_, last_completion_ns_ + options_.min_pause_ns);
}

CheckpointCoordinator::Commands CheckpointCoordinator::CompleteReady(int64_t now_ns) {
  Commands commands;
  while (!pending_.empty() && pending_.begin()->second.awaiting.empty()) {
    Pending done = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    last_completion_ns_ = now_ns;
    consecutive_failed_ = 0;
    done.acknowledged.id = done.id;
    done.acknowledged.graph = options_.graph;
    done.acknowledged.is_savepoint = savepoints_.count(done.id) != 0;
    SLUICE_ASSERT(done.acknowledged.state_paths.size() == tasks_.size(),
                  "a checkpoint completes with the state of every task of the attempt");
    Storing storing{done.acknowledged, deployment_, Planted("notify-before-metadata-durable")};
    if (storing.notified) {
      // Planted bug: the sinks commit before the checkpoint is durable.
      commands.push_back(Command{CommandKind::kNotify, done.id, {}, {}});
    }
    storing_[done.id] = std::move(storing);
    commands.push_back(Command{CommandKind::kStore, done.id, {}, std::move(done.acknowledged)});
  }
  // Barriers travel in order, so every task acknowledges a checkpoint before the next one: a
  // later checkpoint cannot be ready while an earlier one waits.
  for (const auto& [id, pending] : pending_) {
    SLUICE_ASSERT(!pending.awaiting.empty(),
                  "concurrent checkpoints complete in id order (a task acknowledges n before n+1)");
  }
  return commands;
}

CheckpointCoordinator::Commands CheckpointCoordinator::OnStored(int64_t checkpoint_id) {
  auto stored = storing_.find(checkpoint_id);
  SLUICE_ASSERT(stored != storing_.end(), "OnStored answers a kStore command");
  SLUICE_ASSERT(!latest_ || latest_->id < checkpoint_id,
                "completed checkpoints follow each other in id order");
  Storing done = std::move(stored->second);
  storing_.erase(stored);
  previous_ = std::move(latest_);
  latest_ = std::move(done.checkpoint);
  ++completed_count_;
  if (options_.sources != nullptr) options_.sources->OnCheckpointCompleted(checkpoint_id);
  Commands commands;
  if (auto savepoint = savepoints_.find(checkpoint_id); savepoint != savepoints_.end()) {
    Command copy{CommandKind::kSavepoint, checkpoint_id, {}, *latest_};
    copy.terminate = savepoint->second;
    savepoints_.erase(savepoint);
    commands.push_back(std::move(copy));
  }
  if (done.deployment == deployment_ && active_ && !done.notified) {
    // (Otherwise it failed over while the metadata was written, or notified already.)
    commands.push_back(Command{CommandKind::kNotify, checkpoint_id, {}, {}});
  }
  // Retention. Planted bug fall-back-past-committed restores the checkpoint before the latest,
  // so a JobManager with that bug keeps it.
  retained_.push_back(*latest_);
  const size_t retain = static_cast<size_t>(
      Planted("fall-back-past-committed") ? std::max(2, options_.num_retained)
                                          : options_.num_retained);
  // Shared state (Flink's SharedStateRegistry): a checkpoint's shared files are registered when
  // it completes; those of checkpoints no longer retained are released when a newer checkpoint
  // that is not a savepoint completes (a savepoint is a full snapshot: a task's next incremental
  // snapshot may still reuse what the checkpoint before the savepoint uploaded, so that one
  // stays registered until a checkpoint that names those files again has completed).
  std::set<std::string> dropped_files;  // the shared files of the checkpoints released now
  if (!latest_->is_savepoint) {
    shared_registry_.Register(latest_->id, latest_->shared_files);
    std::set<int64_t> kept;  // what stays retained: the newest `retain`
    for (size_t i = retained_.size() > retain ? retained_.size() - retain : 0; i < retained_.size();
         ++i) {
      kept.insert(retained_[i].id);
    }
    for (int64_t id : shared_registry_.CheckpointIds()) {
      if (kept.count(id) != 0) continue;
      const std::set<std::string>* files = shared_registry_.Files(id);
      dropped_files.insert(files->begin(), files->end());
      shared_registry_.Unregister(id);
    }
  }
  if (retained_.size() > retain) {
    while (retained_.size() > retain) retained_.pop_front();
    Command discard{CommandKind::kDiscard, retained_.front().id, {}, {}};
    if (!Planted("shared-state-discarded")) {
      for (const CompletedCheckpoint& kept : retained_) {
        for (const auto& [task, path] : kept.state_paths) discard.keep.insert(path);
      }
    }
    // Shared files no registered checkpoint names are deleted, below the newest registered one
    // (not below a savepoint: see Command::shared_below).
    discard.keep_shared = shared_registry_.LiveFiles();
    const std::vector<int64_t> registered = shared_registry_.CheckpointIds();
    discard.shared_below = registered.empty() ? 0 : registered.back();
    if (Planted("shared-sst-deleted-while-used")) {
      // Planted bug: the files of the checkpoints released are deleted whatever else names them.
      for (const std::string& file : dropped_files) discard.keep_shared.erase(file);
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
  int64_t deadline = active_ ? TriggerDueNs() : INT64_MAX;
  if (!pending_.empty()) {
    deadline = std::min(deadline, pending_.begin()->second.triggered_ns + options_.timeout_ns);
  }
  return deadline;
}

}  // namespace sluice
