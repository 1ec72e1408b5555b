// Invariants checked from the hosts' events while a simulated run goes on (the end-of-run checks,
// exactly once and the consistent cut, are in exactly_once.h). Each records its first breach.
// Observers run inside host fibers: pure bookkeeping, never suspending.
#pragma once

#include "engine/config/restart_strategy_config.h"
#include "engine/runtime/event_log.h"
#include "scenarios/scenario.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::scenarios {

// Fencing: a TaskManager never deploys a task of a JobManager epoch older than the newest epoch
// it has registered with (a deposed leader's commands are dropped).
class FencingChecker {
 public:
  // A "taskmanager.registered" or "task.deployed" event (its "epoch" field).
  void Observe(const std::string& host, std::string_view category, std::string_view message,
               EventFields fields);
  const std::string& violation() const { return violation_; }

 private:
  std::map<std::string, int64_t> newest_;  // TaskManager → newest epoch registered with
  std::string violation_;
};

// The fall-back rule (Flink's notifyCheckpointComplete contract: a lower checkpoint is never
// committed after a higher one): no deployment restores a checkpoint older than one whose
// transactions a sink has already committed; the replay would commit that output again.
// Deployments of a deposed leader (an older epoch than one already deployed) are left to the
// fencing invariant: TaskManagers drop them.
class FallBackChecker {
 public:
  // A "sink.committed" (its "checkpoint" field) or "job.deployed" event (its "attempt" and
  // "restored_checkpoint" fields).
  void Observe(std::string_view category, std::string_view message, EventFields fields);
  const std::string& violation() const { return violation_; }

 private:
  int64_t highest_epoch_ = 0;      // of the newest leader that deployed
  int64_t highest_committed_ = 0;  // checkpoint of the newest transaction any sink committed
  std::string committed_name_;     // that transaction
  std::string violation_;
};

// The restart strategy: every failure the JobManager judged ("job.failover") got the decision
// and delay the configured strategy gives (Flink's semantics, modelled here independently of
// engine/jobmanager/restart_strategy.h, from the decisions' own times by the JobManager's
// clock; each leadership starts a fresh strategy), and the restart it announced deployed no
// earlier than its delay ("job.deployed"; regions that failed one after another are deployed
// together, after the latest delay; a failure the strategy gave up on cancels the restarts
// pending).
class RestartStrategyChecker {
 public:
  explicit RestartStrategyChecker(RestartStrategyConfig config) : config_(config) {}
  // A "job.failover", "job.deployed" or "task.restored" event at simulated time `at_ms`.
  void Observe(std::string_view category, std::string_view message, EventFields fields,
               int64_t at_ms);
  const std::string& violation() const { return violation_; }
  // Whether the strategy gave up when the model says it must: the job may then end FAILED.
  bool gave_up() const { return gave_up_; }
  const std::vector<FailoverRecord>& failovers() const { return failovers_; }

 private:
  void Judge(const FailoverRecord& record, int64_t now_ms);

  struct Leadership {
    std::vector<int64_t> failure_ms;  // every judged failure's time (JobManager clock)
    int exponential_attempt = 0;      // exponential-delay: restarts since the last reset
    int64_t next_restart_ms = 0;      // ... and when the last one was due
    int64_t pending_restart_ms = -1;  // a restart announced and not yet deployed: due then
    size_t pending_record = 0;        // ... and its index in failovers_
  };
  RestartStrategyConfig config_;
  std::map<int64_t, Leadership> leaderships_;  // by epoch
  std::map<int64_t, size_t> redeployed_;       // attempt → the failover record it redeployed
  std::vector<FailoverRecord> failovers_;
  bool gave_up_ = false;
  std::string violation_;
};

}  // namespace sluice::scenarios
