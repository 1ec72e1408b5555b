// A seeded data generator source (Flink's DataGeneratorSource): record i of a job is
// generate(i), for i in [0, count); split s of p generates indices s, s + p, s + 2p, ... in order.
// The position (the next index) is the checkpointed state, so a restore resumes exactly there.
// `generate` must be a pure function of the index (draw from a generator seeded with a job
// setting and the index, never the wall clock), which makes every run and the reference
// evaluator see the same records. Calls may suspend (the chain may send downstream).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/serializer.h"
#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"

namespace sluice {

namespace internal {

template <typename T>
class GeneratorSplitReader final : public SourceReader {
 public:
  GeneratorSplitReader(int64_t count, std::function<T(int64_t)> generate, int split, int splits,
                       BatchConsumer<T>* output)
      : count_(count), generate_(std::move(generate)), split_(split), splits_(splits),
        next_(split), output_(output) {}
  Status Open(std::string_view restored) override {
    next_ = split_;
    if (restored.empty()) return Status::Ok();
    ByteReader r(restored);
    uint64_t next = 0;
    if (!r.GetVarint(&next) || !r.empty() || (static_cast<int64_t>(next) - split_) % splits_ != 0) {
      return DataLossError("data generator split " + std::to_string(split_) +
                           ": malformed position");
    }
    next_ = static_cast<int64_t>(next);
    return Status::Ok();
  }
  Result<size_t> Fetch(size_t max_records) override {
    batch_.Clear();
    for (size_t n = 0; n < max_records && n < kBatchMax && next_ < count_; ++n, next_ += splits_) {
      batch_.Emit(generate_(next_));
    }
    return batch_.size();
  }
  Status EmitFetched() override {
    return batch_.size() == 0 ? Status::Ok() : output_->Consume(batch_.view(), {});
  }
  bool exhausted() const override { return next_ >= count_; }
  void Snapshot(std::string* out) const override {
    ByteWriter w(out);
    w.PutVarint(static_cast<uint64_t>(next_));
  }

 private:
  static constexpr size_t kBatchMax = 1024;
  int64_t count_;
  std::function<T(int64_t)> generate_;
  int split_;
  int splits_;
  int64_t next_;
  BatchConsumer<T>* output_;
  Collector<T> batch_;
};

}  // namespace internal

template <typename T>
Source<T> DataGeneratorSource(int64_t count, std::function<T(int64_t index)> generate,
                              int64_t records_per_second = 0) {
  Source<T> source;
  source.records_per_second = records_per_second;
  source.make_reader = [count, generate](const TaskContext& ctx,
                                         ChainLink* output) -> std::unique_ptr<SourceReader> {
    auto* typed = dynamic_cast<BatchConsumer<T>*>(output);
    SLUICE_ASSERT(typed != nullptr, "a generator feeds an operator of its record type");
    return std::make_unique<internal::GeneratorSplitReader<T>>(count, generate, ctx.subtask,
                                                               ctx.parallelism, typed);
  };
  source.reference = [count, generate](int split, int splits, const std::vector<std::string>&,
                                       const ReferenceEmit& emit) {
    std::string record;
    for (int64_t i = split; i < count; i += splits) {
      record.clear();
      ByteWriter w(&record);
      Serializer<T>::Write(w, generate(i));
      emit(record, kNoTimestamp);
    }
  };
  return source;
}

}  // namespace sluice
