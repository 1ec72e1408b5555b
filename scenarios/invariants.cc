#include "scenarios/invariants.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "engine/base/assert.h"
#include "engine/rpc/control.h"

namespace sluice::scenarios {
namespace {

// Field `name` of an event that must carry it.
int64_t Required(EventFields fields, std::string_view name) {
  const int64_t value = FieldValue(fields, name, INT64_MIN);
  SLUICE_ASSERT(value != INT64_MIN, "the events an invariant checks carry their typed fields");
  return value;
}

}  // namespace

void FencingChecker::Observe(const std::string& host, std::string_view category,
                             std::string_view message, EventFields fields) {
  if (category == "taskmanager.registered") {
    int64_t& newest = newest_[host];
    newest = std::max(newest, Required(fields, "epoch"));
  } else if (category == "task.deployed" && violation_.empty()) {
    const int64_t epoch = Required(fields, "epoch");
    auto newest = newest_.find(host);
    if (newest != newest_.end() && epoch < newest->second) {
      violation_ = host + " deployed task " + std::string(message) +
                   " after registering with epoch " + std::to_string(newest->second);
    }
  }
}

void FallBackChecker::Observe(std::string_view category, std::string_view message,
                              EventFields fields) {
  if (category == "sink.committed") {
    const int64_t checkpoint = Required(fields, "checkpoint");
    if (checkpoint > highest_committed_) {
      highest_committed_ = checkpoint;
      committed_name_ = std::string(message);
    }
  } else if (category == "job.deployed" && violation_.empty()) {
    // A deployment of an older epoch than one already seen is a deposed leader's: TaskManagers
    // drop it (the fencing invariant checks that they do).
    const int64_t epoch = Required(fields, "attempt") / kAttemptsPerEpoch;
    if (epoch < highest_epoch_) return;
    highest_epoch_ = epoch;
    const int64_t restored = Required(fields, "restored_checkpoint");
    if (restored >= 0 && restored < highest_committed_) {
      violation_ = "deployed " + std::string(message) + " after transaction " + committed_name_ +
                   " of checkpoint " + std::to_string(highest_committed_) + " was committed";
    }
  }
}

void RestartStrategyChecker::Observe(std::string_view category, std::string_view message,
                                     EventFields fields, int64_t at_ms) {
  if (category == "job.failover") {
    FailoverRecord record{.at_ms = at_ms,
                          .epoch = Required(fields, "epoch"),
                          .cause = std::string(message),
                          .restart = Required(fields, "restart") != 0,
                          .delay_ms = Required(fields, "delay_ms"),
                          .tasks = Required(fields, "tasks")};
    failovers_.push_back(record);
    if (violation_.empty()) Judge(record, Required(fields, "now_ms"));
  } else if (category == "task.restored") {
    auto record = redeployed_.find(Required(fields, "attempt"));
    if (record != redeployed_.end()) {
      failovers_[record->second].local_bytes += Required(fields, "local_bytes");
      failovers_[record->second].remote_bytes += Required(fields, "remote_bytes");
    }
  } else if (category == "job.deployed" && violation_.empty()) {
    Leadership& leadership = leaderships_[Required(fields, "attempt") / kAttemptsPerEpoch];
    const int64_t now_ms = Required(fields, "now_ms");
    if (leadership.pending_restart_ms >= 0) {
      failovers_[leadership.pending_record].moved = Required(fields, "moved");
      // A deployment gives each region it deploys an attempt of its own, numbered on.
      const int64_t first = Required(fields, "attempt");
      for (int64_t attempt = first; attempt < first + Required(fields, "attempts"); ++attempt) {
        redeployed_[attempt] = leadership.pending_record;
      }
      if (now_ms < leadership.pending_restart_ms) {
        violation_ = "deployed " + std::string(message) + " at " + std::to_string(now_ms) +
                     " ms (JobManager clock), before the restart delay ended at " +
                     std::to_string(leadership.pending_restart_ms) + " ms";
      }
    }
    leadership.pending_restart_ms = -1;
  }
}

void RestartStrategyChecker::Judge(const FailoverRecord& record, int64_t now_ms) {
  Leadership& leadership = leaderships_[record.epoch];
  leadership.failure_ms.push_back(now_ms);
  const size_t index = leadership.failure_ms.size() - 1;  // of this failure, in its leadership
  bool must_restart = false;
  int64_t delay_min = 0;
  int64_t delay_max = 0;
  std::string rule;
  switch (config_.kind) {
    case RestartStrategyKind::kNone:
      rule = "none never restarts";
      break;
    case RestartStrategyKind::kFixedDelay:
      must_restart = index < static_cast<size_t>(config_.attempts);
      delay_min = delay_max = config_.delay_ms;
      rule = "failure " + std::to_string(index + 1) + " of this leadership, " +
             std::to_string(config_.attempts) + " attempts";
      break;
    case RestartStrategyKind::kFailureRate: {
      int64_t within = 0;
      for (int64_t earlier : leadership.failure_ms) {
        if (now_ms - earlier <= config_.failure_rate_interval_ms) ++within;
      }
      must_restart = within <= config_.max_failures_per_interval;
      delay_min = delay_max = config_.delay_ms;
      rule = std::to_string(within) + " failure(s) within the last " +
             std::to_string(config_.failure_rate_interval_ms) + " ms, at most " +
             std::to_string(config_.max_failures_per_interval) + " restart";
      break;
    }
    case RestartStrategyKind::kExponentialDelay: {
      if (index > 0 &&
          now_ms - leadership.next_restart_ms >= config_.reset_backoff_threshold_ms) {
        leadership.exponential_attempt = 0;
      }
      const int attempt = leadership.exponential_attempt;
      must_restart = attempt < config_.attempts_before_reset_backoff;
      const double backoff = std::min(1e18, static_cast<double>(config_.initial_backoff_ms) *
                                                std::pow(config_.backoff_multiplier, attempt));
      const auto base = static_cast<int64_t>(backoff);
      const auto offset = static_cast<int64_t>(static_cast<double>(base) * config_.jitter_factor);
      delay_min = std::clamp(base - offset, config_.initial_backoff_ms, config_.max_backoff_ms);
      delay_max = std::clamp(base + offset, config_.initial_backoff_ms, config_.max_backoff_ms);
      rule = "restart " + std::to_string(attempt + 1) + " since the last reset, at most " +
             std::to_string(config_.attempts_before_reset_backoff);
      if (record.restart) {
        leadership.next_restart_ms = now_ms + record.delay_ms;
        ++leadership.exponential_attempt;
      }
      break;
    }
  }
  const std::string what = "failure at " + std::to_string(now_ms) + " ms (JobManager clock) of epoch " +
                           std::to_string(record.epoch) + " (" + record.cause + "): ";
  const std::string strategy(RestartStrategyName(config_.kind));
  if (record.restart != must_restart) {
    violation_ = what + (record.restart ? "restarted" : "gave up") + ", but " + strategy +
                 (must_restart ? " restarts" : " gives up") + " (" + rule + ")";
    return;
  }
  if (!record.restart) {
    gave_up_ = true;
    leadership.pending_restart_ms = -1;  // what follows is a final commit, not a restart
    return;
  }
  if (record.delay_ms < delay_min || record.delay_ms > delay_max) {
    violation_ = what + "restart delay " + std::to_string(record.delay_ms) + " ms, but " +
                 strategy + " waits " + std::to_string(delay_min) +
                 (delay_min == delay_max ? "" : ".." + std::to_string(delay_max)) + " ms";
    return;
  }
  // Regions failing one after another wait together, for the latest delay.
  leadership.pending_restart_ms = std::max(leadership.pending_restart_ms, now_ms + record.delay_ms);
  leadership.pending_record = failovers_.size() - 1;
}

}  // namespace sluice::scenarios
