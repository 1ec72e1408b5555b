#include "engine/checkpoint/completed_checkpoint.h"

#include <algorithm>
#include <cstdlib>

#include "engine/base/bytes.h"
#include "engine/base/checksum.h"
#include "engine/checkpoint/replicated_file.h"

namespace sluice {

std::string CompletedCheckpoint::MetadataPath(int64_t id) {
  return "checkpoints/chk-" + std::to_string(id) + "/_metadata";
}

std::string CompletedCheckpoint::EncodeMetadata() const {
  std::string payload;
  ByteWriter w(&payload);
  w.PutSignedVarint(id);
  w.PutVarint(state_paths.size());
  for (const auto& [task, path] : state_paths) {
    w.PutSignedVarint(task.first);
    w.PutSignedVarint(task.second);
    w.PutString(path);
  }
  return payload;
}

Result<CompletedCheckpoint> CompletedCheckpoint::DecodeMetadata(std::string_view payload,
                                                                const std::string& what) {
  CompletedCheckpoint checkpoint;
  ByteReader r(payload);
  uint64_t count = 0;
  if (!r.GetSignedVarint(&checkpoint.id) || !r.GetVarint(&count)) {
    return DataLossError(what + ": bad header");
  }
  for (uint64_t i = 0; i < count; ++i) {
    int64_t chain = 0, subtask = 0;
    std::string path;
    if (!r.GetSignedVarint(&chain) || !r.GetSignedVarint(&subtask) || !r.GetString(&path)) {
      return DataLossError(what + ": bad entry " + std::to_string(i));
    }
    checkpoint.state_paths[{static_cast<int>(chain), static_cast<int>(subtask)}] = path;
  }
  if (!r.empty()) return DataLossError(what + ": trailing bytes");
  return checkpoint;
}

Status StoreCompletedCheckpoint(StoreClient& store, const CompletedCheckpoint& checkpoint,
                                const StoreFence& fence, bool checksummed) {
  return WriteReplicated(store, CompletedCheckpoint::MetadataPath(checkpoint.id),
                         CompletedCheckpoint::kMetadataMagic, checkpoint.EncodeMetadata(),
                         checksummed, &fence);
}

Result<RecoveredCheckpoints> RecoverCheckpoints(StoreClient& store, size_t retain,
                                                std::string* skipped, bool checksummed) {
  ASSIGN_OR_RETURN(auto names, store.List("checkpoints"));
  std::vector<int64_t> ids;
  for (const std::string& name : names) {
    if (name.rfind("chk-", 0) != 0 || name.size() <= 4) continue;
    char* end = nullptr;
    const long long id = std::strtoll(name.c_str() + 4, &end, 10);
    if (*end == '\0' && id > 0) ids.push_back(id);
  }
  std::sort(ids.rbegin(), ids.rend());
  RecoveredCheckpoints recovered;
  if (!ids.empty()) recovered.highest_id_seen = ids.front();
  for (int64_t id : ids) {
    const std::string path = CompletedCheckpoint::MetadataPath(id);
    auto payload = ReadReplicated(store, path, CompletedCheckpoint::kMetadataMagic, checksummed);
    if (!payload.ok() && payload.status().code() == StatusCode::kNotFound) {
      continue;  // triggered but never completed
    }
    if (!payload.ok() && payload.status().code() != StatusCode::kDataLoss) return payload.status();
    auto checkpoint = payload.ok() ? CompletedCheckpoint::DecodeMetadata(payload.value(), path)
                                   : Result<CompletedCheckpoint>(payload.status());
    if (checkpoint.ok() && checkpoint->id == id) {
      recovered.completed.insert(recovered.completed.begin(), std::move(checkpoint).value());
      if (recovered.completed.size() >= retain) break;
      continue;
    }
    *skipped += path + " unreadable (" + checkpoint.status().ToString() + "); ";
  }
  return recovered;
}

}  // namespace sluice
