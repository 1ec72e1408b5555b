// TaskLocalStateStore: one subtask's local state copies for local recovery
// (execution.state-recovery.from-local; Flink's TaskLocalStateStore). Each snapshot is also
// written, sealed but not synced, to local-state/<its checkpoint storage path> on the
// TaskManager's own disk; the subtask's two newest copies are kept (the one just written and
// the one before, which a restore needs when the newer checkpoint does not complete). A restore
// reads the copy of exactly the checkpoint storage path it restores, when it is there and
// verifies: keying copies by path keeps a copy of a newer, never completed checkpoint from being
// restored. A copy torn by a crash fails its checksum and is skipped.
// Thread/fiber safety: one owner (the task's fiber); every call may suspend on the disk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/runtime/host.h"

namespace sluice {

class TaskLocalStateStore {
 public:
  static constexpr char kRoot[] = "local-state";

  // The copies of subtask `subtask` of chain `chain`; `owner` names it in log events.
  TaskLocalStateStore(Host& host, int chain, int subtask, std::string owner);

  // Writes the copy of `state` (checkpoint storage path `path`, checkpoint `checkpoint_id`)
  // and prunes this subtask's older copies. Best effort: a failure is logged
  // ("checkpoint.local_copy_failed") and the restore then reads checkpoint storage.
  void Write(int64_t checkpoint_id, const std::string& path, const std::string& state);
  // The verified copy of `restore_path`, if any ("checkpoint.local_copy_damaged" when one is
  // there but does not verify).
  std::optional<std::string> Read(const std::string& restore_path);

 private:
  Host& host_;
  const std::string mine_;  // "<chain>-<subtask>-": the prefix of this subtask's file names
  const std::string owner_;
};

}  // namespace sluice
