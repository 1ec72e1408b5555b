#include "engine/checkpoint/shared_state_registry.h"

#include <charconv>

#include "engine/base/assert.h"

namespace sluice {

void SharedStateRegistry::Register(int64_t checkpoint_id, const std::set<std::string>& files) {
  if (by_checkpoint_.count(checkpoint_id) != 0) return;
  by_checkpoint_[checkpoint_id] = files;
  for (const std::string& file : files) ++counts_[file];
}

std::vector<std::string> SharedStateRegistry::Unregister(int64_t checkpoint_id) {
  std::vector<std::string> unused;
  auto it = by_checkpoint_.find(checkpoint_id);
  if (it == by_checkpoint_.end()) return unused;
  for (const std::string& file : it->second) {
    auto count = counts_.find(file);
    SLUICE_ASSERT(count != counts_.end() && count->second > 0,
                  "a registered checkpoint's file is counted");
    if (--count->second == 0) {
      counts_.erase(count);
      unused.push_back(file);
    }
  }
  by_checkpoint_.erase(it);
  return unused;
}

std::set<std::string> SharedStateRegistry::LiveFiles() const {
  std::set<std::string> live;
  for (const auto& [file, count] : counts_) live.insert(file);
  return live;
}

std::vector<int64_t> SharedStateRegistry::CheckpointIds() const {
  std::vector<int64_t> ids;
  for (const auto& [id, files] : by_checkpoint_) ids.push_back(id);
  return ids;
}

const std::set<std::string>* SharedStateRegistry::Files(int64_t checkpoint_id) const {
  auto it = by_checkpoint_.find(checkpoint_id);
  return it == by_checkpoint_.end() ? nullptr : &it->second;
}

int SharedStateRegistry::References(const std::string& file) const {
  auto it = counts_.find(file);
  return it == counts_.end() ? 0 : it->second;
}

void SharedStateRegistry::Clear() {
  by_checkpoint_.clear();
  counts_.clear();
}

int64_t SharedFileCheckpointId(const std::string& name) {
  const size_t dash = name.find('-');
  if (dash == std::string::npos || dash == 0) return -1;
  int64_t id = -1;
  const auto [end, error] = std::from_chars(name.data(), name.data() + dash, id);
  if (error != std::errc() || end != name.data() + dash || id < 0) return -1;
  return id;
}

}  // namespace sluice
