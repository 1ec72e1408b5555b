#include "engine/connectors/file_sink.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "engine/base/bytes.h"

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

}  // namespace

TwoPhaseCommitFileSink::TwoPhaseCommitFileSink(const TaskContext& ctx, FileSinkSpec spec)
    : host_(*ctx.host),
      store_(*ctx.host, ctx.services.output_store),
      spec_(std::move(spec)),
      subtask_(ctx.subtask),
      attempt_(ctx.attempt) {}

std::string TwoPhaseCommitFileSink::PendingPath(const std::string& name) const {
  return spec_.output_dir + "/pending/" + name;
}
std::string TwoPhaseCommitFileSink::CommittedPath(const std::string& name) const {
  return spec_.output_dir + "/committed/" + name;
}

Status TwoPhaseCommitFileSink::Open(std::string_view restored) {
  pending_.clear();
  ByteReader r(restored);
  uint64_t count = 0;
  if (!restored.empty() && !r.GetVarint(&count)) return DataLossError("sink state malformed");
  for (uint64_t i = 0; i < count; ++i) {
    Pending txn;
    if (!r.GetSignedVarint(&txn.checkpoint_id) || !r.GetString(&txn.name)) {
      return DataLossError("sink state malformed at transaction " + std::to_string(i));
    }
    pending_.push_back(std::move(txn));
  }
  // The restored checkpoint completed, so its pre-committed transactions commit now.
  if (!SLUICE_BUG_PLANTED(host_, "pending-commits-not-recovered")) {
    for (const Pending& txn : pending_) RETURN_IF_ERROR(Commit(txn));
  }
  std::vector<std::string> keep;
  for (const Pending& txn : pending_) keep.push_back(txn.name);
  pending_.clear();
  // Everything else this subtask's earlier attempts left pending belongs to checkpoints that
  // never completed: abort it. A later attempt's files are left alone: this task may be a zombie
  // (cancelled, but still opening on a TaskManager that has not heard so) whose abort would
  // delete a transaction that a newer attempt pre-committed into a completed checkpoint.
  ASSIGN_OR_RETURN(auto names, store_.List(spec_.output_dir + "/pending"));
  const std::string prefix = "part-" + std::to_string(subtask_) + "-";
  for (const std::string& name : names) {
    if (name.rfind(prefix, 0) != 0) continue;
    if (std::find(keep.begin(), keep.end(), name) != keep.end()) continue;
    const std::optional<int64_t> attempt = AttemptOf(name);
    if (!attempt || *attempt >= attempt_) continue;
    Status removed = store_.Remove(PendingPath(name));
    if (!removed.ok() && removed.code() != StatusCode::kNotFound) return removed;
    host_.log.Info("sink.aborted", name);
  }
  return Status::Ok();
}

Status TwoPhaseCommitFileSink::PreCommit(int64_t checkpoint_id, std::string* state_out) {
  if (!buffer_.empty()) {
    Pending txn{checkpoint_id, "part-" + std::to_string(subtask_) + "-" +
                                   std::to_string(checkpoint_id) + "-a" + std::to_string(attempt_)};
    RETURN_IF_ERROR(store_.WriteAtomic(PendingPath(txn.name), buffer_));
    host_.log.Info("sink.precommitted",
                   txn.name + " records=" + std::to_string(records_in_transaction_));
    if (SLUICE_BUG_PLANTED(host_, "sink-commit-at-precommit")) {
      RETURN_IF_ERROR(Commit(txn));  // planted bug: visible before the checkpoint completes
    } else {
      pending_.push_back(std::move(txn));
    }
    buffer_.clear();
    records_in_transaction_ = 0;
  }
  ByteWriter w(state_out);
  w.PutVarint(pending_.size());
  for (const Pending& txn : pending_) {
    w.PutSignedVarint(txn.checkpoint_id);
    w.PutString(txn.name);
  }
  return Status::Ok();
}

Status TwoPhaseCommitFileSink::Commit(const Pending& txn) {
  Status renamed = store_.Rename(PendingPath(txn.name), CommittedPath(txn.name));
  if (renamed.ok() && host_.faults.Buggify("sink.commit_ack_lost")) {
    // Fault point: the commit went through but its acknowledgement was lost; retry it.
    renamed = store_.Rename(PendingPath(txn.name), CommittedPath(txn.name));
  }
  if (renamed.code() == StatusCode::kNotFound &&
      !SLUICE_BUG_PLANTED(host_, "commit-not-idempotent")) {
    // Idempotence: a retry after a commit whose acknowledgement was lost.
    ASSIGN_OR_RETURN(bool committed, store_.Exists(CommittedPath(txn.name)));
    if (committed) return Status::Ok();
    return DataLossError("transaction " + txn.name + " is neither pending nor committed");
  }
  RETURN_IF_ERROR(renamed);
  host_.log.Info("sink.committed", txn.name);
  return Status::Ok();
}

Status TwoPhaseCommitFileSink::CommitUpTo(int64_t checkpoint_id) {
  while (!pending_.empty() && pending_.front().checkpoint_id <= checkpoint_id) {
    RETURN_IF_ERROR(Commit(pending_.front()));
    pending_.erase(pending_.begin());
  }
  return Status::Ok();
}

}  // namespace sluice
