// What `sluice cluster local` learns from the children's logs (SpdlogEventLog lines such as
// "[2024-05-01 12:00:00.123] taskmanager-1 info task.running: chain0[1]@a1"):
//  - how many source records the job has read: the event "source.position: chain0[1]@a0 lines=N"
//    that a source task logs at every checkpoint, N being the lines it has emitted from the start
//    of its partition ("source.progress ... records=N" is accepted too). The count therefore lags
//    the live position by up to one checkpoint interval;
//  - how many tasks a TaskManager runs: "task.running" events minus "task.finished"/"task.failed";
//  - which JobManager leads: the "jobmanager.elected: <id> epoch <E>" event with the highest epoch
//    in the JobManager logs (a leader that lost its lease is only replaced by a higher epoch).
// Pure parsing plus file reads; never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::tools {

// The sum over source subtasks of the largest count reported, or nullopt if no log has such an
// event. Unreadable logs are skipped.
std::optional<int64_t> SourceRecordsFromLogs(const std::vector<std::string>& log_paths);

// Same, over log text already in memory (for tests).
std::optional<int64_t> SourceRecordsFromLogText(const std::vector<std::string_view>& logs);

// Events of `category` (e.g. "job.restarting") in one log's text.
int CountEvents(std::string_view log, std::string_view category);

// Tasks that started and have neither finished nor failed, per the events in one log's text.
int RunningTasksInLog(std::string_view log);

// A JobManager leadership, as the "jobmanager.elected" event names it.
struct Election {
  std::string holder;  // the JobManager's candidate id
  int64_t epoch = 0;
};

// The election with the highest epoch in `logs` (the latest leader), or nullopt if none has one.
// Lines that are not "jobmanager.elected: <id> epoch <E>" are ignored.
std::optional<Election> LatestElectionInLogText(const std::vector<std::string_view>& logs);

// Same, over log files; unreadable logs are skipped.
std::optional<Election> LatestElectionInLogs(const std::vector<std::string>& log_paths);

// Lines in the files directly under `dir` (the committed output records so far); 0 if none.
int64_t CountLinesInFiles(const std::string& dir);

}  // namespace sluice::tools
