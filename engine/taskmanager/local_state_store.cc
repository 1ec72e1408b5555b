#include "engine/taskmanager/local_state_store.h"

#include <utility>

#include "engine/base/checksum.h"
#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/runtime/fault_injection.h"
#include "engine/taskmanager/task.h"

namespace sluice {
namespace {
const std::string& CheckpointsDir() {
  static const std::string dir = std::string(TaskLocalStateStore::kRoot) + "/checkpoints";
  return dir;
}
}  // namespace

TaskLocalStateStore::TaskLocalStateStore(Host& host, int chain, int subtask, std::string owner)
    : host_(host),
      mine_(std::to_string(chain) + "-" + std::to_string(subtask) + "-"),
      owner_(std::move(owner)) {}

void TaskLocalStateStore::Write(int64_t checkpoint_id, const std::string& path,
                                const std::string& state) {
  const std::string local = std::string(kRoot) + "/" + path;
  const std::string dir = local.substr(0, local.rfind('/'));
  Status written = host_.fs.CreateDir(dir);
  if (written.ok()) {
    auto file = host_.fs.OpenAppendable(local, /*truncate=*/true);
    written = file.ok() ? (*file)->Append(SealBlob(Task::kStateMagic, state)) : file.status();
    if (written.ok()) written = (*file)->Close();
  }
  if (!written.ok()) {
    host_.log.Warn("checkpoint.local_copy_failed", owner_ + ": " + written.ToString());
    return;
  }
  // Keep the two newest copies.
  const std::string& root = CheckpointsDir();
  auto names = host_.fs.List(root);
  if (!names.ok()) return;
  for (const std::string& name : *names) {
    const int64_t id = CheckpointIdOfDirectory(name);
    if (id < 0 || id >= checkpoint_id - 1) continue;
    auto files = host_.fs.List(root + "/" + name);
    if (!files.ok()) continue;
    for (const std::string& file : *files) {
      if (file.rfind(mine_, 0) == 0) (void)host_.fs.Remove(root + "/" + name + "/" + file);
    }
    (void)host_.fs.Remove(root + "/" + name);  // fails while another subtask's copy is there
  }
}

std::optional<std::string> TaskLocalStateStore::Read(const std::string& restore_path) {
  std::string local = std::string(kRoot) + "/" + restore_path;
  if (SLUICE_BUG_PLANTED(host_, "local-copy-newer-than-restored")) {
    // Planted bug: the newest local copy of this subtask, whichever checkpoint it belongs to.
    const std::string& root = CheckpointsDir();
    int64_t newest = -1;
    if (auto names = host_.fs.List(root); names.ok()) {
      for (const std::string& name : *names) {
        const int64_t id = CheckpointIdOfDirectory(name);
        if (id <= newest) continue;
        auto files = host_.fs.List(root + "/" + name);
        if (!files.ok()) continue;
        for (const std::string& file : *files) {
          if (file.rfind(mine_, 0) != 0) continue;
          newest = id;
          local = root + "/" + name + "/" + file;
        }
      }
    }
  }
  auto blob = host_.fs.ReadFile(local);
  if (!blob.ok()) return std::nullopt;  // none here: the task ran elsewhere, or it was pruned
  auto state = UnsealBlob(Task::kStateMagic, *blob, local);
  if (!state.ok()) {
    host_.log.Warn("checkpoint.local_copy_damaged", owner_ + ": " + state.status().ToString());
    return std::nullopt;
  }
  return std::string(*state);
}

}  // namespace sluice
