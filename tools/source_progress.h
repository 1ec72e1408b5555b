// How many source records a running cluster has read, for the line `sluice cluster local` prints
// when it kills a TaskManager. Read from the TaskManager logs: SpdlogEventLog lines of category
// "source.progress" whose message holds "records=<n>" (the records the source subtask has read from
// the start of its partition) and names the subtask with "subtask=<i>" (or, failing that, the text
// before "records=" tells subtasks apart). Pure parsing plus file reads; never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::tools {

// The sum over source subtasks of the largest "records=" reported, or nullopt if no log has a
// "source.progress" event. Unreadable logs are skipped.
std::optional<int64_t> SourceRecordsFromLogs(const std::vector<std::string>& log_paths);

// Same, over log text already in memory (for tests).
std::optional<int64_t> SourceRecordsFromLogText(const std::vector<std::string_view>& logs);

// Lines in the files directly under `dir` (the committed output records so far); 0 if none.
int64_t CountLinesInFiles(const std::string& dir);

}  // namespace sluice::tools
