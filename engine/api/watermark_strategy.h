// Event time at the sources (Flink's WatermarkStrategy and the timestamps-and-watermarks
// operator): a timestamp assigner gives each record its event time (ms), and the watermark
// generator follows the largest timestamp seen, minus the bounded out-of-orderness, minus 1
// (Flink's BoundedOutOfOrdernessWatermarks; monotonous timestamps are a bound of 0). The operator
// is chained to its input, so one runs per source split, and emits its watermark after each
// batch in which it advanced (Flink emits periodically, pipeline.auto-watermark-interval; a batch
// is this engine's period). Watermarks from upstream are dropped, except the final
// kMaxWatermark, which passes. Idleness (withIdleness) is not offered yet.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "engine/api/reference_operators.h"
#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"

namespace sluice {

template <typename T>
struct WatermarkStrategy {
  std::function<int64_t(const T&)> timestamp_assigner;  // event time of a record, ms
  int64_t max_out_of_orderness_ms = 0;

  static WatermarkStrategy ForBoundedOutOfOrderness(int64_t max_out_of_orderness_ms,
                                                    std::function<int64_t(const T&)> assigner) {
    return WatermarkStrategy{std::move(assigner), max_out_of_orderness_ms};
  }
  static WatermarkStrategy ForMonotonousTimestamps(std::function<int64_t(const T&)> assigner) {
    return WatermarkStrategy{std::move(assigner), 0};
  }
};

namespace internal {

template <typename T>
class TimestampsAndWatermarksLink final : public BatchConsumer<T> {
 public:
  TimestampsAndWatermarksLink(WatermarkStrategy<T> strategy, BatchConsumer<T>* next)
      : strategy_(std::move(strategy)), next_(next) {}
  Status Consume(std::span<const T> batch, std::span<const int64_t>) override {
    out_.Clear();
    for (const T& record : batch) {
      const int64_t timestamp = strategy_.timestamp_assigner(record);
      max_timestamp_ = std::max(max_timestamp_, timestamp);
      out_.SetTimestamp(timestamp);
      out_.Emit(record);
    }
    if (out_.size() > 0) RETURN_IF_ERROR(next_->Consume(out_.view(), out_.timestamps()));
    if (max_timestamp_ == kNoTimestamp) return Status::Ok();
    const int64_t watermark = max_timestamp_ - strategy_.max_out_of_orderness_ms - 1;
    if (watermark <= emitted_) return Status::Ok();
    emitted_ = watermark;
    return next_->ProcessWatermark(watermark);
  }
  Status ProcessWatermark(int64_t watermark_ms) override {
    if (watermark_ms != kMaxWatermark || emitted_ == kMaxWatermark) return Status::Ok();
    emitted_ = kMaxWatermark;
    return next_->ProcessWatermark(kMaxWatermark);
  }

 private:
  WatermarkStrategy<T> strategy_;
  BatchConsumer<T>* next_;
  int64_t max_timestamp_ = kNoTimestamp;
  int64_t emitted_ = kMinWatermark;
  Collector<T> out_;
};

// The reference: only the timestamps (the reference has no watermarks before the end).
template <typename T>
class ReferenceTimestamps final : public ReferenceOperator {
 public:
  explicit ReferenceTimestamps(std::function<int64_t(const T&)> assigner)
      : assigner_(std::move(assigner)) {}
  void Process(int, std::string_view record, int64_t, const ReferenceEmit& emit) override {
    emit(record, assigner_(DecodeReferenceRecord<T>(record)));
  }

 private:
  std::function<int64_t(const T&)> assigner_;
};

}  // namespace internal
}  // namespace sluice
