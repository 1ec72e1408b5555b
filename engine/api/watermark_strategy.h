// Event time at the sources (Flink's WatermarkStrategy and the timestamps-and-watermarks
// operator): a timestamp assigner gives each record its event time (ms), and the watermark
// generator follows the largest timestamp seen, minus the bounded out-of-orderness, minus 1
// (Flink's BoundedOutOfOrdernessWatermarks; monotonous timestamps are a bound of 0). The operator
// is chained to its input, so one runs per source split, and emits its watermark after each
// batch in which it advanced (Flink emits periodically, pipeline.auto-watermark-interval; a batch
// is this engine's period). Watermarks and watermark statuses from upstream are dropped, except
// the final kMaxWatermark, which passes.
//
// Idleness (Flink's WatermarkStrategy#withIdleness, WatermarksWithIdleness): with an idle timeout,
// a split that has handed over no record for that long (processing time: the host's clock, so
// simulated time in the simulator) marks its output idle, and downstream operators stop waiting
// for its watermark (engine/graph/watermark_valve.h); its next record marks it active again. As
// in Flink, records of a split that resumes behind the others' watermark may be late: a job with
// idleness is deterministic given its input only if its late data is (allowed lateness, a late
// side output), and the simulator's reference, which has no watermarks, cannot foresee which.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "engine/api/reference_operators.h"
#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"
#include "engine/runtime/host.h"

namespace sluice {

template <typename T>
struct WatermarkStrategy {
  std::function<int64_t(const T&)> timestamp_assigner;  // event time of a record, ms
  int64_t max_out_of_orderness_ms = 0;
  int64_t idle_timeout_ms = INT64_MAX;  // processing time without records before idle; ms

  static WatermarkStrategy ForBoundedOutOfOrderness(int64_t max_out_of_orderness_ms,
                                                    std::function<int64_t(const T&)> assigner) {
    return WatermarkStrategy{std::move(assigner), max_out_of_orderness_ms};
  }
  static WatermarkStrategy ForMonotonousTimestamps(std::function<int64_t(const T&)> assigner) {
    return WatermarkStrategy{std::move(assigner), 0};
  }
  // The same strategy, marking a split idle after `idle_timeout_ms` (> 0) of processing time
  // without records. A timeout <= 0 fails the job's Build, naming it.
  WatermarkStrategy WithIdleness(int64_t idle_timeout_ms) const {
    WatermarkStrategy strategy = *this;
    strategy.idle_timeout_ms = idle_timeout_ms;
    return strategy;
  }
};

namespace internal {

template <typename T>
class TimestampsAndWatermarksLink final : public BatchConsumer<T> {
 public:
  // `host`: its clock measures idleness (processing time) and its log gets a "watermark.idle"
  // event (debug) naming `task_name` each time the output turns idle.
  TimestampsAndWatermarksLink(WatermarkStrategy<T> strategy, Host* host, std::string task_name,
                              BatchConsumer<T>* next)
      : strategy_(std::move(strategy)), host_(host), task_name_(std::move(task_name)),
        next_(next) {}
  Status Open(std::span<const std::string_view>) override {
    last_activity_ms_ = host_->clock.NowMs();
    return Status::Ok();
  }
  Status Consume(std::span<const T> batch, std::span<const int64_t>) override {
    if (batch.empty()) return Status::Ok();
    last_activity_ms_ = host_->clock.NowMs();
    RETURN_IF_ERROR(MarkActive());
    out_.Clear();
    for (const T& record : batch) {
      const int64_t timestamp = strategy_.timestamp_assigner(record);
      max_timestamp_ = std::max(max_timestamp_, timestamp);
      out_.SetTimestamp(timestamp);
      out_.Emit(record);
    }
    RETURN_IF_ERROR(next_->Consume(out_.view(), out_.timestamps()));
    if (max_timestamp_ == kNoTimestamp) return Status::Ok();
    const int64_t watermark = max_timestamp_ - strategy_.max_out_of_orderness_ms - 1;
    if (watermark <= emitted_) return Status::Ok();
    emitted_ = watermark;
    return next_->ProcessWatermark(watermark);
  }
  Status ProcessWatermark(int64_t watermark_ms) override {
    if (watermark_ms != kMaxWatermark || emitted_ == kMaxWatermark) return Status::Ok();
    RETURN_IF_ERROR(MarkActive());  // the final watermark must count downstream
    emitted_ = kMaxWatermark;
    return next_->ProcessWatermark(kMaxWatermark);
  }
  // Idleness: due idle_timeout after the last record, unless idle already or past the end.
  int64_t NextProcessingTimeMs() const override {
    if (idle_ || emitted_ == kMaxWatermark || strategy_.idle_timeout_ms == INT64_MAX) {
      return INT64_MAX;
    }
    return last_activity_ms_ + strategy_.idle_timeout_ms;
  }
  Status OnProcessingTime(int64_t now_ms) override {
    if (now_ms < NextProcessingTimeMs()) return Status::Ok();
    idle_ = true;
    host_->log.Record(Severity::kDebug, "watermark.idle", task_name_);
    return next_->ProcessWatermarkStatus(true);
  }

 private:
  Status MarkActive() {
    if (!idle_) return Status::Ok();
    idle_ = false;
    return next_->ProcessWatermarkStatus(false);
  }

  WatermarkStrategy<T> strategy_;
  Host* host_;
  std::string task_name_;
  BatchConsumer<T>* next_;
  int64_t max_timestamp_ = kNoTimestamp;
  int64_t emitted_ = kMinWatermark;
  int64_t last_activity_ms_ = 0;
  bool idle_ = false;
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
