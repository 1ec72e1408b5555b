// Completed checkpoints and their metadata file. A checkpoint is complete once its metadata file
//   checkpoints/chk-<id>/_metadata   (on the checkpoint store, kept twice: replicated_file.h)
// exists: written atomically (tmp, fsync, rename, fsync dir, by the store) and sealed with a
// checksum (engine/base/checksum.h). It lists, for every subtask of the job, the path of the state
// file that subtask acknowledged. Recovery takes the newest metadata that reads back intact (either
// copy); one whose copies are both unreadable (torn, corrupt) is skipped for the previous one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/status.h"
#include "engine/connectors/store.h"

namespace sluice {

struct CompletedCheckpoint {
  int64_t id = 0;
  std::map<std::pair<int, int>, std::string> state_paths;  // (chain, subtask) → state file

  static constexpr uint32_t kMetadataMagic = 0x4154454d;  // "META"
  static std::string MetadataPath(int64_t id);
  // The metadata payload; StoreCompletedCheckpoint seals it and writes both copies
  // (engine/checkpoint/replicated_file.h).
  std::string EncodeMetadata() const;
  static Result<CompletedCheckpoint> DecodeMetadata(std::string_view payload, const std::string& what);
};

// Writes the metadata file (both copies, sealed unless `checksummed` is false, which exists only
// for a planted bug), completing the checkpoint, as fenced writes under the JobManager leader's
// `fence`: kFailedPrecondition when a newer leader has taken over. May suspend.
Status StoreCompletedCheckpoint(StoreClient& store, const CompletedCheckpoint& checkpoint,
                                const StoreFence& fence, bool checksummed = true);

struct RecoveredCheckpoints {
  std::vector<CompletedCheckpoint> completed;  // up to `retain` newest intact ones, oldest first
  int64_t highest_id_seen = 0;                 // for numbering new checkpoints past all old ones
};
// Scans checkpoints/ on the store. Unreadable metadata is skipped (and described in `skipped`
// for the caller to log). May suspend.
Result<RecoveredCheckpoints> RecoverCheckpoints(StoreClient& store, size_t retain,
                                                std::string* skipped, bool checksummed = true);

}  // namespace sluice
