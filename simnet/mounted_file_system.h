// MountedFileSystem: a simulated host's file system when it has more than one disk or a shared
// mount. The host's root disk holds every path but those at or below a mount point, which live
// on the disk or shared mount (simnet/shared_mount.h: an NFS mount of a store host's directory)
// mounted there, under the path relative to the mount point (as a Linux mount). Disks fail independently
// (each has its own faults and durable state), which is what lets data kept twice survive one
// disk's corruption: the checkpoint store keeps each checkpoint file's second copy on a disk
// mounted at its replica directory (engine/checkpoint/replicated_file.h).
//
// Calls forward to the disk or shared mount a path routes to and behave as that one's (latency,
// faults, errors), except: a rename between two disks fails with kIoError "cross-device rename" (EXDEV),
// and a path with a ".." component fails with kInvalidArgument before reaching any disk. A mount
// point is a directory on the disk it is mounted on as well (created when mounted, as mkdir
// before mount), so listing its parent shows it. Never suspends itself; one host's fibers only.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/runtime/file_system.h"
#include "simnet/sim_disk.h"

namespace sluice::sim {

class MountedFileSystem final : public FileSystem {
 public:
  explicit MountedFileSystem(SimDisk& root) : root_(root) {}

  // Mounts `disk` at `mount_point` (a path on the root disk; normalized; not the root, not
  // below or above another mount point). World context.
  void Mount(const std::string& mount_point, std::unique_ptr<SimDisk> disk);
  // Mounts another file system at `mount_point`, as Mount: a shared mount (simnet/shared_mount.h)
  // whose files live on another host.
  void MountShared(const std::string& mount_point, std::unique_ptr<FileSystem> fs);
  // The disk `path` lives on and the path on that disk; nullptr for a path with ".." or one on a
  // shared mount (its disk is the server's).
  std::pair<SimDisk*, std::string> Route(const std::string& path);
  // The root disk first, then the mounted disks in mount order (not shared mounts).
  std::vector<SimDisk*> disks();

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
  Status WriteAtomically(const std::string& path, std::string_view data) override;
  // On every disk and shared mount; the debt is the sum of theirs.
  void DeferLatency(bool on) override;
  int64_t TakeDeferredLatencyNs() override;

 private:
  struct MountPoint {
    std::string path;  // normalized
    std::unique_ptr<FileSystem> fs;
    SimDisk* disk;  // fs itself when it is a disk; null for a shared mount
  };
  void AddMount(const std::string& mount_point, std::unique_ptr<FileSystem> fs, SimDisk* disk);
  // The file system `path` lives on and the path there; nullptr for a path with "..".
  std::pair<FileSystem*, std::string> RouteFs(const std::string& path);

  SimDisk& root_;
  std::vector<MountPoint> mounts_;
};

}  // namespace sluice::sim
