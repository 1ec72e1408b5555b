// RestartBackoffTimeStrategy: whether a failed job may restart, and after how long (Flink's
// RestartBackoffTimeStrategy and its four implementations: NoRestart, FixedDelay, FailureRate,
// ExponentialDelay as of FLIP-364). Pure: the caller passes the time, and the exponential delay
// draws its jitter from the generator the caller lends (the JobManager host's runtime PRNG, so a
// simulated run replays it; the other strategies never draw).
//
//   none               never restarts.
//   fixed-delay        restarts `attempts` times, each after `delay_ms`.
//   failure-rate       restarts after `delay_ms` while at most max_failures_per_interval failures
//                      (this one included) happened within the last failure_rate_interval_ms:
//                      Flink keeps the last max+1 failure times and restarts while the oldest of
//                      them is more than the interval ago.
//   exponential-delay  the n-th restart since the last reset (n = 0, 1, ...) waits
//                      initial × multiplier^n plus a jitter uniform in ±(jitter_factor × that),
//                      clamped to [initial, max]. A failure at least reset_backoff_threshold_ms
//                      after the previous restart was due resets n to 0. Restarts while
//                      n < attempts_before_reset_backoff (n counted before this failure).
// Failures while a restart is pending are the caller's to merge (the JobScheduler ignores them:
// nothing runs), as Flink merges them into one attempt.
// Thread/fiber safety: one owner. Never suspends.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string_view>

#include "engine/config/restart_strategy_config.h"
#include "engine/runtime/random.h"

namespace sluice {

class RestartBackoffTimeStrategy {
 public:
  struct Decision {
    bool restart = false;  // false: the strategy is exhausted, the job fails
    int64_t delay_ms = 0;  // before the restart (when `restart`)
  };

  // `jitter` (not owned; must outlive this) draws the exponential delay's jitter; it may be null
  // when that strategy's jitter-factor is 0 or another strategy runs. `bug_planted` answers
  // whether a planted bug is on (engine/runtime/fault_injection.h); null: none is.
  RestartBackoffTimeStrategy(RestartStrategyConfig config, Random* jitter,
                             std::function<bool(std::string_view bug)> bug_planted = nullptr);

  // A failure at `now_ms` (any monotonic milliseconds): records it and decides.
  Decision OnFailure(int64_t now_ms);

  const RestartStrategyConfig& config() const { return config_; }

 private:
  RestartStrategyConfig config_;
  Random* jitter_;
  std::function<bool(std::string_view bug)> bug_planted_;
  int restarts_ = 0;                   // fixed-delay: restarts so far
  std::deque<int64_t> failure_times_;  // failure-rate: the last max+1 failures' times (ms)
  int exponential_attempt_ = 0;        // exponential-delay: restarts since the last reset
  int64_t next_restart_ms_ = 0;        // exponential-delay: when the last restart was due
  bool failed_before_ = false;
};

}  // namespace sluice
