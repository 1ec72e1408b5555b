#include "scenarios/invariants.h"

#include <algorithm>
#include <climits>

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

}  // namespace sluice::scenarios
