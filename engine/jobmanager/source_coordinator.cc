#include "engine/jobmanager/source_coordinator.h"

#include <utility>

#include "engine/base/assert.h"

namespace sluice {

std::vector<SourceCoordinator::SourceInfo> SourceCoordinator::SourcesOf(
    const JobGraph& graph, const std::vector<Chain>& chains) {
  std::vector<SourceInfo> sources;
  for (const Chain& chain : chains) {
    if (!chain.is_source) continue;
    const OperatorNode& head = graph.nodes[chain.nodes.front()];
    sources.push_back(
        SourceInfo{chain.id, head.id, head.name, chain.parallelism, head.source.make_enumerator});
  }
  return sources;
}

SourceCoordinator::SourceCoordinator(std::vector<SourceInfo> sources,
                                     std::function<bool(std::string_view bug)> bug_planted)
    : sources_(std::move(sources)), bug_planted_(std::move(bug_planted)) {
  for (const SourceInfo& source : sources_) {
    SLUICE_ASSERT(source.make_enumerator != nullptr, "every source has a split enumerator");
  }
}

const SourceCoordinator::SourceInfo* SourceCoordinator::InfoOf(int chain) const {
  for (const SourceInfo& source : sources_) {
    if (source.chain == chain) return &source;
  }
  return nullptr;
}

Status SourceCoordinator::Start(const SourceInfo& info, Source& source,
                                const EnumeratorStart& start) {
  auto enumerator = info.make_enumerator(start);
  if (!enumerator.ok()) {
    return DataLossError("source '" + info.name + "': " + enumerator.status().ToString());
  }
  source.enumerator = std::move(enumerator).value();
  return Status::Ok();
}

Result<std::vector<SourceCoordinator::Assignment>> SourceCoordinator::SetDiscovered(
    int chain, std::vector<std::string> splits) {
  const SourceInfo* info = InfoOf(chain);
  SLUICE_ASSERT(info != nullptr, "splits are discovered for a source chain");
  const std::vector<std::string>& discovered = discovered_[chain] = std::move(splits);
  std::vector<Assignment> answers;
  auto it = live_.find(chain);
  if (it == live_.end() || it->second.enumerator != nullptr) return answers;
  Source& source = it->second;
  RETURN_IF_ERROR(Start(*info, source, EnumeratorStart{info->parallelism, &discovered, nullptr}));
  for (const auto& [subtask, received] : std::exchange(source.waiting, {})) {
    answers.push_back(Assign(chain, source, subtask, received));
  }
  return answers;
}

Status SourceCoordinator::OnDeployed(const CompletedCheckpoint* restored) {
  live_.clear();
  assigned_at_snapshot_.clear();
  base_checkpoint_ = restored != nullptr ? restored->id : 0;
  assigned_at_base_.clear();
  for (const SourceInfo& info : sources_) {
    Source& source = live_[info.chain];
    source.history.assign(static_cast<size_t>(info.parallelism), {});
    const std::string* state = nullptr;
    if (restored != nullptr) {
      auto it = restored->enumerator_states.find(info.chain);
      if (it != restored->enumerator_states.end()) state = &it->second;
    }
    // Planted bug: the enumerators start over from the discovered splits after every failover,
    // handing out again splits the restored subtasks had read or are reading.
    if (bug_planted_ && bug_planted_("enumerator-state-not-restored")) state = nullptr;
    if (state != nullptr) {
      RETURN_IF_ERROR(Start(info, source, EnumeratorStart{info.parallelism, nullptr, state}));
      continue;
    }
    auto discovered = discovered_.find(info.chain);
    if (discovered != discovered_.end()) {
      RETURN_IF_ERROR(
          Start(info, source, EnumeratorStart{info.parallelism, &discovered->second, nullptr}));
    }
  }
  return Status::Ok();
}

SourceCoordinator::Assignment SourceCoordinator::Assign(int chain, Source& source, int subtask,
                                                        int64_t received) {
  std::vector<std::string>& history = source.history[subtask];
  const auto assigned = static_cast<int64_t>(history.size());
  // One request at a time, answered in order on one connection: a subtask asks again only
  // after it received the answer to its previous request.
  SLUICE_ASSERT(received == assigned,
                "a source subtask asks for splits only after receiving every split assigned to it");
  Assignment assignment;
  assignment.task = {chain, subtask};
  assignment.first_index = assigned;
  assignment.no_more_splits = source.enumerator->HandleSplitRequest(subtask, &assignment.splits);
  history.insert(history.end(), assignment.splits.begin(), assignment.splits.end());
  return assignment;
}

void SourceCoordinator::OnSubtasksReset(const std::vector<TaskId>& tasks,
                                        const CompletedCheckpoint* restored) {
  SLUICE_ASSERT((restored != nullptr ? restored->id : 0) == base_checkpoint_,
                "a region restores the latest completed checkpoint, whose assignments are known");
  // Every pending checkpoint was aborted by the failover: their snapshots will never be
  // acknowledged by the restarted subtasks.
  assigned_at_snapshot_.clear();
  for (const TaskId& task : tasks) {
    auto it = live_.find(task.first);
    if (it == live_.end()) continue;  // not a source chain
    Source& source = it->second;
    const int subtask = task.second;
    auto at_base = assigned_at_base_.find(task);
    const int64_t kept = at_base == assigned_at_base_.end() ? 0 : at_base->second;
    std::vector<std::string>& history = source.history[subtask];
    SLUICE_ASSERT(kept <= static_cast<int64_t>(history.size()),
                  "a subtask's checkpointed assignments are among its assignments");
    std::vector<std::string> back(history.begin() + kept, history.end());
    // Planted bug: the restarted readers' later splits are never handed out again; what they
    // read after the checkpoint is lost.
    if (!back.empty() && source.enumerator != nullptr &&
        !(bug_planted_ && bug_planted_("region-sources-not-reset"))) {
      source.enumerator->AddSplitsBack(std::move(back), subtask);
    }
    // The restored subtask holds exactly its splits of the checkpoint and counts its
    // assignments of the new attempt from zero.
    history.clear();
    assigned_at_base_.erase(task);
    std::erase_if(source.waiting,
                  [subtask](const auto& request) { return request.first == subtask; });
  }
}

void SourceCoordinator::OnCheckpointCompleted(int64_t checkpoint_id) {
  auto snapshot = assigned_at_snapshot_.find(checkpoint_id);
  SLUICE_ASSERT(snapshot != assigned_at_snapshot_.end() || live_.empty(),
                "a completed checkpoint's enumerator snapshot is kept until it completes");
  base_checkpoint_ = checkpoint_id;
  if (snapshot == assigned_at_snapshot_.end()) return;
  assigned_at_base_ = std::move(snapshot->second);
  assigned_at_snapshot_.erase(assigned_at_snapshot_.begin(), std::next(snapshot));
}

Result<std::vector<SourceCoordinator::Assignment>> SourceCoordinator::OnSplitRequest(
    TaskId task, int64_t received) {
  auto it = live_.find(task.first);
  if (it == live_.end() || task.second < 0 ||
      task.second >= static_cast<int>(it->second.history.size())) {
    return InvalidArgumentError("split request from task " + std::to_string(task.first) + "/" +
                                std::to_string(task.second) + ", which is no source subtask");
  }
  Source& source = it->second;
  if (source.enumerator == nullptr) {  // the splits are not discovered yet
    source.waiting.emplace_back(task.second, received);
    return std::vector<Assignment>{};
  }
  return std::vector<Assignment>{Assign(task.first, source, task.second, received)};
}

std::map<int, std::string> SourceCoordinator::SnapshotEnumerators(int64_t checkpoint_id) {
  std::map<int, std::string> states;
  std::map<TaskId, int64_t>& assigned = assigned_at_snapshot_[checkpoint_id];
  while (assigned_at_snapshot_.size() > kSnapshotsKept) {
    assigned_at_snapshot_.erase(assigned_at_snapshot_.begin());
  }
  for (const auto& [chain, source] : live_) {
    for (size_t s = 0; s < source.history.size(); ++s) {
      assigned[{chain, static_cast<int>(s)}] = static_cast<int64_t>(source.history[s].size());
    }
    // Not started (splits not yet discovered): a restore starts it from the discovered splits.
    if (source.enumerator != nullptr) source.enumerator->SnapshotState(&states[chain]);
  }
  return states;
}

void SourceCoordinator::OnAcknowledged(int64_t checkpoint_id, TaskId task, int64_t received) const {
  auto snapshot = assigned_at_snapshot_.find(checkpoint_id);
  if (snapshot == assigned_at_snapshot_.end()) return;
  auto it = snapshot->second.find(task);
  if (it == snapshot->second.end()) return;
  SLUICE_ASSERT(received == it->second,
                "a source subtask's snapshot holds exactly the splits assigned to it before the "
                "checkpoint triggered (else a split is lost or read twice after a restore)");
}

}  // namespace sluice
