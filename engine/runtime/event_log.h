// EventLog: where host programs report what happened. Real hosts print it (spdlog); the simulator
// folds every event into the run's trace hash and counts events by category, which is how
// scenarios observe a run (checkpoints completed, restarts, job finished) without reaching into
// engine objects. Categories are dotted names ("checkpoint.completed"); messages must be
// deterministic (no pointers, no unordered iteration). Never suspends.
#pragma once

#include <string_view>

namespace sluice {

enum class Severity { kDebug, kInfo, kWarning, kError };

class EventLog {
 public:
  virtual ~EventLog() = default;
  virtual void Record(Severity severity, std::string_view category, std::string_view message) = 0;
  void Info(std::string_view category, std::string_view message) {
    Record(Severity::kInfo, category, message);
  }
  void Warn(std::string_view category, std::string_view message) {
    Record(Severity::kWarning, category, message);
  }
  void Error(std::string_view category, std::string_view message) {
    Record(Severity::kError, category, message);
  }
};

}  // namespace sluice
