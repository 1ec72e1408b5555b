// The two split enumerators every built-in source uses (engine/graph/job_graph.h's
// SplitEnumerator). Both keep the unassigned splits in discovery order; their state is that list.
//   - OnDemandSplitEnumerator (Flink's FileSource: StaticFileSplitEnumerator with its
//     SimpleSplitAssigner): any subtask that asks gets the next unassigned split, one per
//     request, so fast subtasks read more splits than slow ones. For inputs whose order across
//     splits does not matter (files of lines).
//   - OwnedSplitEnumerator (Flink's KafkaSourceEnumerator: a partition's owner is a fixed
//     function of its index): split i belongs to subtask i mod parallelism, which gets all of
//     its splits at its first request. For sources whose splits advance event time together
//     (generators): each subtask reads the same splits on every run, so its watermark never
//     runs ahead of a split it has yet to read.
// Pure; one owner (the JobMaster's event loop); never suspend.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/graph/job_graph.h"

namespace sluice {

class OnDemandSplitEnumerator final : public SplitEnumerator {
 public:
  explicit OnDemandSplitEnumerator(std::vector<std::string> unassigned)
      : unassigned_(std::move(unassigned)) {}
  bool HandleSplitRequest(int subtask, std::vector<std::string>* splits) override;
  // Returned splits go first, to whichever subtask asks next.
  void AddSplitsBack(std::vector<std::string> splits, int subtask) override;
  void SnapshotState(std::string* out) const override;

 private:
  std::vector<std::string> unassigned_;
  size_t next_ = 0;
};

class OwnedSplitEnumerator final : public SplitEnumerator {
 public:
  struct Split {
    int64_t index = 0;  // position in discovery order: the owner is index mod parallelism
    std::string bytes;
  };
  OwnedSplitEnumerator(int parallelism, std::vector<Split> unassigned)
      : parallelism_(parallelism), unassigned_(std::move(unassigned)) {}
  bool HandleSplitRequest(int subtask, std::vector<std::string>* splits) override;
  // Returned splits stay `subtask`'s (their owner), handed out at its next request.
  void AddSplitsBack(std::vector<std::string> splits, int subtask) override;
  void SnapshotState(std::string* out) const override;

 private:
  int parallelism_;
  std::vector<Split> unassigned_;
};

// Factories for Source::make_enumerator (kDataLoss naming the enumerator for malformed state).
EnumeratorFactory OnDemandSplitEnumeratorFactory();
EnumeratorFactory OwnedSplitEnumeratorFactory();

}  // namespace sluice
