#include "engine/config/restart_strategy_config.h"

#include <charconv>
#include <string>

#include "engine/base/assert.h"
#include "engine/config/core_options.h"

namespace sluice {
namespace {

std::string Ms(int64_t ms) { return std::to_string(ms) + "ms"; }

std::string Decimal(double value) {
  char buffer[64];
  const auto [end, error] =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  SLUICE_ASSERT(error == std::errc(), "64 bytes hold a multiplier or a jitter factor");
  return std::string(buffer, end);
}

}  // namespace

std::string_view RestartStrategyName(RestartStrategyKind kind) {
  switch (kind) {
    case RestartStrategyKind::kNone:
      return "none";
    case RestartStrategyKind::kFixedDelay:
      return "fixed-delay";
    case RestartStrategyKind::kFailureRate:
      return "failure-rate";
    case RestartStrategyKind::kExponentialDelay:
      return "exponential-delay";
  }
  return "none";
}

RestartStrategyConfig RestartStrategyConfig::FixedDelay(int attempts, int64_t delay_ms) {
  RestartStrategyConfig config;
  config.kind = RestartStrategyKind::kFixedDelay;
  config.attempts = attempts;
  config.delay_ms = delay_ms;
  return config;
}

Result<RestartStrategyConfig> RestartStrategyConfigFrom(const Configuration& settings) {
  for (const ConfigOption& option : CoreOptions()) {
    auto it = settings.entries().find(option.key);
    if (it != settings.entries().end() && option.key.rfind("restart-strategy.", 0) == 0) {
      RETURN_IF_ERROR(CheckValue(option, it->second));
    }
  }
  RestartStrategyConfig config;
  const std::string type = settings.GetString(RestartStrategyType());
  if (type == "none" || type == "off" || type == "disable") {
    config.kind = RestartStrategyKind::kNone;
  } else if (type == "fixed-delay" || type == "fixeddelay") {
    config.kind = RestartStrategyKind::kFixedDelay;
  } else if (type == "failure-rate" || type == "failurerate") {
    config.kind = RestartStrategyKind::kFailureRate;
  } else {
    SLUICE_ASSERT(type == "exponential-delay" || type == "exponentialdelay",
                  "restart-strategy.type was checked against its choices");
    config.kind = RestartStrategyKind::kExponentialDelay;
  }
  switch (config.kind) {
    case RestartStrategyKind::kNone:
      break;
    case RestartStrategyKind::kFixedDelay:
      config.attempts = static_cast<int>(settings.GetInt(RestartFixedDelayAttempts()));
      config.delay_ms = settings.GetDurationMs(RestartFixedDelayDelay());
      break;
    case RestartStrategyKind::kFailureRate:
      config.max_failures_per_interval =
          static_cast<int>(settings.GetInt(RestartFailureRateMaxFailuresPerInterval()));
      config.failure_rate_interval_ms = settings.GetDurationMs(RestartFailureRateInterval());
      config.delay_ms = settings.GetDurationMs(RestartFailureRateDelay());
      break;
    case RestartStrategyKind::kExponentialDelay:
      config.initial_backoff_ms = settings.GetDurationMs(RestartExponentialDelayInitialBackoff());
      config.max_backoff_ms = settings.GetDurationMs(RestartExponentialDelayMaxBackoff());
      config.backoff_multiplier = settings.GetDouble(RestartExponentialDelayBackoffMultiplier());
      config.reset_backoff_threshold_ms =
          settings.GetDurationMs(RestartExponentialDelayResetBackoffThreshold());
      config.jitter_factor = settings.GetDouble(RestartExponentialDelayJitterFactor());
      config.attempts_before_reset_backoff =
          static_cast<int>(settings.GetInt(RestartExponentialDelayAttemptsBeforeResetBackoff()));
      if (config.initial_backoff_ms > config.max_backoff_ms) {
        return InvalidArgumentError(
            "configuration keys 'restart-strategy.exponential-delay.initial-backoff' (" +
            Ms(config.initial_backoff_ms) + ") and '.max-backoff' (" + Ms(config.max_backoff_ms) +
            "): the initial backoff cannot exceed the maximum");
      }
      if (!(config.backoff_multiplier > 1.0)) {
        return InvalidArgumentError(
            "configuration key 'restart-strategy.exponential-delay.backoff-multiplier': " +
            Decimal(config.backoff_multiplier) + " is not greater than 1");
      }
      break;
  }
  return config;
}

Configuration RestartStrategySettings(const RestartStrategyConfig& config) {
  Configuration settings;
  settings.Set(RestartStrategyType().key, std::string(RestartStrategyName(config.kind)));
  switch (config.kind) {
    case RestartStrategyKind::kNone:
      break;
    case RestartStrategyKind::kFixedDelay:
      settings.Set(RestartFixedDelayAttempts().key, std::to_string(config.attempts));
      settings.Set(RestartFixedDelayDelay().key, Ms(config.delay_ms));
      break;
    case RestartStrategyKind::kFailureRate:
      settings.Set(RestartFailureRateMaxFailuresPerInterval().key,
                   std::to_string(config.max_failures_per_interval));
      settings.Set(RestartFailureRateInterval().key, Ms(config.failure_rate_interval_ms));
      settings.Set(RestartFailureRateDelay().key, Ms(config.delay_ms));
      break;
    case RestartStrategyKind::kExponentialDelay:
      settings.Set(RestartExponentialDelayInitialBackoff().key, Ms(config.initial_backoff_ms));
      settings.Set(RestartExponentialDelayMaxBackoff().key, Ms(config.max_backoff_ms));
      settings.Set(RestartExponentialDelayBackoffMultiplier().key,
                   Decimal(config.backoff_multiplier));
      settings.Set(RestartExponentialDelayResetBackoffThreshold().key,
                   Ms(config.reset_backoff_threshold_ms));
      settings.Set(RestartExponentialDelayJitterFactor().key, Decimal(config.jitter_factor));
      settings.Set(RestartExponentialDelayAttemptsBeforeResetBackoff().key,
                   std::to_string(config.attempts_before_reset_backoff));
      break;
  }
  return settings;
}

}  // namespace sluice
