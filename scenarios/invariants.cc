#include "scenarios/invariants.h"

#include <algorithm>

#include "engine/rpc/control.h"

namespace sluice::scenarios {
namespace {

// The decimal number starting at `at` in `text`; -1 if no digit is there.
int64_t DigitsAt(std::string_view text, size_t at) {
  int64_t value = -1;
  for (size_t i = at; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    value = (value < 0 ? 0 : value * 10) + (text[i] - '0');
  }
  return value;
}

// The number after the first `prefix` in `text`; -1 if there is none.
int64_t NumberAfter(std::string_view text, std::string_view prefix) {
  const size_t at = text.find(prefix);
  return at == std::string_view::npos ? -1 : DigitsAt(text, at + prefix.size());
}

// The number after the last "epoch " in an event message; -1 if none.
int64_t EpochIn(std::string_view message) {
  const size_t at = message.rfind("epoch ");
  return at == std::string_view::npos ? -1 : DigitsAt(message, at + 6);
}

// The checkpoint of a sink transaction "part-<subtask>-<checkpoint>-a<attempt>"; -1 if malformed.
int64_t TransactionCheckpoint(std::string_view name) {
  const size_t subtask_end = name.find('-', 5);
  if (name.rfind("part-", 0) != 0 || subtask_end == std::string_view::npos) return -1;
  return NumberAfter(name.substr(subtask_end), "-");
}

}  // namespace

void FencingChecker::Observe(const std::string& host, std::string_view category,
                             std::string_view message) {
  if (category == "taskmanager.registered") {
    int64_t& newest = newest_[host];
    newest = std::max(newest, EpochIn(message));
  } else if (category == "task.deployed" && violation_.empty()) {
    const int64_t epoch = EpochIn(message);
    auto newest = newest_.find(host);
    if (newest != newest_.end() && epoch < newest->second) {
      violation_ = host + " deployed task " + std::string(message) +
                   " after registering with epoch " + std::to_string(newest->second);
    }
  }
}

void FallBackChecker::Observe(std::string_view category, std::string_view message) {
  if (category == "sink.committed") {
    const int64_t checkpoint = TransactionCheckpoint(message);
    if (checkpoint > highest_committed_) {
      highest_committed_ = checkpoint;
      committed_name_ = std::string(message);
    }
  } else if (category == "job.deployed" && violation_.empty()) {
    // "attempt <n> from checkpoint <c>". A deployment of an older epoch than one already seen is a
    // deposed leader's: TaskManagers drop it (the fencing invariant checks that they do).
    const int64_t epoch = NumberAfter(message, "attempt ") / kAttemptsPerEpoch;
    if (epoch < highest_epoch_) return;
    highest_epoch_ = epoch;
    const int64_t restored = NumberAfter(message, "from checkpoint ");
    if (restored >= 0 && restored < highest_committed_) {
      violation_ = "deployed " + std::string(message) + " after transaction " + committed_name_ +
                   " of checkpoint " + std::to_string(highest_committed_) + " was committed";
    }
  }
}

}  // namespace sluice::scenarios
