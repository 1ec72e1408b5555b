// Invariants checked from the hosts' events while a simulated run goes on (the end-of-run checks,
// exactly once and the consistent cut, are in exactly_once.h). Each records its first breach.
// Observers run inside host fibers: pure bookkeeping, never suspending.
#pragma once

#include "engine/runtime/event_log.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

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

}  // namespace sluice::scenarios
