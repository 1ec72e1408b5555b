// RestartStrategyConfig: the restart strategy a job's settings ask for (Flink's
// RestartStrategyOptions, read as RestartBackoffTimeStrategyFactoryLoader reads them), typed and
// checked as a whole. engine/jobmanager/restart_strategy.h runs it.
//
// Keys (engine/config/core_options.h; defaults as Flink's):
//   restart-strategy.type                                   none | fixed-delay | failure-rate |
//                                                           exponential-delay (default; Flink's
//                                                           aliases off, disable, fixeddelay,
//                                                           failurerate, exponentialdelay too)
//   restart-strategy.fixed-delay.attempts / .delay          1 / 1 s
//   restart-strategy.failure-rate.max-failures-per-interval 1
//   restart-strategy.failure-rate.failure-rate-interval     1 min
//   restart-strategy.failure-rate.delay                     1 s
//   restart-strategy.exponential-delay.initial-backoff      1 s
//   restart-strategy.exponential-delay.max-backoff          1 min
//   restart-strategy.exponential-delay.backoff-multiplier   1.5 (> 1)
//   restart-strategy.exponential-delay.reset-backoff-threshold  1 h
//   restart-strategy.exponential-delay.jitter-factor        0.1 (in [0, 1])
//   restart-strategy.exponential-delay.attempts-before-reset-backoff  2^31 - 1 (infinite)
// Thread safety: values; nothing here suspends.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "engine/base/status.h"
#include "engine/config/configuration.h"

namespace sluice {

enum class RestartStrategyKind { kNone, kFixedDelay, kFailureRate, kExponentialDelay };

// The Flink name of `kind` ("none", "fixed-delay", "failure-rate", "exponential-delay").
std::string_view RestartStrategyName(RestartStrategyKind kind);

struct RestartStrategyConfig {
  RestartStrategyKind kind = RestartStrategyKind::kExponentialDelay;
  // fixed-delay: restarts allowed before the job fails.
  int attempts = 1;
  // fixed-delay and failure-rate: the delay before each restart (ms).
  int64_t delay_ms = 1000;
  // failure-rate: a failure restarts the job while at most this many failures (it included)
  // fall within the last failure_rate_interval_ms.
  int max_failures_per_interval = 1;
  int64_t failure_rate_interval_ms = 60 * 1000;
  // exponential-delay: the n-th restart since the last reset waits
  // initial_backoff_ms × backoff_multiplier^(n-1) ± jitter_factor of that, within
  // [initial_backoff_ms, max_backoff_ms]; running reset_backoff_threshold_ms past a restart
  // without a failure resets n; more than attempts_before_reset_backoff restarts since the last
  // reset fail the job.
  int64_t initial_backoff_ms = 1000;
  int64_t max_backoff_ms = 60 * 1000;
  double backoff_multiplier = 1.5;
  int64_t reset_backoff_threshold_ms = 60 * 60 * 1000;
  double jitter_factor = 0.1;
  int attempts_before_reset_backoff = std::numeric_limits<int32_t>::max();

  bool operator==(const RestartStrategyConfig&) const = default;

  // The fixed-delay strategy with `attempts` restarts `delay_ms` apart.
  static RestartStrategyConfig FixedDelay(int attempts, int64_t delay_ms);
};

// The strategy `settings` asks for: the keys it sets over Flink's defaults. kInvalidArgument
// naming the keys if a value does not parse (see Configuration::Validate) or the values
// contradict each other (initial-backoff above max-backoff, a backoff-multiplier not above 1).
Result<RestartStrategyConfig> RestartStrategyConfigFrom(const Configuration& settings);

// `config` as settings (restart-strategy.type and the keys of its kind): what
// RestartStrategyConfigFrom reads back as `config`. A scenario's choice is given this way, so
// that -D keys override it one by one.
Configuration RestartStrategySettings(const RestartStrategyConfig& config);

}  // namespace sluice
