#include "engine/connectors/database_sink.h"

#include <cstdint>
#include <optional>

namespace sluice {
namespace {

std::string Prefix(const DatabaseSinkSpec& spec) { return "sluice/" + spec.table + "/"; }

// The subtask and attempt of a global id "sluice/<table>/<subtask>/<checkpoint>/<attempt>"
// (after the table's prefix); nullopt for an id not in that form (not this sink's: left alone).
std::optional<std::pair<int64_t, int64_t>> SubtaskAndAttemptOf(std::string_view rest) {
  int64_t numbers[3] = {0, 0, 0};
  int index = 0;
  bool digits = false;
  for (char c : rest) {
    if (c == '/') {
      if (!digits || ++index > 2) return std::nullopt;
      digits = false;
      continue;
    }
    if (c < '0' || c > '9' || numbers[index] > (INT64_MAX - 9) / 10) return std::nullopt;
    numbers[index] = numbers[index] * 10 + (c - '0');
    digits = true;
  }
  if (index != 2 || !digits) return std::nullopt;
  return std::make_pair(numbers[0], numbers[2]);
}

}  // namespace

void AppendRowLine(const std::vector<std::string>& row, std::string* out) {
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out->push_back('\t');
    *out += row[i];
  }
  out->push_back('\n');
}

Status DatabaseSession::Run(const std::function<Status(DatabaseConnection&)>& call) {
  if (!connection_) {
    auto connected = host_.databases.Connect(url_);
    if (!connected.ok()) return connected.status().WithContext("database sink");
    connection_ = std::move(connected).value();
  }
  Status status = call(*connection_);
  if (!status.ok() && status.code() != StatusCode::kNotFound) connection_.reset();
  return status;
}

DatabaseSinkWriterCore::DatabaseSinkWriterCore(const TaskContext& ctx, DatabaseSinkSpec spec)
    : host_(*ctx.host),
      spec_(std::move(spec)),
      session_(*ctx.host, spec_.url),
      subtask_(ctx.subtask),
      parallelism_(ctx.parallelism),
      attempt_(ctx.attempt) {}

Status DatabaseSinkWriterCore::RollBackEarlierAttempts() {
  // As the file sink's abort (engine/connectors/file_sink.cc): what the restored checkpoint
  // prepared is committed already, so an earlier attempt's prepared transaction belongs to a
  // checkpoint that never completed.
  const std::string prefix = Prefix(spec_);
  std::vector<std::string> gids;
  RETURN_IF_ERROR(session_.Run([&](DatabaseConnection& db) {
    ASSIGN_OR_RETURN(gids, db.ListPrepared(prefix));
    return Status::Ok();
  }));
  for (const std::string& gid : gids) {
    const auto parsed = SubtaskAndAttemptOf(std::string_view(gid).substr(prefix.size()));
    if (!parsed) continue;
    const auto [subtask, attempt] = *parsed;
    const bool mine = subtask == subtask_ && attempt < attempt_;
    const bool orphaned = subtask_ == 0 && subtask >= parallelism_ && attempt < attempt_;
    if (!mine && !orphaned) continue;
    const Status rolled_back =
        session_.Run([&](DatabaseConnection& db) { return db.RollbackPrepared(gid); });
    if (!rolled_back.ok() && rolled_back.code() != StatusCode::kNotFound) return rolled_back;
    host_.log.Info("sink.aborted", gid);
  }
  return Status::Ok();
}

Result<std::vector<DatabaseCommittable>> DatabaseSinkWriterCore::PrepareCommit(
    int64_t checkpoint_id) {
  std::vector<DatabaseCommittable> committables;
  if (rows_.empty()) return committables;
  DatabaseCommittable txn{Prefix(spec_) + std::to_string(subtask_) + "/" +
                              std::to_string(checkpoint_id) + "/" + std::to_string(attempt_),
                          checkpoint_id};
  RETURN_IF_ERROR(session_.Run([&](DatabaseConnection& db) {
    return db.PrepareTransaction(txn.gid, spec_.table, rows_);
  }));
  host_.log.Info("sink.precommitted", txn.gid + " records=" + std::to_string(rows_.size()));
  rows_.clear();
  committables.push_back(std::move(txn));
  return committables;
}

DatabaseCommitter::DatabaseCommitter(const TaskContext& ctx, DatabaseSinkSpec spec)
    : host_(*ctx.host), session_(*ctx.host, std::move(spec.url)) {}

Status DatabaseCommitter::Commit(const DatabaseCommittable& txn) {
  Status committed =
      session_.Run([&](DatabaseConnection& db) { return db.CommitPrepared(txn.gid); });
  if (committed.ok() && host_.faults.Buggify("sink.commit_ack_lost")) {
    // Fault point: the commit went through but its acknowledgement was lost; retry it.
    committed = session_.Run([&](DatabaseConnection& db) { return db.CommitPrepared(txn.gid); });
  }
  if (committed.code() == StatusCode::kNotFound &&
      !SLUICE_BUG_PLANTED(host_, "commit-not-idempotent")) {
    // Idempotence: a retry after a commit whose acknowledgement was lost, or a restore.
    bool done = false;
    RETURN_IF_ERROR(session_.Run([&](DatabaseConnection& db) {
      ASSIGN_OR_RETURN(done, db.Committed(txn.gid));
      return Status::Ok();
    }));
    if (done) return Status::Ok();
    return DataLossError("transaction " + txn.gid + " is neither prepared nor committed");
  }
  RETURN_IF_ERROR(committed);
  host_.log.Info("sink.committed", txn.gid, {{"checkpoint", txn.checkpoint}});
  return Status::Ok();
}

}  // namespace sluice
