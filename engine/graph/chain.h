// The operator chain: the operators of one task, called directly one after another (Flink's
// operator chaining). Records move in batches: each link consumes a batch and hands its output
// batch to the next link with one virtual call per batch, never per record. Batches are reused
// buffers (Collector keeps its elements, so strings keep their capacity between batches).
//
// Lifecycle of a link, driven by its task's fiber (all calls may suspend unless stated):
//   Open(restored state) → Consume(batch)* with Snapshot(n) at each aligned barrier n and
//   NotifyCheckpointComplete(n) when the coordinator completes n → EndOfInput() → destroyed.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"

namespace sluice {

class ChainLink {
 public:
  virtual ~ChainLink() = default;
  // `restored` is the bytes this link wrote in Snapshot for the checkpoint being restored, or
  // empty on a fresh start.
  virtual Status Open(std::string_view restored) { return Status::Ok(); }
  // Appends the link's state as of the barrier to *out (after passing the barrier downstream
  // within the chain is the task's job). A two-phase-commit sink pre-commits here.
  virtual Status Snapshot(int64_t checkpoint_id, std::string* out) { return Status::Ok(); }
  virtual Status NotifyCheckpointComplete(int64_t checkpoint_id) { return Status::Ok(); }
  // No more input will come (the final barrier has been handled).
  virtual Status EndOfInput() { return Status::Ok(); }
  // The buffer timeout has passed (Flink's execution.buffer-timeout): send whatever is buffered,
  // so that a slow stream's records do not wait for a full buffer or the next barrier.
  virtual Status FlushBuffers() { return Status::Ok(); }
  // The consumer of the operator's input `index` (0, or 1 for a two-input operator's second
  // input): a BatchConsumer of that input's record type, or null if the link has no such input.
  virtual ChainLink* Input(int index) { return index == 0 ? this : nullptr; }
};

template <typename T>
class BatchConsumer : public ChainLink {
 public:
  virtual Status Consume(std::span<const T> batch) = 0;
};

// Collects an operator's output for one input batch. Elements are kept between batches so that
// their buffers are reused; Next() hands out the next slot to fill in place.
template <typename T>
class Collector {
 public:
  T& Next() {
    if (size_ == items_.size()) items_.emplace_back();
    return items_[size_++];
  }
  void Emit(const T& value) { Next() = value; }
  std::span<const T> view() const { return std::span<const T>(items_.data(), size_); }
  size_t size() const { return size_; }
  void Clear() { size_ = 0; }

 private:
  std::vector<T> items_;
  size_t size_ = 0;
};

}  // namespace sluice
