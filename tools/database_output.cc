#include "tools/database_output.h"

#include <fmt/core.h>

#include "engine/connectors/database_sink.h"
#include "engine/jobs/wordcount.h"
#include "engine/runtime/real/postgres_database.h"

namespace sluice::tools {

Result<std::optional<std::map<std::string, std::string>>> ReadDatabaseOutput(
    const Configuration& settings) {
  using Output = std::optional<std::map<std::string, std::string>>;
  if (settings.entries().count(SinkPostgresUrl().key) == 0) return Output();
  const std::string url = settings.GetString(SinkPostgresUrl());
  if (url.empty()) return Output();
  const std::string table = settings.GetString(SinkPostgresTable());
  real::PostgresDatabases databases;
  ASSIGN_OR_RETURN(auto db, databases.Connect(url));
  ASSIGN_OR_RETURN(const auto prepared, db->ListPrepared("sluice/" + table + "/"));
  if (!prepared.empty()) {
    return FailedPreconditionError(fmt::format(
        "{} transaction(s) of table {} left prepared (the first: {})", prepared.size(), table,
        prepared.front()));
  }
  ASSIGN_OR_RETURN(const auto rows, db->ReadTable(table));
  std::map<std::string, std::string> output;
  std::string& text = output[table];
  for (const auto& row : rows) AppendRowLine(row, &text);
  return Output(std::move(output));
}

}  // namespace sluice::tools
