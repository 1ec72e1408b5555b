// A seeded data generator source (Flink's DataGeneratorSource): record i of a job is
// generate(i), for i in [0, count). The generator has as many splits as its source has subtasks:
// split s of p generates indices s, s + p, s + 2p, ... in order, and is read by subtask s
// (OwnedSplitEnumerator), so that every subtask's event time advances as on every other run.
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
#include "engine/graph/split_enumerators.h"

namespace sluice {

namespace internal {

// Split s of p: the bytes varint(s) varint(p).
inline std::vector<std::string> GeneratorSplits(int parallelism) {
  std::vector<std::string> splits(static_cast<size_t>(parallelism));
  for (int s = 0; s < parallelism; ++s) {
    ByteWriter w(&splits[s]);
    w.PutVarint(static_cast<uint64_t>(s));
    w.PutVarint(static_cast<uint64_t>(parallelism));
  }
  return splits;
}
// (s, p) from a split's bytes; kDataLoss unless 0 <= s < p.
inline Result<std::pair<int, int>> DecodeGeneratorSplit(std::string_view bytes) {
  ByteReader r(bytes);
  uint64_t split = 0, splits = 0;
  if (!r.GetVarint(&split) || !r.GetVarint(&splits) || !r.empty() || splits == 0 ||
      splits > (1 << 15) || split >= splits) {
    return DataLossError("data generator: malformed split");
  }
  return std::pair<int, int>(static_cast<int>(split), static_cast<int>(splits));
}

template <typename T>
class GeneratorSplitReader final : public SplitReader {
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
  source.discover = [](Host&, const ExternalServices&,
                       int parallelism) -> Result<std::vector<std::string>> {
    return internal::GeneratorSplits(parallelism);
  };
  source.make_enumerator = OwnedSplitEnumeratorFactory();
  source.make_reader = [count, generate](const TaskContext& ctx, std::string_view split_bytes,
                                         ChainLink* output) -> Result<std::unique_ptr<SplitReader>> {
    auto* typed = dynamic_cast<BatchConsumer<T>*>(output);
    SLUICE_ASSERT(typed != nullptr, "a generator feeds an operator of its record type");
    ASSIGN_OR_RETURN(auto split, internal::DecodeGeneratorSplit(split_bytes));
    return std::unique_ptr<SplitReader>(std::make_unique<internal::GeneratorSplitReader<T>>(
        count, generate, split.first, split.second, typed));
  };
  source.reference_splits = [](int parallelism, const std::vector<std::string>&) {
    return internal::GeneratorSplits(parallelism);
  };
  source.reference = [count, generate](std::string_view split_bytes,
                                       const std::vector<std::string>&, const ReferenceEmit& emit) {
    auto split = internal::DecodeGeneratorSplit(split_bytes);
    SLUICE_ASSERT(split.ok(), "reference generator splits are well formed");
    const auto [first, step] = split.value();
    std::string record;
    for (int64_t i = first; i < count; i += step) {
      record.clear();
      ByteWriter w(&record);
      Serializer<T>::Write(w, generate(i));
      emit(record, kNoTimestamp);
    }
  };
  return source;
}

}  // namespace sluice
