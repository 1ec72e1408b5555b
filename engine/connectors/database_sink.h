// The exactly-once database sink: rows into a PostgreSQL table through the seam's databases
// (engine/runtime/database.h), on the Sink V2 shape of engine/api/sink.h, as Flink's JDBC
// exactly-once sink does it with XA transactions:
//   - the writer buffers the rows between two barriers;
//   - pre-commit at barrier n inserts them in one transaction and prepares it (PREPARE
//     TRANSACTION) under the global id sluice/<table>/<subtask>/<n>/<attempt>, the committable;
//   - the committer commits it (COMMIT PREPARED) once checkpoint n completes; one that is no
//     longer prepared counts as committed if the commit log has it (idempotence: a restore, a
//     retry after a lost acknowledgement), else it is data loss;
//   - when it opens (after the restored checkpoint's committables were committed), the writer
//     rolls back what its subtask's earlier attempts left prepared: those belong to checkpoints
//     that never completed. A later attempt's are left alone (this task may be a zombie).
//     Subtask 0 also rolls back what subtasks at or beyond the parallelism left (a run at a
//     higher parallelism, before a rescale).
// One job writes a table at a time. Ids stay unique while the cluster's etcd keeps its revisions
// (attempts grow with the leadership's epoch); a reused id fails its transaction (kAlreadyExists).
// On an error the connection is dropped (the next call connects again) and the task fails; its
// restart retries. One task fiber uses a sink; calls may suspend (libpq's block the host).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/api/sink.h"
#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"
#include "engine/runtime/database.h"

namespace sluice {

struct DatabaseSinkSpec {
  std::string url;    // the database (libpq's URI or key=value string)
  std::string table;  // the table the rows go into (it must exist)
};

// A prepared transaction: its global id.
struct DatabaseCommittable {
  std::string gid;         // sluice/<table>/<subtask>/<checkpoint>/<attempt>
  int64_t checkpoint = 0;  // the checkpoint whose barrier prepared it
  auto Tie() { return std::tie(gid, checkpoint); }
  auto Tie() const { return std::tie(gid, checkpoint); }
};

// Formats one record as one row: its values as text, in the table's column order.
template <typename T>
using RowFormat = std::function<void(const T&, std::vector<std::string>* row)>;

// A connection made on first use and dropped after an error.
class DatabaseSession {
 public:
  DatabaseSession(Host& host, std::string url) : host_(host), url_(std::move(url)) {}
  // Runs `call` on the connection (connecting first if there is none); on an error, drops it.
  Status Run(const std::function<Status(DatabaseConnection&)>& call);

 private:
  Host& host_;
  std::string url_;
  std::unique_ptr<DatabaseConnection> connection_;
};

// The writer's work that does not depend on the record type.
class DatabaseSinkWriterCore {
 public:
  DatabaseSinkWriterCore(const TaskContext& ctx, DatabaseSinkSpec spec);
  // Rolls back what earlier attempts of this subtask (and, for subtask 0, subtasks beyond the
  // parallelism) left prepared.
  Status RollBackEarlierAttempts();
  // The open transaction's rows.
  std::vector<std::vector<std::string>>* rows() { return &rows_; }
  // Prepares the open transaction (nothing if it has no row).
  Result<std::vector<DatabaseCommittable>> PrepareCommit(int64_t checkpoint_id);

 private:
  Host& host_;
  DatabaseSinkSpec spec_;
  DatabaseSession session_;
  int subtask_;
  int parallelism_;
  int64_t attempt_;
  std::vector<std::vector<std::string>> rows_;
};

class DatabaseCommitter final : public Committer<DatabaseCommittable> {
 public:
  DatabaseCommitter(const TaskContext& ctx, DatabaseSinkSpec spec);
  // kDataLoss if the transaction is neither prepared nor committed.
  Status Commit(const DatabaseCommittable& committable) override;

 private:
  Host& host_;
  DatabaseSession session_;
};

template <typename T>
class DatabaseSinkWriter final : public SinkWriter<T, DatabaseCommittable> {
 public:
  DatabaseSinkWriter(const TaskContext& ctx, DatabaseSinkSpec spec, RowFormat<T> format)
      : core_(ctx, std::move(spec)), format_(std::move(format)) {}
  Status Open() override { return core_.RollBackEarlierAttempts(); }
  Status Write(std::span<const T> batch, std::span<const int64_t>) override {
    std::vector<std::vector<std::string>>* rows = core_.rows();
    for (const T& record : batch) {
      rows->emplace_back();
      format_(record, &rows->back());
    }
    return Status::Ok();
  }
  Result<std::vector<DatabaseCommittable>> PrepareCommit(int64_t checkpoint_id) override {
    return core_.PrepareCommit(checkpoint_id);
  }

 private:
  DatabaseSinkWriterCore core_;
  RowFormat<T> format_;
};

// Appends `row` as one line: its values joined by tabs, then '\n' (the sink's reference output,
// and how a table's rows are judged against it).
void AppendRowLine(const std::vector<std::string>& row, std::string* out);

// The database sink for records of type T, each committed as the row `format` makes. Its
// reference output (what the reference evaluator compares) is each row's values joined by tabs,
// one line per row.
template <typename T>
Sink<T> MakeDatabaseSink(DatabaseSinkSpec spec, RowFormat<T> format) {
  return MakeTwoPhaseCommittingSink<T, DatabaseCommittable>(
      [spec, format](const TaskContext& ctx) {
        return std::make_unique<DatabaseSinkWriter<T>>(ctx, spec, format);
      },
      [spec](const TaskContext& ctx) { return std::make_unique<DatabaseCommitter>(ctx, spec); },
      [format](const T& record, std::string* committed) {
        std::vector<std::string> row;
        format(record, &row);
        AppendRowLine(row, committed);
      });
}

}  // namespace sluice
