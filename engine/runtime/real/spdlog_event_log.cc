#include "engine/runtime/real/spdlog_event_log.h"

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
  logger_->set_pattern("[%Y-%m-%d %H:%M:%S.%e] %v");
  logger_->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  // Warnings and errors reach stderr at once, even if the process dies right after.
  logger_->flush_on(spdlog::level::warn);
}

SpdlogEventLog::~SpdlogEventLog() { logger_->flush(); }

void SpdlogEventLog::Record(Severity severity, std::string_view category,
                            std::string_view message) {
  const spdlog::level::level_enum level = ToSpdlogLevel(severity);
  if (!logger_->should_log(level)) return;
  logger_->log(level, "{} {} {}: {}", host_name_, SeverityName(severity), category, message);
}

}  // namespace sluice::real
