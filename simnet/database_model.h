// The simulator's PostgreSQL: a model host behind the seam's Databases (engine/runtime/database.h)
// with the semantics the exactly-once database sink relies on, checked against a real server by
// the same test (engine/runtime/real/postgres_database_test.cc runs the libpq implementation;
// simnet/database_model_test.cc runs these checks on the model). It runs as its own host program,
// so the nemesis crashes it, cuts it off and fills its disk like any other host.
//
// State, durable on the host's disk before any answer (as PostgreSQL's WAL and two-phase state
// files are): prepared/<hex of gid> holds a prepared transaction (its table and rows), and
// committed/<hex of gid> a committed one (written first, then the prepared file removed: the
// commit point is that write, and a start-up removes prepared files whose commit is there).
// A table's rows are those of its committed transactions. Requests are served one at a time.
// Not modelled: column types (a row's values are kept as text; only its width is checked), other
// SQL, concurrent transactions' locks.
//
// Wire protocol (frames from engine/rpc/frame.h, one request in flight per connection):
//   request  = [u8 op][string gid][op-specific fields]
//   response = [u8 status code][string message][op-specific payload]
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/runtime/database.h"
#include "engine/runtime/host.h"

namespace sluice::sim {

class SimDisk;

struct DatabaseModelConfig {
  uint16_t port = 5432;  // PostgreSQL's
  std::string root = "postgres";  // its directory on the host's file system
  // The tables clients may insert into, by name, with their number of columns (a row of another
  // width is refused, as PostgreSQL refuses it; an unknown table too).
  std::map<std::string, int> tables;
  int max_prepared_transactions = 16;
};

// Host program: serves until cancelled. Returns an error only if it cannot listen.
Status RunDatabaseModel(Host& host, const DatabaseModelConfig& config);

// The seam's Databases for a simulated host: connections to a database model over `network`.
// Connect reads the host and port of a libpq URI (postgresql://[user@]HOST[:PORT][/db][?...];
// port 5432 if none) and nothing else of it. A broken connection answers kUnavailable (its
// request may or may not have been carried out, as with a real server).
class ModelDatabases final : public Databases {
 public:
  explicit ModelDatabases(Network& network) : network_(network) {}
  Result<std::unique_ptr<DatabaseConnection>> Connect(const std::string& url) override;

 private:
  Network& network_;
};

// The rows of `table` committed on a database model whose root directory is `root` on `disk`
// (read directly, for checks after a run), in commit-file name order.
std::vector<std::vector<std::string>> CommittedRows(SimDisk& disk, const std::string& root,
                                                    const std::string& table);

}  // namespace sluice::sim
