// The seam's relational database: what an exactly-once sink needs of an external database
// (PostgreSQL). A transaction that inserts rows is prepared for a two-phase commit under a global
// id (PostgreSQL's PREPARE TRANSACTION, https://www.postgresql.org/docs/15/sql-prepare-transaction.html),
// then committed or rolled back by that id from any connection, even after the process that
// prepared it crashed; the prepared transactions can be listed (pg_prepared_xacts); and whether a
// transaction committed can be asked: each one also inserts its id into the commit log table
// (kCommitLogTable), so a commit whose acknowledgement was lost is told from one that never
// happened (PostgreSQL forgets a prepared transaction once it is committed or rolled back).
//
// Implementations: PostgreSQL through libpq on real hosts (engine/runtime/real/postgres_database.h).
//
// Errors are typed from the server's SQLSTATE, never from its message text:
//   kUnavailable        the server cannot be reached or the connection broke: connect again;
//   kNotFound           no prepared transaction has that global id;
//   kAlreadyExists      a transaction is already prepared (or was committed) under that id;
//   kResourceExhausted  no more prepared transactions (max_prepared_transactions, 0 by default);
//   kInvalidArgument    the server refused a table, a value, an id or the credentials.
// A connection is used by one fiber at a time; every call may suspend (libpq's block the host's
// thread, as the POSIX file system's calls do).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/base/status.h"

namespace sluice {

// The commit log: one row (gid text primary key) per transaction committed through
// DatabaseConnection::PrepareTransaction. Created by Databases::Connect if missing.
inline constexpr char kCommitLogTable[] = "sluice_committed_transactions";

// PostgreSQL's limit on a global transaction id (bytes).
inline constexpr size_t kGlobalTransactionIdMaxBytes = 200;

class DatabaseConnection {
 public:
  virtual ~DatabaseConnection() = default;
  // In one transaction: inserts `rows` into `table` (each row its values as text in the table's
  // column order: the server converts them to the columns' types) and `gid` into the commit log,
  // then prepares it as `gid` (at most kGlobalTransactionIdMaxBytes). On any error the
  // transaction is rolled back and nothing is prepared.
  virtual Status PrepareTransaction(const std::string& gid, const std::string& table,
                                    const std::vector<std::vector<std::string>>& rows) = 0;
  // COMMIT PREPARED / ROLLBACK PREPARED of transaction `gid`; kNotFound if it is not prepared.
  virtual Status CommitPrepared(const std::string& gid) = 0;
  virtual Status RollbackPrepared(const std::string& gid) = 0;
  // The global ids of this database's prepared transactions that begin with `prefix`, sorted.
  virtual Result<std::vector<std::string>> ListPrepared(const std::string& prefix) = 0;
  // Whether transaction `gid` committed (its commit log row exists).
  virtual Result<bool> Committed(const std::string& gid) = 0;
  // Every committed row of `table`, its values as text, in no particular order (for checks and
  // tools that judge a job's output; a job never reads through here).
  virtual Result<std::vector<std::vector<std::string>>> ReadTable(const std::string& table) = 0;
};

class Databases {
 public:
  virtual ~Databases() = default;
  // Connects to the database `url` names (libpq's connection URI or key=value string, e.g.
  // "postgresql://sluice@db.example.org:5432/results?passfile=/etc/sluice/pgpass") and creates
  // the commit log table if it is missing. kUnavailable if the server cannot be reached,
  // kInvalidArgument for a malformed url or refused credentials.
  virtual Result<std::unique_ptr<DatabaseConnection>> Connect(const std::string& url) = 0;
};

}  // namespace sluice
