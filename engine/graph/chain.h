// The operator chain: the operators of one task, called directly one after another (Flink's
// operator chaining). Records move in batches: each link consumes a batch and hands its output
// batch to the next link with one virtual call per batch, never per record. Batches are reused
// buffers (Collector keeps its elements, so strings keep their capacity between batches).
//
// Lifecycle of a link, driven by its task's fiber (all calls may suspend unless stated):
//   Open(restored sections) → Consume(batch)* and ProcessWatermark(w)* in stream order, with
//   Snapshot(n) at each aligned barrier n and NotifyCheckpointComplete(n) when the coordinator
//   completes n → EndOfInput() → destroyed.
//
// Event time (Flink's): a record may carry an event timestamp (ms since the epoch; kNoTimestamp
// if none was assigned), travelling with it in the batch. A watermark w says that no record with
// a timestamp <= w should follow; an operator forwards a watermark after acting on it (firing
// event-time timers), and a task feeds its chain the minimum over its input channels
// (per input of a two-input operator) that are not idle. kMaxWatermark follows the last record of
// a finite input.
#pragma once

#include <climits>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/partition/state_assignment.h"

namespace sluice {

inline constexpr int64_t kNoTimestamp = INT64_MIN;
inline constexpr int64_t kMinWatermark = INT64_MIN;
inline constexpr int64_t kMaxWatermark = INT64_MAX;

class ChainLink {
 public:
  virtual ~ChainLink() = default;
  // `restored` holds the sections this link's operator wrote in Snapshot for the checkpoint being
  // restored, at the old subtasks OldSubtasksToRestore(redistribution(), ...) names, in old
  // subtask order (engine/partition/state_assignment.h): at an unchanged parallelism one, this
  // subtask's own; after a rescale none, one or several, which the link merges as its
  // redistribution mode says. Empty on a fresh start.
  virtual Status Open(std::span<const std::string_view> restored) { return Status::Ok(); }
  // How the link's state splits when the job restores at another parallelism. The default suits
  // stateless links and lists of independent pieces; keyed links answer kKeyGroups, broadcast
  // state kBroadcast. Never suspends.
  virtual StateRedistribution redistribution() const {
    return StateRedistribution::kSplitDistribute;
  }
  // Appends the link's state as of the barrier to *out (after passing the barrier downstream
  // within the chain is the task's job). A two-phase-commit sink pre-commits here.
  virtual Status Snapshot(int64_t checkpoint_id, std::string* out) { return Status::Ok(); }
  virtual Status NotifyCheckpointComplete(int64_t checkpoint_id) { return Status::Ok(); }
  // No more input will come (the final barrier has been handled).
  virtual Status EndOfInput() { return Status::Ok(); }
  // The buffer timeout has passed (Flink's execution.buffer-timeout): send whatever is buffered,
  // so that a slow stream's records do not wait for a full buffer or the next barrier.
  virtual Status FlushBuffers() { return Status::Ok(); }
  // The input's watermark advanced to `watermark_ms`: act on it, then forward it downstream.
  // Every link that has a downstream must forward (the default suits sinks).
  virtual Status ProcessWatermark(int64_t watermark_ms) { return Status::Ok(); }
  // The input turned idle (`idle`: Flink's WatermarkStatus.IDLE; no records or watermarks will
  // come for a while, so downstream must not wait for its watermark) or active again. Every link
  // that forwards watermarks forwards this too, in order with them; a two-input operator
  // combines its inputs' (engine/graph/watermark_valve.h). The default suits sinks.
  virtual Status ProcessWatermarkStatus(bool idle) { return Status::Ok(); }
  // Processing-time timers: when the link next needs OnProcessingTime (ms on the host clock;
  // INT64_MAX for never), and the call itself. Never suspends (the former).
  virtual int64_t NextProcessingTimeMs() const { return INT64_MAX; }
  virtual Status OnProcessingTime(int64_t now_ms) { return Status::Ok(); }
  // The consumer of the operator's input `index` (0, or 1 for a two-input operator's second
  // input): a BatchConsumer of that input's record type, or null if the link has no such input.
  virtual ChainLink* Input(int index) { return index == 0 ? this : nullptr; }
};

// Opens `link` with one restored section (its own, at an unchanged parallelism; empty: none).
inline Status OpenLink(ChainLink& link, std::string_view restored) {
  return link.Open(std::span<const std::string_view>(&restored, 1));
}

// A two-input operator's Input(index): its first or second input port, null for any other.
inline ChainLink* InputPort(int index, ChainLink* first, ChainLink* second) {
  return index == 0 ? first : index == 1 ? second : nullptr;
}

template <typename T>
class BatchConsumer : public ChainLink {
 public:
  // `timestamps` holds each record's event timestamp, or is empty if none has one.
  virtual Status Consume(std::span<const T> batch, std::span<const int64_t> timestamps) = 0;
};

// Collects an operator's output for one input batch. Elements are kept between batches so that
// their buffers are reused; Next() hands out the next slot to fill in place. Each element takes
// the timestamp set last (SetTimestamp; Flink's TimestampedCollector), so that an operator's
// output keeps its input's event time.
template <typename T>
class Collector {
 public:
  T& Next() {
    if (size_ == items_.size()) {
      items_.emplace_back();
      timestamps_.push_back(kNoTimestamp);
    }
    timestamps_[size_] = timestamp_;
    return items_[size_++];
  }
  void Emit(const T& value) { Next() = value; }
  // The timestamp of the elements that follow (kNoTimestamp: none): the current input record's.
  int64_t current_timestamp() const { return timestamp_; }
  void SetTimestamp(int64_t timestamp) {
    timestamp_ = timestamp;
    timestamped_ |= timestamp != kNoTimestamp;
  }
  std::span<const T> view() const { return std::span<const T>(items_.data(), size_); }
  // Each element's timestamp, or empty if none was set since Clear.
  std::span<const int64_t> timestamps() const {
    return timestamped_ ? std::span<const int64_t>(timestamps_.data(), size_)
                        : std::span<const int64_t>();
  }
  size_t size() const { return size_; }
  void Clear() {
    size_ = 0;
    timestamp_ = kNoTimestamp;
    timestamped_ = false;
  }

 private:
  std::vector<T> items_;
  std::vector<int64_t> timestamps_;
  size_t size_ = 0;
  int64_t timestamp_ = kNoTimestamp;
  bool timestamped_ = false;
};

// The timestamp of record i of a batch (kNoTimestamp if the batch has none).
inline int64_t TimestampAt(std::span<const int64_t> timestamps, size_t i) {
  return timestamps.empty() ? kNoTimestamp : timestamps[i];
}

}  // namespace sluice
