// SpdlogEventLog: the production EventLog. Writes one JSON object per event, one line each, to
// stderr through spdlog:
//   {"time":"2026-11-29T15:35:08.123Z","host":"taskmanager-1","level":"info",
//    "event":"task.restored","message":"chain1[0]@a1000002 from its local copy, 756061 bytes",
//    "local_bytes":756061,"remote_bytes":0,"job":"wordcount","chain":1,"subtask":0,
//    "attempt":1000002,"epoch":1}
// after "message" come the event's fields (EventField: numbers, or text), then the context its
// recorder adds (a task's job, chain, subtask, attempt and epoch; a JobMaster's job and epoch);
// a name given twice keeps its first value. Text is escaped as JSON (invalid UTF-8 replaced).
// The time is the wall clock in UTC (for people reading logs; the engine's own time is
// Clock::NowNs).
// Debug events are dropped unless `verbose`. Never suspends; the write to stderr blocks the thread
// briefly. Each instance owns its logger (nothing is registered in spdlog's global registry), so
// several runtimes in one process do not clash.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "engine/runtime/event_log.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace sluice::real {

class SpdlogEventLog final : public EventLog {
 public:
  SpdlogEventLog(std::string host_name, bool verbose);
  ~SpdlogEventLog() override;

  void Record(Severity severity, std::string_view category, std::string_view message) override;
  void RecordWithFields(Severity severity, std::string_view category, std::string_view message,
                        EventFields fields) override;

 private:
  std::string host_name_;
  // shared_ptr: spdlog's API hands loggers out as shared_ptr; this one is never shared.
  std::shared_ptr<spdlog::logger> logger_;
};

// "debug", "info", "warning" or "error".
const char* SeverityName(Severity severity);

}  // namespace sluice::real
