// Flink's DiscardingSink: accepts every record and keeps none, for benchmarks that measure a
// job without the cost of its output. It declares no reference semantics, so the simulator
// refuses to judge a job that uses it (a run would commit nothing to compare). Never suspends.
#pragma once

#include <memory>
#include <span>

#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"

namespace sluice {

namespace internal {

template <typename T>
class DiscardingSinkLink final : public BatchConsumer<T> {
 public:
  Status Consume(std::span<const T> batch, std::span<const int64_t>) override {
    records_ += static_cast<int64_t>(batch.size());
    return Status::Ok();
  }
  Status ProcessWatermark(int64_t) override { return Status::Ok(); }

 private:
  int64_t records_ = 0;  // records discarded, for a debugger
};

}  // namespace internal

template <typename T>
Sink<T> DiscardingSink() {
  Sink<T> sink;
  sink.make_writer = [](const TaskContext&) -> std::unique_ptr<BatchConsumer<T>> {
    return std::make_unique<internal::DiscardingSinkLink<T>>();
  };
  return sink;
}

}  // namespace sluice
