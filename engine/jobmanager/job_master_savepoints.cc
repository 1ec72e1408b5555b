// JobMaster's savepoints and the REST API's view of the job: savepoint requests (taken from the
// REST API, queued to the event loop, one at a time waiting for its trigger), the savepoint's
// self-contained copy written once its checkpoint completes, requests whose checkpoint was
// aborted failed, and the JobSnapshot the REST API renders. Part of the JobMaster class
// (job_master.h); the event loop and the rest of the I/O shell are job_master.cc.
#include <fmt/core.h>

#include <algorithm>
#include <string>
#include <utility>

#include "engine/base/checksum.h"
#include "engine/jobmanager/job_master.h"
#include "engine/runtime/clock.h"

namespace sluice {

std::string JobMaster::RequestSavepoint(bool terminate, const std::string& target_directory) {
  const std::string id =
      "savepoint-" + std::to_string(epoch_) + "-" + std::to_string(++savepoint_requests_);
  savepoints_[id].status.status = "IN_PROGRESS";
  savepoints_[id].target_directory = target_directory;
  Event event{Event::Kind::kSavepointRequested, 0, ControlMessage{}};
  event.message.text = id;
  event.message.terminate = terminate;
  events_.Push(std::move(event));
  return id;
}

void JobMaster::HandleSavepointRequested(const Event& event) {
  const std::string& id = event.message.text;
  if (!untriggered_savepoint_.empty()) {
    // One request waits for a trigger at a time: the newer one takes its place.
    SavepointRequest& older = savepoints_[untriggered_savepoint_];
    older.status = {"FAILED", "", "superseded by savepoint request " + id};
  }
  untriggered_savepoint_ = id;
  log_.Info("savepoint.requested", id + (event.message.terminate ? " (stop)" : ""));
  coordinator_.RequestSavepoint(event.message.terminate, host_.clock.NowNs());
}

void JobMaster::MarkSavepointTriggered(int64_t checkpoint_id, bool terminate) {
  if (untriggered_savepoint_.empty()) return;
  savepoints_[untriggered_savepoint_].checkpoint = checkpoint_id;
  log_.Info("savepoint.triggered",
            untriggered_savepoint_ + ": checkpoint " + std::to_string(checkpoint_id) +
                (terminate ? ", stopping the sources" : ""));
  untriggered_savepoint_.clear();
}

void JobMaster::WriteSavepoint(const CompletedCheckpoint& checkpoint) {
  auto request = std::find_if(savepoints_.begin(), savepoints_.end(), [&](const auto& entry) {
    return entry.second.checkpoint == checkpoint.id;
  });
  // savepoint-<id> in the request's target directory (default savepoints/): written through the
  // checkpoint storage directory when inside it (its paths relative to it, as the location),
  // else through one rooted at the target (the location is then the absolute path).
  const std::string name = "savepoint-" + std::to_string(checkpoint.id);
  const bool targeted = request != savepoints_.end() && !request->second.target_directory.empty();
  const StoragePlace place = targeted ? PlaceOf(request->second.target_directory)
                                      : StoragePlace{true, std::string(kSavepointsDir)};
  StorageDirectory outside(host_.fs, place.path);
  StorageDirectory& target = place.inside ? checkpoint_storage_ : outside;
  const std::string in_target =
      !place.inside || place.path == "." ? name : place.path + "/" + name;
  Result<std::string> dir =
      sluice::WriteSavepoint(checkpoint_storage_, checkpoint, target, in_target);
  if (dir.ok() && !place.inside) dir = outside.FullPath(*dir);
  // A session cluster's job: its location relative to execution.checkpointing.dir, as the
  // paths a user gives are (PlaceOf).
  if (dir.ok() && place.inside && !config_.job.job_id.empty()) dir = config_.job.job_id + "/" + *dir;
  const std::string id = request != savepoints_.end() ? request->first : std::string("(none)");
  if (dir.ok()) {
    log_.Info("savepoint.completed", id + ": " + *dir, {{"checkpoint", checkpoint.id}});
  } else {
    log_.Warn("savepoint.failed", id + ": " + dir.status().ToString());
  }
  if (request == savepoints_.end()) return;
  request->second.status = dir.ok()
                               ? JobSnapshot::Savepoint{"COMPLETED", *dir, ""}
                               : JobSnapshot::Savepoint{"FAILED", "", dir.status().ToString()};
}

JobMaster::StoragePlace JobMaster::PlaceOf(const std::string& path) const {
  const std::string& job_id = config_.job.job_id;
  if (!path.starts_with("/")) {
    if (job_id.empty()) return StoragePlace{true, path};
    // A session cluster's job: relative to execution.checkpointing.dir, inside only within the
    // job's own directory there (another job's savepoint is imported as any outside one).
    if (path == job_id) return StoragePlace{true, "."};
    if (path.starts_with(job_id + "/")) return StoragePlace{true, path.substr(job_id.size() + 1)};
    return StoragePlace{false, config_.services.checkpoint_dir + "/" + path};
  }
  std::string root = JobStorageDir(config_.services.checkpoint_dir, config_.job);
  if (!root.starts_with("/")) root = "/" + root;  // the simulator's paths are relative to /
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (path == root) return StoragePlace{true, "."};
  if (path.starts_with(root + "/")) return StoragePlace{true, path.substr(root.size() + 1)};
  return StoragePlace{false, path};
}

Result<CompletedCheckpoint> JobMaster::ReadSavepointToRestore() {
  const StoragePlace place = PlaceOf(config_.savepoint_path);
  if (place.inside) return ReadSavepoint(checkpoint_storage_, place.path);
  const std::string& path = place.path;
  // Outside checkpoint storage: copied in under a name of its own path, so that tasks read it
  // as any checkpoint, and a JobManager that takes over mid-copy copies to the same place.
  StorageDirectory source(host_.fs, ParentDir(path));
  const std::string name = path.substr(path.rfind('/') + 1);
  const std::string dir = std::string(kSavepointsDir) + "/import-" + fmt::format("{:016x}", Checksum64(path));
  log_.Info("savepoint.importing", path + " -> " + dir);
  return ImportSavepoint(source, name, checkpoint_storage_, dir);
}

void JobMaster::SettleAbortedSavepoints() {
  for (auto& [id, request] : savepoints_) {
    if (request.status.status != "IN_PROGRESS" || request.checkpoint == 0 ||
        coordinator_.InFlight(request.checkpoint)) {
      continue;
    }
    request.status = {"FAILED", "",
                      "checkpoint " + std::to_string(request.checkpoint) +
                          " of the savepoint was aborted (a failover or an expiry)"};
    log_.Warn("savepoint.failed", id + ": " + request.status.failure);
  }
}

JobSnapshot JobMaster::Snapshot() const {
  JobSnapshot job;
  job.job_id = job_id_;
  job.name = config_.job.job;
  job.state = scheduler_.JobStatusName();
  job.start_ms = started_ns_ / kNanosPerMilli;
  job.end_ms = ended_ns_ < 0 ? -1 : ended_ns_ / kNanosPerMilli;
  job.now_ms = host_.clock.NowNs() / kNanosPerMilli;
  job.max_parallelism = max_parallelism_;
  for (const Chain& chain : scheduler_.chains()) {
    job.vertices.push_back(JobSnapshot::Vertex{
        chain.name, chain.parallelism,
        scheduler_.ChainFinished(chain.id) ? "FINISHED" : std::string(job.state), {}});
    for (int subtask = 0; subtask < chain.parallelism; ++subtask) {
      auto it = task_times_.find({chain.id, subtask});
      JobSnapshot::SubtaskTimes times;
      times.subtask = subtask;
      if (it != task_times_.end()) {
        times.attempt = it->second.attempt;
        times.busy_ns = it->second.latest.busy_ns - it->second.previous.busy_ns;
        times.idle_ns = it->second.latest.idle_ns - it->second.previous.idle_ns;
        times.backpressured_ns =
            it->second.latest.backpressured_ns - it->second.previous.backpressured_ns;
      }
      job.vertices.back().subtasks.push_back(times);
    }
  }
  for (const JobScheduler::TaskManagerView& tm : scheduler_.TaskManagers()) {
    job.taskmanagers.push_back(JobSnapshot::TaskManager{tm.id, tm.data_address, tm.slots,
                                                        tm.slots - tm.slots_used,
                                                        tm.last_heard_ns / kNanosPerMilli});
  }
  job.checkpoints_completed = coordinator_.completed_count();
  job.checkpoints_failed = coordinator_.expired_count();
  job.checkpoint_in_progress = coordinator_.pending();
  if (const CompletedCheckpoint* latest = coordinator_.latest()) {
    job.latest_completed_checkpoint = latest->id;
    job.latest_checkpoint_full_bytes = latest->full_bytes;
    job.latest_checkpoint_incremental_bytes = latest->incremental_bytes;
    job.latest_checkpoint_is_savepoint = latest->is_savepoint;
    job.latest_checkpoint_duration_ms = latest_checkpoint_duration_ms_;
  }
  job.restored_checkpoint = scheduler_.restored_from();
  job.restarts = scheduler_.restarts();
  for (const auto& [id, request] : savepoints_) {
    job.savepoints[id] = request.status;
    if (request.status.status == "COMPLETED" && request.checkpoint > job.latest_savepoint) {
      job.latest_savepoint = request.checkpoint;
      job.latest_savepoint_location = request.status.location;
    }
  }
  job.failure = scheduler_.failure();
  return job;
}

}  // namespace sluice
