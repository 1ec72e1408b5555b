// StorageDirectory: a directory of the host's file system that the cluster shares, with the
// durability every user of it needs built into each call. Checkpoints and savepoints live in one
// (execution.checkpointing.dir), a job's input and output in others. On one machine it is a local
// directory; for several it is a shared mount (NFS) that every JobManager and TaskManager mounts
// at the same path; in the simulator it is a shared mount served by a store host the nemesis
// crashes, cuts off and fills (simnet/shared_mount.h). Flink's FsCheckpointStorage plays the
// same part (https://nightlies.apache.org/flink/flink-docs-stable/docs/ops/state/checkpoints/).
//
// Paths given to the calls are relative to the directory ('/'-separated, no ".."). Every
// mutation is durable when it returns: WriteAtomic syncs the file and its directory, Rename and
// Remove sync the directories they changed (the target's first: a crash between the two syncs
// leaves the file under both names, never under neither). Missing parent directories are
// created. Errors are the file system's (kNotFound, kIoError, kResourceExhausted when full, and
// on a shared mount kUnavailable / kDeadlineExceeded when its server is unreachable); a mutation
// that failed may or may not have taken effect (over a network, the answer may be what was lost).
// Every call may suspend; one host's fibers; the object holds no state beyond its root, so any
// number of fibers may each use their own or share one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/runtime/file_system.h"

namespace sluice {

class StorageDirectory {
 public:
  // `root`: the directory on `fs` ("" means paths are used as given, e.g. absolute ones).
  StorageDirectory(FileSystem& fs, std::string root) : fs_(&fs), root_(std::move(root)) {}

  // Up to max_bytes from `offset`; empty at or past the end.
  Result<std::string> ReadRange(const std::string& path, uint64_t offset, uint64_t max_bytes);
  Result<std::string> ReadFile(const std::string& path);
  Result<uint64_t> FileSize(const std::string& path);
  // Replaces `path` atomically and durably: readers see the old contents or the new.
  Status WriteAtomic(const std::string& path, std::string_view data);
  // Durable rename, replacing `to`. kNotFound if `from` is missing.
  Status Rename(const std::string& from, const std::string& to);
  // A file or an empty directory; kNotFound if missing.
  Status Remove(const std::string& path);
  Result<bool> Exists(const std::string& path);
  // Sorted entry names; an empty list for a missing directory.
  Result<std::vector<std::string>> List(const std::string& dir);

  // `path` on the file system: root/path.
  std::string FullPath(const std::string& path) const;
  const std::string& root() const { return root_; }
  FileSystem& fs() { return *fs_; }

 private:
  // Creates the parent directory of full path `full` (and its missing parents), durably.
  Status CreateParent(const std::string& full);

  FileSystem* fs_;
  std::string root_;
};

}  // namespace sluice
