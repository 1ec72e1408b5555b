#include "engine/runtime/real/spdlog_event_log.h"

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <utility>

namespace sluice::real {
namespace {

spdlog::level::level_enum ToSpdlogLevel(Severity severity) {
  switch (severity) {
    case Severity::kDebug:
      return spdlog::level::debug;
    case Severity::kInfo:
      return spdlog::level::info;
    case Severity::kWarning:
      return spdlog::level::warn;
    case Severity::kError:
      return spdlog::level::err;
  }
  return spdlog::level::err;
}

}  // namespace

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kDebug:
      return "debug";
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "unknown";
}

SpdlogEventLog::SpdlogEventLog(std::string host_name, bool verbose)
    : host_name_(std::move(host_name)) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  logger_ = std::make_shared<spdlog::logger>("sluice." + host_name_, std::move(sink));
  // The object's first key, the time, comes from the pattern; the message is the rest of it.
  logger_->set_pattern("{\"time\":\"%Y-%m-%dT%H:%M:%S.%eZ\",%v", spdlog::pattern_time_type::utc);
  logger_->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  // Warnings and errors reach stderr at once, even if the process dies right after.
  logger_->flush_on(spdlog::level::warn);
}

SpdlogEventLog::~SpdlogEventLog() { logger_->flush(); }

void SpdlogEventLog::Record(Severity severity, std::string_view category,
                            std::string_view message) {
  RecordWithFields(severity, category, message, {});
}

void SpdlogEventLog::RecordWithFields(Severity severity, std::string_view category,
                                      std::string_view message, EventFields fields) {
  const spdlog::level::level_enum level = ToSpdlogLevel(severity);
  if (!logger_->should_log(level)) return;
  nlohmann::ordered_json line;
  line["host"] = host_name_;
  line["level"] = SeverityName(severity);
  line["event"] = category;
  line["message"] = message;
  for (const EventField& field : fields) {
    const std::string name(field.name);
    if (line.contains(name)) continue;  // the first value of a name given twice
    if (field.text.empty()) {
      line[name] = field.value;
    } else {
      line[name] = field.text;
    }
  }
  const std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  logger_->log(level, "{}", std::string_view(text).substr(1));  // the pattern opened the object
}

}  // namespace sluice::real
