#include "engine/runtime/real/postgres_database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace sluice::real {
namespace {

struct ConnectionCloser {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ConnectionPtr = std::unique_ptr<PGconn, ConnectionCloser>;
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

std::string Trimmed(const char* text) {
  std::string out = text == nullptr ? "" : text;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// A failed command's Status from its SQLSTATE (PostgreSQL's Appendix A, "Error Codes"), or
// kUnavailable when the connection itself is gone.
Status StatusOf(PGconn* connection, const PGresult* result, const std::string& what) {
  const std::string message =
      what + ": " + Trimmed(result != nullptr ? PQresultErrorMessage(result)
                                              : PQerrorMessage(connection));
  if (PQstatus(connection) != CONNECTION_OK) return UnavailableError(message);
  const char* field = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string state = field == nullptr ? "" : field;
  if (state.empty() || state.rfind("08", 0) == 0 || state.rfind("57", 0) == 0) {
    return UnavailableError(message);  // no answer, a connection exception, an operator stop
  }
  if (state == "42704") return NotFoundError(message);  // undefined_object: no such gid
  // duplicate_object: the gid is in use; unique_violation: the commit log has it.
  if (state == "42710" || state == "23505") return AlreadyExistsError(message);
  // object_not_in_prerequisite_state: prepared transactions are disabled; out_of_memory: the
  // server's max_prepared_transactions are all in use.
  if (state == "55000" || state == "53200") return ResourceExhaustedError(message);
  return InvalidArgumentError(message);
}

class PostgresConnection final : public DatabaseConnection {
 public:
  explicit PostgresConnection(ConnectionPtr connection) : connection_(std::move(connection)) {}

  Status PrepareTransaction(const std::string& gid, const std::string& table,
                            const std::vector<std::vector<std::string>>& rows) override {
    if (gid.empty() || gid.size() > kGlobalTransactionIdMaxBytes) {
      return InvalidArgumentError("transaction id '" + gid + "': 1 to 200 bytes");
    }
    RETURN_IF_ERROR(Command("BEGIN", {}));
    Status status = Copy(table, rows);
    if (status.ok()) {
      status = Command("INSERT INTO " + std::string(kCommitLogTable) + " (gid) VALUES ($1)", {gid});
    }
    if (status.ok()) status = Command("PREPARE TRANSACTION " + Literal(gid), {});
    if (!status.ok() && PQstatus(conn()) == CONNECTION_OK &&
        PQtransactionStatus(conn()) != PQTRANS_IDLE) {
      (void)Command("ROLLBACK", {});  // best effort: a broken connection rolls back anyway
    }
    return status;
  }

  Status CommitPrepared(const std::string& gid) override {
    return Command("COMMIT PREPARED " + Literal(gid), {});
  }

  Status RollbackPrepared(const std::string& gid) override {
    return Command("ROLLBACK PREPARED " + Literal(gid), {});
  }

  Result<std::vector<std::string>> ListPrepared(const std::string& prefix) override {
    ASSIGN_OR_RETURN(ResultPtr result,
                     Query("SELECT gid FROM pg_prepared_xacts WHERE database = current_database() "
                           "AND starts_with(gid, $1)",
                           {prefix}));
    std::vector<std::string> gids;
    for (int row = 0; row < PQntuples(result.get()); ++row) {
      gids.emplace_back(PQgetvalue(result.get(), row, 0));
    }
    std::sort(gids.begin(), gids.end());  // bytewise, whatever the database's collation
    return gids;
  }

  Result<bool> Committed(const std::string& gid) override {
    ASSIGN_OR_RETURN(
        ResultPtr result,
        Query("SELECT 1 FROM " + std::string(kCommitLogTable) + " WHERE gid = $1", {gid}));
    return PQntuples(result.get()) > 0;
  }

  Result<std::vector<std::vector<std::string>>> ReadTable(const std::string& table) override {
    ASSIGN_OR_RETURN(ResultPtr result, Query("SELECT * FROM " + TableName(table), {}));
    std::vector<std::vector<std::string>> rows(PQntuples(result.get()));
    for (int row = 0; row < PQntuples(result.get()); ++row) {
      for (int column = 0; column < PQnfields(result.get()); ++column) {
        rows[row].emplace_back(PQgetvalue(result.get(), row, column));
      }
    }
    return rows;
  }

  Status CreateCommitLog() {
    const Status created = Command(
        "CREATE TABLE IF NOT EXISTS " + std::string(kCommitLogTable) + " (gid text PRIMARY KEY)",
        {});
    // Two processes creating it at once: one of them loses the race on the catalog's unique
    // index, and the table is there all the same.
    return created.code() == StatusCode::kAlreadyExists ? Status::Ok() : created;
  }

 private:
  PGconn* conn() const { return connection_.get(); }

  std::string Literal(const std::string& text) const {
    char* escaped = PQescapeLiteral(conn(), text.data(), text.size());
    if (escaped == nullptr) return "''";  // only on out of memory; the command then fails
    std::string out = escaped;
    PQfreemem(escaped);
    return out;
  }

  // A table name, each dot-separated part quoted as an identifier ("schema"."table").
  std::string TableName(const std::string& table) const {
    std::string out;
    size_t start = 0;
    for (;;) {
      const size_t dot = table.find('.', start);
      const std::string part = table.substr(start, dot == std::string::npos ? std::string::npos
                                                                             : dot - start);
      char* escaped = PQescapeIdentifier(conn(), part.data(), part.size());
      if (escaped == nullptr) return "\"\"";
      out += escaped;
      PQfreemem(escaped);
      if (dot == std::string::npos) return out;
      out += ".";
      start = dot + 1;
    }
  }

  // `sql` with text parameters $1.. = `params`; the result if it returned tuples.
  Result<ResultPtr> Query(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const std::string& param : params) values.push_back(param.c_str());
    ResultPtr result(PQexecParams(conn(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0));
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      return StatusOf(conn(), result.get(), sql);
    }
    return result;
  }

  Status Command(const std::string& sql, const std::vector<std::string>& params) {
    return Query(sql, params).status();
  }

  // The rows into `table` with COPY FROM STDIN in text format: values tab-separated, rows
  // newline-terminated, with backslash, tab, newline and carriage return escaped.
  Status Copy(const std::string& table, const std::vector<std::vector<std::string>>& rows) {
    if (rows.empty()) return Status::Ok();
    const std::string sql = "COPY " + TableName(table) + " FROM STDIN";
    ResultPtr started(PQexec(conn(), sql.c_str()));
    if (!started || PQresultStatus(started.get()) != PGRES_COPY_IN) {
      return StatusOf(conn(), started.get(), sql);
    }
    std::string data;
    for (const std::vector<std::string>& row : rows) {
      for (size_t i = 0; i < row.size(); ++i) {
        if (i > 0) data.push_back('\t');
        for (const char c : row[i]) {
          switch (c) {
            case '\\': data += "\\\\"; break;
            case '\t': data += "\\t"; break;
            case '\n': data += "\\n"; break;
            case '\r': data += "\\r"; break;
            default: data.push_back(c);
          }
        }
      }
      data.push_back('\n');
    }
    if (PQputCopyData(conn(), data.data(), static_cast<int>(data.size())) != 1 ||
        PQputCopyEnd(conn(), nullptr) != 1) {
      return StatusOf(conn(), nullptr, sql);
    }
    ResultPtr ended(PQgetResult(conn()));
    const Status status = !ended || PQresultStatus(ended.get()) != PGRES_COMMAND_OK
                              ? StatusOf(conn(), ended.get(), sql)
                              : Status::Ok();
    // Drain: COPY ends with one result, then null.
    while (ResultPtr(PQgetResult(conn()))) {
    }
    return status;
  }

  ConnectionPtr connection_;
};

}  // namespace

Result<std::unique_ptr<DatabaseConnection>> PostgresDatabases::Connect(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    const std::string why = Trimmed(error);
    PQfreemem(error);
    return InvalidArgumentError("database url '" + url + "': " + why);
  }
  PQconninfoFree(options);
  ConnectionPtr connection(PQconnectdb(url.c_str()));
  if (!connection) return UnavailableError("database url '" + url + "': libpq is out of memory");
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    const std::string why = "database url '" + url + "': " + Trimmed(PQerrorMessage(connection.get()));
    // Refused credentials are the caller's to fix; anything else may pass.
    if (PQconnectionNeedsPassword(connection.get()) || PQconnectionUsedPassword(connection.get())) {
      return InvalidArgumentError(why);
    }
    return UnavailableError(why);
  }
  // The server's notices (CREATE TABLE IF NOT EXISTS's "already exists, skipping") are not
  // errors; libpq would print them to stderr.
  PQsetNoticeProcessor(connection.get(), [](void*, const char*) {}, nullptr);
  auto opened = std::make_unique<PostgresConnection>(std::move(connection));
  RETURN_IF_ERROR(opened->CreateCommitLog());
  return std::unique_ptr<DatabaseConnection>(std::move(opened));
}

}  // namespace sluice::real
