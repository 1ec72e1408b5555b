// SharedStateRegistry: the JobManager's reference counts of shared state files (Flink's
// SharedStateRegistry). An incremental RocksDB checkpoint uploads each SST file once, under
// checkpoints/shared/, and every later checkpoint of the same instance that still holds the file
// names it again instead of uploading it. A completed checkpoint registers the shared files it
// names; when retention drops it, it unregisters them; a file that no registered checkpoint names
// any more is the caller's to delete. Savepoints are never registered (they are self-contained:
// full snapshots). Pure: no I/O, never suspends; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace sluice {

class SharedStateRegistry {
 public:
  // Checkpoint `checkpoint_id` names `files` (store paths of copy 0). Registering an id twice is
  // a no-op (a repeated completion after a JobManager failover).
  void Register(int64_t checkpoint_id, const std::set<std::string>& files);
  // Checkpoint `checkpoint_id` is no longer retained: its files' counts go down. Returns the files
  // no registered checkpoint names any more, in path order (empty for an unknown id).
  std::vector<std::string> Unregister(int64_t checkpoint_id);
  // Every file some registered checkpoint names.
  std::set<std::string> LiveFiles() const;
  // The registered checkpoints, ascending, and the files one names (nullptr if not registered).
  std::vector<int64_t> CheckpointIds() const;
  const std::set<std::string>* Files(int64_t checkpoint_id) const;
  // How many registered checkpoints name `file` (0 if none).
  int References(const std::string& file) const;
  size_t checkpoints() const { return by_checkpoint_.size(); }
  void Clear();

 private:
  std::map<int64_t, std::set<std::string>> by_checkpoint_;
  std::map<std::string, int> counts_;
};

// Shared files live at <kSharedStateDir>/<instance>/<checkpoint id>-<name>, uploaded for the
// checkpoint of that id.
inline constexpr char kSharedStateDir[] = "checkpoints/shared";
// The magic shared files are sealed under (engine/checkpoint/replicated_file.h).
inline constexpr uint32_t kSharedStateMagic = 0x44485353;  // "SSHD"
// The checkpoint a shared file's name says it was uploaded for ("12-000007.sst" → 12); -1 for a
// name of another form.
int64_t SharedFileCheckpointId(const std::string& name);

}  // namespace sluice
