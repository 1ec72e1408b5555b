#include "engine/connectors/file_sink.h"

#include <cstdint>
#include <optional>

namespace sluice {
namespace {

// The attempt a transaction file name "part-<subtask>-<checkpoint>-a<attempt>" was written by;
// nullopt for a name not in that form (not this sink's: left alone).
std::optional<int64_t> AttemptOf(std::string_view name) {
  const size_t at = name.rfind("-a");
  if (at == std::string_view::npos || at + 2 >= name.size()) return std::nullopt;
  int64_t attempt = 0;
  for (char c : name.substr(at + 2)) {
    if (c < '0' || c > '9' || attempt > (INT64_MAX - 9) / 10) return std::nullopt;
    attempt = attempt * 10 + (c - '0');
  }
  return attempt;
}

std::string PendingPath(const FileSinkSpec& spec, const std::string& name) {
  return spec.output_dir + "/pending/" + name;
}
std::string CommittedPath(const FileSinkSpec& spec, const std::string& name) {
  return spec.output_dir + "/committed/" + name;
}

}  // namespace

FileSinkWriterCore::FileSinkWriterCore(const TaskContext& ctx, FileSinkSpec spec)
    : host_(*ctx.host),
      storage_(ctx.host->fs, ctx.services.output_root),
      spec_(std::move(spec)),
      subtask_(ctx.subtask),
      attempt_(ctx.attempt) {}

Status FileSinkWriterCore::AbortEarlierAttempts() {
  // What the restored checkpoint pre-committed is committed already (engine/api/sink.h), so
  // every pending file of an earlier attempt belongs to a checkpoint that never completed. A
  // later attempt's files are left alone: this task may be a zombie (cancelled, but still opening
  // on a TaskManager that has not heard so) whose abort would delete a transaction that a newer
  // attempt pre-committed into a completed checkpoint.
  ASSIGN_OR_RETURN(auto names, storage_.List(spec_.output_dir + "/pending"));
  const std::string prefix = "part-" + std::to_string(subtask_) + "-";
  for (const std::string& name : names) {
    if (name.rfind(prefix, 0) != 0) continue;
    const std::optional<int64_t> attempt = AttemptOf(name);
    if (!attempt || *attempt >= attempt_) continue;
    Status removed = storage_.Remove(PendingPath(spec_, name));
    if (!removed.ok() && removed.code() != StatusCode::kNotFound) return removed;
    host_.log.Info("sink.aborted", name);
  }
  return Status::Ok();
}

Result<std::vector<FileCommittable>> FileSinkWriterCore::PrepareCommit(int64_t checkpoint_id) {
  std::vector<FileCommittable> committables;
  if (buffer_.empty()) return committables;
  FileCommittable txn{"part-" + std::to_string(subtask_) + "-" + std::to_string(checkpoint_id) +
                      "-a" + std::to_string(attempt_), checkpoint_id};
  RETURN_IF_ERROR(storage_.WriteAtomic(PendingPath(spec_, txn.name), buffer_));
  host_.log.Info("sink.precommitted",
                 txn.name + " records=" + std::to_string(records_in_transaction_));
  buffer_.clear();
  records_in_transaction_ = 0;
  committables.push_back(std::move(txn));
  return committables;
}

FileCommitter::FileCommitter(const TaskContext& ctx, FileSinkSpec spec)
    : host_(*ctx.host), storage_(ctx.host->fs, ctx.services.output_root), spec_(std::move(spec)) {}

Status FileCommitter::Commit(const FileCommittable& txn) {
  const std::string pending = PendingPath(spec_, txn.name);
  const std::string committed = CommittedPath(spec_, txn.name);
  Status renamed = storage_.Rename(pending, committed);
  if (renamed.ok() && host_.faults.Buggify("sink.commit_ack_lost")) {
    // Fault point: the commit went through but its acknowledgement was lost; retry it.
    renamed = storage_.Rename(pending, committed);
  }
  if (renamed.code() == StatusCode::kNotFound &&
      !SLUICE_BUG_PLANTED(host_, "commit-not-idempotent")) {
    // Idempotence: a retry after a commit whose acknowledgement was lost, or a restore.
    ASSIGN_OR_RETURN(bool done, storage_.Exists(committed));
    if (done) return Status::Ok();
    return DataLossError("transaction " + txn.name + " is neither pending nor committed");
  }
  RETURN_IF_ERROR(renamed);
  host_.log.Info("sink.committed", txn.name, {{"checkpoint", txn.checkpoint}});
  return Status::Ok();
}

}  // namespace sluice
