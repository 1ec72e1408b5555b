#include "engine/graph/split_enumerators.h"

#include <utility>

#include "engine/base/bytes.h"

namespace sluice {
namespace {

template <typename E, typename... Args>
Result<std::unique_ptr<SplitEnumerator>> Own(Args&&... args) {
  return std::unique_ptr<SplitEnumerator>(std::make_unique<E>(std::forward<Args>(args)...));
}

}  // namespace

bool OnDemandSplitEnumerator::HandleSplitRequest(int, std::vector<std::string>* splits) {
  if (next_ == unassigned_.size()) return true;
  splits->push_back(std::move(unassigned_[next_++]));
  return false;
}

void OnDemandSplitEnumerator::AddSplitsBack(std::vector<std::string> splits, int) {
  splits.insert(splits.end(), std::make_move_iterator(unassigned_.begin() + next_),
                std::make_move_iterator(unassigned_.end()));
  unassigned_ = std::move(splits);
  next_ = 0;
}

void OnDemandSplitEnumerator::SnapshotState(std::string* out) const {
  ByteWriter w(out);
  w.PutVarint(unassigned_.size() - next_);
  for (size_t i = next_; i < unassigned_.size(); ++i) w.PutString(unassigned_[i]);
}

bool OwnedSplitEnumerator::HandleSplitRequest(int subtask, std::vector<std::string>* splits) {
  std::vector<Split> kept;
  for (Split& split : unassigned_) {
    if (split.index % parallelism_ == subtask) {
      splits->push_back(std::move(split.bytes));
    } else {
      kept.push_back(std::move(split));
    }
  }
  unassigned_ = std::move(kept);
  return true;  // a subtask gets all of its splits at once
}

void OwnedSplitEnumerator::AddSplitsBack(std::vector<std::string> splits, int subtask) {
  // Index `subtask` has owner `subtask` (index mod parallelism): the split goes back to its
  // owner. The index is only ever used for that.
  for (std::string& split : splits) unassigned_.push_back(Split{subtask, std::move(split)});
}

void OwnedSplitEnumerator::SnapshotState(std::string* out) const {
  ByteWriter w(out);
  w.PutVarint(unassigned_.size());
  for (const Split& split : unassigned_) {
    w.PutVarint(static_cast<uint64_t>(split.index));
    w.PutString(split.bytes);
  }
}

EnumeratorFactory OnDemandSplitEnumeratorFactory() {
  return [](const EnumeratorStart& start) -> Result<std::unique_ptr<SplitEnumerator>> {
    if (start.restored == nullptr) {
      return Own<OnDemandSplitEnumerator>(start.discovered ? *start.discovered
                                                           : std::vector<std::string>{});
    }
    ByteReader r(*start.restored);
    uint64_t count = 0;
    std::vector<std::string> unassigned;
    if (!r.GetVarint(&count) || count > r.remaining()) {
      return DataLossError("on-demand split enumerator state: bad split count");
    }
    unassigned.resize(count);
    for (std::string& split : unassigned) {
      if (!r.GetString(&split)) return DataLossError("on-demand split enumerator state: bad split");
    }
    if (!r.empty()) return DataLossError("on-demand split enumerator state: trailing bytes");
    return Own<OnDemandSplitEnumerator>(std::move(unassigned));
  };
}

EnumeratorFactory OwnedSplitEnumeratorFactory() {
  return [](const EnumeratorStart& start) -> Result<std::unique_ptr<SplitEnumerator>> {
    std::vector<OwnedSplitEnumerator::Split> unassigned;
    if (start.restored == nullptr) {
      if (start.discovered != nullptr) {
        for (size_t i = 0; i < start.discovered->size(); ++i) {
          unassigned.push_back({static_cast<int64_t>(i), (*start.discovered)[i]});
        }
      }
      return Own<OwnedSplitEnumerator>(start.parallelism, std::move(unassigned));
    }
    ByteReader r(*start.restored);
    uint64_t count = 0;
    if (!r.GetVarint(&count) || count > r.remaining()) {
      return DataLossError("owned split enumerator state: bad split count");
    }
    unassigned.resize(count);
    for (auto& split : unassigned) {
      uint64_t index = 0;
      if (!r.GetVarint(&index) || index > INT64_MAX || !r.GetString(&split.bytes)) {
        return DataLossError("owned split enumerator state: bad split");
      }
      split.index = static_cast<int64_t>(index);
    }
    if (!r.empty()) return DataLossError("owned split enumerator state: trailing bytes");
    return Own<OwnedSplitEnumerator>(start.parallelism, std::move(unassigned));
  };
}

}  // namespace sluice
