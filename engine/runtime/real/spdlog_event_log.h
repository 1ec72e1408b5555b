// SpdlogEventLog: the production EventLog. Writes one line per event to stderr through spdlog:
//   [2024-05-01 12:00:00.123] taskmanager-1 info checkpoint.completed: checkpoint 7 ...
// The time is the wall clock (for people reading logs; the engine's own time is Clock::NowNs).
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

 private:
  std::string host_name_;
  // shared_ptr: spdlog's API hands loggers out as shared_ptr; this one is never shared.
  std::shared_ptr<spdlog::logger> logger_;
};

// "debug", "info", "warning" or "error".
const char* SeverityName(Severity severity);

}  // namespace sluice::real
