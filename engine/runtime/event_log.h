// EventLog: where host programs report what happened. Real hosts print it (spdlog); the simulator
// folds every event into the run's trace hash and counts events by category, which is how
// scenarios observe a run (checkpoints completed, restarts, job finished) without reaching into
// engine objects. Categories are dotted names ("checkpoint.completed"); messages must be
// deterministic (no pointers, no unordered iteration). Never suspends.
//
// An event may also carry typed fields ({"epoch", 3}, or text: {"job", 0, "wordcount"}): facts an
// observer needs without parsing the message (the simulator's invariant checkers and reactive
// nemeses) and the structured log's keys (real hosts print one JSON object per event, fields
// included). The text stays the event's whole description, and the trace hash covers only it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

enum class Severity { kDebug, kInfo, kWarning, kError };

struct EventField {
  std::string_view name;
  int64_t value = 0;
  std::string_view text = {};  // a text field when non-empty (value is then 0)
};
using EventFields = std::span<const EventField>;

// The value of field `name` in `fields`, or `missing` if it has none.
inline int64_t FieldValue(EventFields fields, std::string_view name, int64_t missing = -1) {
  for (const EventField& field : fields) {
    if (field.name == name) return field.value;
  }
  return missing;
}

class EventLog {
 public:
  virtual ~EventLog() = default;
  virtual void Record(Severity severity, std::string_view category, std::string_view message) = 0;
  // The event with typed fields; by default the fields are dropped.
  virtual void RecordWithFields(Severity severity, std::string_view category,
                                std::string_view message, EventFields fields) {
    Record(severity, category, message);
  }
  void Info(std::string_view category, std::string_view message) {
    Record(Severity::kInfo, category, message);
  }
  void Info(std::string_view category, std::string_view message,
            std::initializer_list<EventField> fields) {
    RecordWithFields(Severity::kInfo, category, message, EventFields(fields.begin(), fields.size()));
  }
  void Warn(std::string_view category, std::string_view message) {
    Record(Severity::kWarning, category, message);
  }
  void Error(std::string_view category, std::string_view message) {
    Record(Severity::kError, category, message);
  }
};

// An EventLog that adds fixed context fields (a task's job, chain, subtask, attempt and epoch) to
// every event recorded through it, after the event's own, and passes it on to `inner`. The
// context's text fields must outlive this object (they are views). Never suspends.
class ContextEventLog final : public EventLog {
 public:
  ContextEventLog(EventLog& inner, std::vector<EventField> context)
      : inner_(inner), context_(std::move(context)) {}
  void Record(Severity severity, std::string_view category, std::string_view message) override {
    inner_.RecordWithFields(severity, category, message, context_);
  }
  void RecordWithFields(Severity severity, std::string_view category, std::string_view message,
                        EventFields fields) override {
    std::vector<EventField> all(fields.begin(), fields.end());
    all.insert(all.end(), context_.begin(), context_.end());
    inner_.RecordWithFields(severity, category, message, all);
  }

 private:
  EventLog& inner_;
  std::vector<EventField> context_;
};

}  // namespace sluice
