// FileSystem: the host's local disk (POSIX on real hosts; SimDisk in simulation).
//
// Durability model, the one all code must be written against (and the one the simulator enforces
// on a crash): appended bytes are durable only after WritableFile::Sync; a created, renamed or
// removed name is durable only after SyncDir on its parent directory. Rename is atomic and
// replaces an existing target. Paths are '/'-separated and relative to the host's root.
// Errors: kNotFound, kIoError (with the path and the OS message), kResourceExhausted (no space).
// All calls may suspend (simulated disks take time), except while latency is deferred (below).
// One host's fibers only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"

namespace sluice {

class WritableFile {
 public:
  virtual ~WritableFile() = default;  // closes without syncing; never suspends
  virtual Status Append(std::string_view data) = 0;
  // Makes every byte appended so far durable (fdatasync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Opens `path` for appending, creating it if missing; `truncate` empties it first.
  virtual Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path,
                                                               bool truncate) = 0;
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  // Up to max_bytes starting at `offset`; empty at or past the end.
  virtual Result<std::string> ReadRange(const std::string& path, uint64_t offset,
                                        uint64_t max_bytes) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  virtual Result<bool> Exists(const std::string& path) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // kNotFound if missing.
  virtual Status Remove(const std::string& path) = 0;
  // Entry names (not paths) directly under `dir`, sorted bytewise. kNotFound if `dir` is missing.
  virtual Result<std::vector<std::string>> List(const std::string& dir) = 0;
  // Creates `dir` and missing parents; OK if it exists.
  virtual Status CreateDir(const std::string& dir) = 0;
  // Makes the names in `dir` (creations, renames, removals) durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Replaces `path` atomically and durably (WriteFileAtomically below). This default writes
  // `path`.tmp, syncs it, renames it and syncs the directory; a shared mount does it in one
  // request to its server (simnet/shared_mount.h). kNotFound when the directory is missing.
  virtual Status WriteAtomically(const std::string& path, std::string_view data);

  // Latency deferral, for a library that calls the file system while holding its own locks and
  // so must never be suspended inside a call (RocksDB: engine/state/rocksdb_env.h). While on,
  // calls (on this file system and on files it opened) never suspend: each takes effect at once
  // and adds the latency it would have slept to a debt, which TakeDeferredLatencyNs returns (ns)
  // and clears; the caller sleeps it once it is out of the library. Real file systems block
  // instead of suspending and owe nothing (0). Never suspends.
  virtual void DeferLatency(bool on) = 0;
  virtual int64_t TakeDeferredLatencyNs() = 0;
};

// Writes `data` to `path` atomically and durably: write `path`.tmp, sync, rename, sync the parent
// directory (FileSystem::WriteAtomically). Readers see the old contents or the new, never a mix.
// May suspend.
inline Status WriteFileAtomically(FileSystem& fs, const std::string& path, std::string_view data) {
  return fs.WriteAtomically(path, data);
}
// The directory part of a '/'-separated path ("." when there is none).
std::string ParentDir(const std::string& path);

}  // namespace sluice
