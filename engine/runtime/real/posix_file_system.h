// PosixFileSystem: the production FileSystem over POSIX calls (open, write, fdatasync, pread,
// rename, unlink, mkdir, fsync on directories).
//
// Paths: relative paths are resolved against root_dir ("" means the process's working directory);
// absolute paths are used as they are. Durability is the OS's: Sync is fdatasync(2), SyncDir is
// fsync(2) on the directory, Rename is rename(2) (atomic, replaces the target).
//
// Suspension: none. Every call blocks the host's OS thread for the duration of the syscall(s).
// That is accepted for local disks (short, bounded waits); a slow or network file system stalls
// every fiber of the host while it waits. Never use it for remote storage.
//
// Errors name the operation, the resolved path and the OS message: kNotFound for ENOENT,
// kResourceExhausted for ENOSPC/EDQUOT, kIoError otherwise. Not thread-safe per file object;
// distinct objects may be used from distinct threads.
#pragma once

#include <string>

#include "engine/runtime/file_system.h"

namespace sluice::real {

class PosixFileSystem final : public FileSystem {
 public:
  explicit PosixFileSystem(std::string root_dir) : root_dir_(std::move(root_dir)) {}

  Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path,
                                                       bool truncate) override;
  Result<std::string> ReadFile(const std::string& path) override;
  Result<std::string> ReadRange(const std::string& path, uint64_t offset,
                                uint64_t max_bytes) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Result<bool> Exists(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  // unlink(2), or rmdir(2) when `path` is a directory (which must then be empty).
  Status Remove(const std::string& path) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  Status CreateDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  // Calls block the thread instead: nothing to defer, nothing owed.
  void DeferLatency(bool) override {}
  int64_t TakeDeferredLatencyNs() override { return 0; }

  // `path` as the OS sees it: itself if absolute, else root_dir/path.
  std::string Resolve(const std::string& path) const;
  const std::string& root_dir() const { return root_dir_; }

 private:
  std::string root_dir_;
};

// The Status for errno `error` of `operation` ("open") on `path`: kNotFound (ENOENT),
// kResourceExhausted (ENOSPC, EDQUOT) or kIoError, with message "operation path: OS message".
Status PosixError(const std::string& operation, const std::string& path, int error);

}  // namespace sluice::real
