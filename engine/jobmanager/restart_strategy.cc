#include "engine/jobmanager/restart_strategy.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/base/assert.h"

namespace sluice {

RestartBackoffTimeStrategy::RestartBackoffTimeStrategy(
    RestartStrategyConfig config, Random* jitter,
    std::function<bool(std::string_view bug)> bug_planted)
    : config_(std::move(config)), jitter_(jitter), bug_planted_(std::move(bug_planted)) {
  SLUICE_ASSERT(config_.attempts >= 0 && config_.delay_ms >= 0, "fixed delays are not negative");
  SLUICE_ASSERT(config_.max_failures_per_interval >= 1 && config_.failure_rate_interval_ms >= 1,
                "a failure rate allows a failure per positive interval");
  SLUICE_ASSERT(config_.initial_backoff_ms >= 1 &&
                    config_.initial_backoff_ms <= config_.max_backoff_ms &&
                    config_.backoff_multiplier > 1.0 && config_.jitter_factor >= 0.0 &&
                    config_.jitter_factor <= 1.0 && config_.attempts_before_reset_backoff >= 1,
                "RestartStrategyConfigFrom checked the exponential delay's settings");
  SLUICE_ASSERT(jitter_ != nullptr || config_.kind != RestartStrategyKind::kExponentialDelay ||
                    config_.jitter_factor == 0.0,
                "an exponential delay with jitter has a generator to draw it from");
}

RestartBackoffTimeStrategy::Decision RestartBackoffTimeStrategy::OnFailure(int64_t now_ms) {
  switch (config_.kind) {
    case RestartStrategyKind::kNone:
      return Decision{false, 0};
    case RestartStrategyKind::kFixedDelay:
      if (restarts_ >= config_.attempts) return Decision{false, 0};
      ++restarts_;
      return Decision{true, config_.delay_ms};
    case RestartStrategyKind::kFailureRate: {
      failure_times_.push_back(now_ms);
      // Planted bug failure-rate-never-forgets: every failure of the job's life counts, not
      // only those within the interval.
      const bool forgets = !(bug_planted_ && bug_planted_("failure-rate-never-forgets"));
      const size_t kept = static_cast<size_t>(config_.max_failures_per_interval) + 1;
      if (forgets && failure_times_.size() > kept) failure_times_.pop_front();
      const bool within_rate =
          failure_times_.size() < kept ||
          (forgets && now_ms - failure_times_.front() > config_.failure_rate_interval_ms);
      return Decision{within_rate, within_rate ? config_.delay_ms : 0};
    }
    case RestartStrategyKind::kExponentialDelay: {
      if (failed_before_ && now_ms - next_restart_ms_ >= config_.reset_backoff_threshold_ms) {
        exponential_attempt_ = 0;
      }
      failed_before_ = true;
      if (exponential_attempt_ >= config_.attempts_before_reset_backoff) {
        return Decision{false, 0};
      }
      // Flink's order: the jitter is a fraction of the unclamped backoff, then the sum is
      // clamped (capped at 10^18 ms so that the arithmetic cannot overflow).
      constexpr double kBackoffCapMs = 1e18;
      const int64_t base = static_cast<int64_t>(
          std::min(static_cast<double>(config_.initial_backoff_ms) *
                       std::pow(config_.backoff_multiplier, exponential_attempt_),
                   kBackoffCapMs));
      const int64_t offset =
          static_cast<int64_t>(static_cast<double>(base) * config_.jitter_factor);
      const int64_t jitter = offset == 0 ? 0 : jitter_->UniformRange(-offset, offset);
      const int64_t delay =
          std::clamp(base + jitter, config_.initial_backoff_ms, config_.max_backoff_ms);
      next_restart_ms_ = now_ms + delay;
      ++exponential_attempt_;
      return Decision{true, delay};
    }
  }
  return Decision{false, 0};
}

}  // namespace sluice
