// SimDisk: a simulated host's local disk (its sluice::FileSystem), enforcing the durability model
// of engine/runtime/file_system.h on a crash. It outlives crashes: it is what survives them.
//
// Model:
// - A file is an inode with current bytes and durable bytes. WritableFile::Sync copies current
//   to durable. Truncating (OpenAppendable with truncate) empties current bytes only.
// - The namespace (path -> inode) has a current and a durable version. SyncDir(dir) makes the
//   current entries directly in `dir` durable: creations, renames into or out of it, removals.
// - Crash(): the namespace reverts to the durable one, every file to its durable bytes; open
//   files become stale (their calls fail with kIoError). A file whose name was never made
//   durable is lost, synced bytes or not.
// - Simplification: directories are durable as soon as created, renamed or removed (no SyncDir
//   needed for the directory entry itself). Removing a directory requires it to be empty.
// - A file needs its parent directory to exist (kNotFound otherwise, as POSIX). Paths are
//   '/'-separated, relative to the host root ("." or ""); "a//b/" and "./a/b" name "a/b".
// Errors: kNotFound (missing file, directory or parent), kIoError (wrong type, directory not
// empty, stale or closed file), kInvalidArgument (a ".." component).
// Latency: every FileSystem and WritableFile call made from a fiber first sleeps a drawn latency
// in [0, latency_max_ns], then takes effect at once (a crash during the sleep cancels it). So all
// of them may suspend. The test helpers below never suspend and are meant for world context.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/runtime/fibers.h"
#include "engine/runtime/file_system.h"
#include "engine/runtime/random.h"
#include "simnet/sim_core.h"

namespace sluice::sim {

class SimDisk final : public FileSystem {
 public:
  // `fibers` are the owning host's (latency sleeps); `random` draws the latencies.
  SimDisk(SimCore& core, HostId host, Fibers& fibers, Random random, int64_t latency_max_ns);
  ~SimDisk() override;
  SimDisk(const SimDisk&) = delete;
  SimDisk& operator=(const SimDisk&) = delete;

  Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path,
                                                       bool truncate) override;
  Result<std::string> ReadFile(const std::string& path) override;
  Result<std::string> ReadRange(const std::string& path, uint64_t offset,
                                uint64_t max_bytes) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Result<bool> Exists(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  Status CreateDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;

  // Drops everything volatile (see the model above). World context, after the host's fibers
  // have been unwound. Never suspends.
  void Crash();

  // --- Test and scenario helpers: world context, no latency, never suspend. ---
  // Creates (or replaces the contents of) `path` as a durable file with a durable name, creating
  // missing parent directories.
  void WriteDurable(const std::string& path, std::string_view bytes);
  // Current bytes of a file; kNotFound if missing (or a directory).
  Result<std::string> ReadCurrent(const std::string& path) const;
  // Current entry names directly under `dir`, sorted; empty if `dir` is missing.
  std::vector<std::string> ListCurrent(const std::string& dir) const;
  // Whether `path` currently names a file or a directory.
  bool ExistsCurrent(const std::string& path) const;
  // Files (inodes) held, including unlinked ones kept for open handles or the durable namespace.
  size_t inode_count() const { return inodes_.size(); }

 private:
  friend class SimWritableFile;
  struct Inode {
    std::string current;
    std::string durable;
    int current_links = 0;  // names in the current namespace
    int durable_links = 0;  // names in the durable namespace
    int open_handles = 0;
  };
  using Names = std::map<std::string, uint64_t>;  // path -> inode id

  void Delay();
  Inode* FindFile(const std::string& normalized_path);
  const Inode* FindFile(const std::string& normalized_path) const;
  uint64_t NewInode();
  void LinkCurrent(const std::string& path, uint64_t inode_id);
  void UnlinkCurrent(const std::string& path);
  void SetDurableName(const std::string& path, uint64_t inode_id);  // 0 removes the name
  void MaybeFree(uint64_t inode_id);
  void CreateDirs(const std::string& normalized_dir);
  Status RenameDir(const std::string& from, const std::string& to);
  Status RemoveDir(const std::string& dir);
  std::vector<std::string> ChildPaths(const Names& names, const std::string& dir) const;

  // WritableFile operations (the handle holds inode id + the generation it was opened in).
  Status Append(uint64_t inode_id, uint64_t generation, std::string_view data);
  Status Sync(uint64_t inode_id, uint64_t generation);
  void Release(uint64_t inode_id, uint64_t generation);

  SimCore& core_;
  const HostId host_;
  Fibers& fibers_;
  Random random_;
  const int64_t latency_max_ns_;
  std::map<uint64_t, Inode> inodes_;
  Names names_;                 // current namespace
  Names durable_names_;         // durable namespace
  std::set<std::string> dirs_;  // always contains "." (the root)
  uint64_t next_inode_id_ = 1;
  uint64_t generation_ = 0;  // bumped by Crash: older handles are stale
};

}  // namespace sluice::sim
