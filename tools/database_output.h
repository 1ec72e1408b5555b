// A run's committed output when word count commits into a database (its sink.postgres.url):
// the table's rows read through libpq (engine/runtime/real/postgres_database.h), as the lines the
// file sink would have committed, so that the same judge (tools/exactly_once.h) checks them.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "engine/base/status.h"
#include "engine/config/configuration.h"

namespace sluice::tools {

// nullopt when `settings` (a job's effective settings) name no database; else the rows of
// sink.postgres.table as one entry, "rows" -> "value<TAB>value\n" per row. The database's errors
// (kUnavailable, kInvalidArgument naming the url or table); kFailedPrecondition naming them if
// the sink left transactions prepared (a finished run leaves none).
Result<std::optional<std::map<std::string, std::string>>> ReadDatabaseOutput(
    const Configuration& settings);

}  // namespace sluice::tools
