// The seam's Databases (engine/runtime/database.h) on real hosts: PostgreSQL through libpq
// (Debian's libpq 15). Rows go in with COPY ... FROM STDIN (text format) in the transaction that
// PREPARE TRANSACTION then prepares; the prepared transactions are read from pg_prepared_xacts.
// The server needs max_prepared_transactions above 0 (PostgreSQL's default is 0: then
// PrepareTransaction answers kResourceExhausted).
//
// Blocking: each call waits for the server on the calling thread (a real host's only thread, as
// the POSIX file system's calls do), so a slow server stalls the host's other fibers meanwhile.
// libpq reads its own environment (PGHOST, PGPORT, PGPASSFILE, ...) for what `url` leaves out.
#pragma once

#include <memory>
#include <string>

#include "engine/runtime/database.h"

namespace sluice::real {

class PostgresDatabases final : public Databases {
 public:
  Result<std::unique_ptr<DatabaseConnection>> Connect(const std::string& url) override;
};

}  // namespace sluice::real
