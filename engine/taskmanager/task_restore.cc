// Task::Restore: a deployment's state files read and handed to the source and the chain's
// links, at the parallelism they were written at or another (state assignment,
// engine/partition/state_assignment.h). Part of the Task class (task.h).
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/checkpoint/replicated_file.h"
#include "engine/partition/state_assignment.h"
#include "engine/runtime/fault_injection.h"
#include "engine/taskmanager/task.h"

namespace sluice {

Result<std::string> Task::ReadState(const std::string& path, bool try_local, bool* local) {
  *local = false;
  if (try_local && local_state_) {
    if (std::optional<std::string> copy = local_state_->Read(path)) {
      *local = true;
      return std::move(*copy);
    }
  }
  std::string damaged;
  auto read = ReadReplicated(checkpoint_storage_, path, kStateMagic, true, &damaged);
  if (read.status().code() == StatusCode::kNotFound) {
    // A completed checkpoint names only state that was durable when it was acknowledged:
    // neither copy left means it was lost (deleted or wiped), for good.
    return DataLossError("state of a completed checkpoint is gone: " + read.status().message());
  }
  if (read.ok() && !damaged.empty()) {
    log_.Warn("checkpoint.copy_damaged", name() + ": " + damaged);
  }
  return read;
}

Status Task::Restore() {
  const std::vector<std::string>& paths = deployment_.restore_paths;
  if (paths.empty()) {
    for (auto& link : links_) RETURN_IF_ERROR(link->Open({}));
    return Status::Ok();
  }
  // Which old subtasks' state each link takes (engine/partition/state_assignment.h); at an
  // unchanged parallelism only this subtask's own. A source's splits are dealt one by one over
  // the new subtasks (Flink's split-distributed reader state), so after a rescale every source
  // subtask reads every old one's source section.
  const int old_parallelism = static_cast<int>(paths.size());
  const bool rescaled = old_parallelism != chain_.parallelism;
  std::vector<std::vector<int>> reads(links_.size() + 1);
  if (source_functions_ != nullptr) {
    for (int j = 0; j < old_parallelism; ++j) {
      if (rescaled || j == deployment_.subtask) reads[0].push_back(j);
    }
  }
  for (size_t i = 0; i < links_.size(); ++i) {
    const StateRedistribution mode = links_[i]->redistribution();
    reads[i + 1] = OldSubtasksToRestore(mode, graph_.max_parallelism, old_parallelism,
                                        chain_.parallelism, deployment_.subtask);
    if (mode == StateRedistribution::kKeyGroups && reads[i + 1].size() > 1 &&
        SLUICE_BUG_PLANTED(host_, "rescale-drops-key-groups")) {
      reads[i + 1].pop_back();  // planted bug: one old subtask's key groups are never restored
    }
  }
  // Sections of each state file read: [source][one per link], as Checkpoint writes them.
  std::map<int, std::vector<std::string>> sections;
  std::map<int, std::string> channel_state;  // an unaligned checkpoint's in-flight data
  int64_t local_bytes = 0, remote_bytes = 0;
  for (const std::vector<int>& read : reads) {
    for (int j : read) {
      if (sections.count(j) != 0) continue;
      const std::string& path = paths[j];
      bool local = false;
      ASSIGN_OR_RETURN(const std::string state, ReadState(path, !rescaled, &local));
      (local ? local_bytes : remote_bytes) += static_cast<int64_t>(state.size());
      std::vector<std::string>& file = sections[j];
      file.assign(links_.size() + 1, std::string());
      ByteReader r(state);
      uint64_t count = 0;
      if (!r.GetVarint(&count) || (count != file.size() && count != file.size() + 1)) {
        return DataLossError(path + ": section count does not match the chain");
      }
      for (std::string& section : file) {
        if (!r.GetString(&section)) return DataLossError(path + ": bad section");
      }
      if (count == file.size() + 1 && !r.GetString(&channel_state[j])) {
        return DataLossError(path + ": bad channel state section");
      }
    }
  }
  log_.Info("task.restored",
                 name() +
                     (local_bytes > 0 ? " from its local copy, " : " from checkpoint storage, ") +
                     std::to_string(local_bytes + remote_bytes) + " bytes" +
                     (rescaled ? " of " + std::to_string(sections.size()) +
                                     " subtasks at parallelism " + std::to_string(old_parallelism)
                               : ""),
                 {{"attempt", deployment_.attempt},
                  {"local_bytes", local_bytes},
                  {"remote_bytes", remote_bytes},
                  {"old_parallelism", old_parallelism}});
  if (source_functions_ != nullptr) {
    // [lines][count]([split][position])*: the split being read first, then the assigned ones.
    // Rescaled: split k of all old subtasks' (in old subtask order) goes to new subtask
    // k mod parallelism, and the line count is the furthest old subtask's (how far into its
    // input the job got, which source.rate-limit.steps is keyed by).
    int64_t k = 0;
    for (int j : reads[0]) {
      const std::string& section = sections.at(j)[0];
      if (section.empty()) continue;
      ByteReader r(section);
      uint64_t lines = 0, count = 0;
      if (!r.GetVarint(&lines) || !r.GetVarint(&count) || count > r.remaining()) {
        return DataLossError(paths[j] + ": bad source section");
      }
      source_lines_ = rescaled ? std::max<uint64_t>(source_lines_, lines) : lines;
      for (uint64_t i = 0; i < count; ++i, ++k) {
        AssignedSplit split;
        if (!r.GetString(&split.split) || !r.GetString(&split.position)) {
          return DataLossError(paths[j] + ": bad source split " + std::to_string(i));
        }
        if (!rescaled || k % chain_.parallelism == deployment_.subtask) {
          assigned_splits_.push_back(std::move(split));
        }
      }
      if (!r.empty()) return DataLossError(paths[j] + ": bad source section");
    }
    // The split being read reopens here, so that a restored position past its end is data loss
    // of the restore.
    if (!assigned_splits_.empty()) RETURN_IF_ERROR(OpenNextSplit());
  }
  if (rescaled && !channel_state.empty()) {
    // Departure from Flink (which re-distributes in-flight data on rescale): refused, clearly.
    return FailedPreconditionError(
        paths[channel_state.begin()->first] +
        ": an unaligned checkpoint's in-flight data cannot be restored at another parallelism "
        "(rescale from a savepoint, which is always aligned)");
  }
  std::vector<std::string_view> restored;
  for (size_t i = 0; i < links_.size(); ++i) {
    restored.clear();
    for (int j : reads[i + 1]) restored.push_back(sections.at(j)[i + 1]);
    RETURN_IF_ERROR(links_[i]->Open(restored));
  }
  if (auto it = channel_state.find(deployment_.subtask); it != channel_state.end()) {
    RETURN_IF_ERROR(RestoreChannelState(paths[deployment_.subtask], it->second));
    log_.Info("task.restored_in_flight",
                   name() + ": " + std::to_string(it->second.size()) + " bytes",
                   {{"bytes", static_cast<int64_t>(it->second.size())}});
  }
  return Status::Ok();
}

Status Task::RestoreChannelState(const std::string& path, std::string_view section) {
  // ChannelStateSection's layout.
  ByteReader r(section);
  uint64_t channels = 0;
  if (!r.GetVarint(&channels) || channels > r.remaining()) {
    return DataLossError(path + ": bad in-flight input");
  }
  restored_input_state_.assign(channels, {});
  for (auto& channel : restored_input_state_) {
    uint64_t events = 0;
    if (!r.GetVarint(&events) || events > r.remaining()) {
      return DataLossError(path + ": bad in-flight input channel");
    }
    channel.resize(events);
    for (NetworkInputGate::Event& event : channel) {
      uint8_t kind = 0;
      bool ok = r.GetU8(&kind);
      event.kind = static_cast<DataKind>(kind);
      if (ok && event.kind == DataKind::kRecords) {
        ok = r.GetU32(&event.count) && r.GetString(&event.records) &&
             r.GetString(&event.timestamps);
      } else if (ok && event.kind == DataKind::kWatermark) {
        ok = r.GetSignedVarint(&event.watermark_ms);
      } else if (ok && event.kind == DataKind::kWatermarkStatus) {
        uint8_t idle = 0;
        ok = r.GetU8(&idle) && idle <= 1;
        event.idle = idle == 1;
      } else {
        ok = false;
      }
      if (!ok) return DataLossError(path + ": bad in-flight input buffer");
    }
  }
  std::string output;
  if (!r.GetString(&output) || !r.empty()) return DataLossError(path + ": bad in-flight output");
  if (output.empty()) return Status::Ok();
  ByteReader o(output);
  uint64_t gates = 0;
  if (!o.GetVarint(&gates) || gates != outputs_.size()) {
    return DataLossError(path + ": in-flight output for " + std::to_string(gates) +
                         " output edges, the chain has " + std::to_string(outputs_.size()));
  }
  for (auto& gate : outputs_) {
    std::string in_flight;
    if (!o.GetString(&in_flight)) return DataLossError(path + ": bad in-flight output");
    RETURN_IF_ERROR(gate->ResendInFlight(in_flight).WithContext(path));
  }
  if (!o.empty()) return DataLossError(path + ": bad in-flight output");
  return Status::Ok();
}

}  // namespace sluice
