#include "simnet/mounted_file_system.h"

#include "engine/base/assert.h"


namespace sluice::sim {
namespace {

Status BadPath(const std::string& path) {
  return InvalidArgumentError("path '" + path + "': '..' is not supported");
}

// Whether normalized `path` is `mount` or below it.
bool Under(const std::string& path, const std::string& mount) {
  return path.starts_with(mount) && (path.size() == mount.size() || path[mount.size()] == '/');
}

}  // namespace

void MountedFileSystem::Mount(const std::string& mount_point, std::unique_ptr<SimDisk> disk) {
  SimDisk* raw = disk.get();
  AddMount(mount_point, std::move(disk), raw);
}

void MountedFileSystem::MountShared(const std::string& mount_point,
                                    std::unique_ptr<FileSystem> fs) {
  AddMount(mount_point, std::move(fs), nullptr);
}

void MountedFileSystem::AddMount(const std::string& mount_point, std::unique_ptr<FileSystem> fs,
                                 SimDisk* disk) {
  std::string normalized;
  const bool valid = SimDisk::NormalizePath(mount_point, &normalized);
  SLUICE_ASSERT(valid && normalized != ".", "a mount point is a directory below the root");
  for (const MountPoint& other : mounts_) {
    SLUICE_ASSERT(!Under(normalized, other.path), "mount points do not nest");
    SLUICE_ASSERT(!Under(other.path, normalized), "mount points do not nest");
    (void)other;
  }
  (void)valid;
  auto [parent_disk, on_parent] = Route(normalized);
  SLUICE_ASSERT(parent_disk != nullptr, "a mount point lies on a disk");
  parent_disk->CreateDirs(on_parent);
  mounts_.push_back(MountPoint{normalized, std::move(fs), disk});
}

std::pair<FileSystem*, std::string> MountedFileSystem::RouteFs(const std::string& path) {
  // Most hosts have one disk: it normalizes (and rejects "..") itself, as it does for every call.
  if (mounts_.empty()) return {&root_, path};
  std::string normalized;
  if (!SimDisk::NormalizePath(path, &normalized)) return {nullptr, std::string()};
  for (MountPoint& mount : mounts_) {
    if (!Under(normalized, mount.path)) continue;
    if (normalized.size() == mount.path.size()) return {mount.fs.get(), "."};
    return {mount.fs.get(), normalized.substr(mount.path.size() + 1)};
  }
  return {&root_, std::move(normalized)};
}

std::pair<SimDisk*, std::string> MountedFileSystem::Route(const std::string& path) {
  auto [fs, on_fs] = RouteFs(path);
  if (fs == &root_) return {&root_, std::move(on_fs)};
  for (MountPoint& mount : mounts_) {
    if (mount.fs.get() == fs && mount.disk != nullptr) return {mount.disk, std::move(on_fs)};
  }
  return {nullptr, std::string()};  // a path with "..", or one on a shared mount
}

std::vector<SimDisk*> MountedFileSystem::disks() {
  std::vector<SimDisk*> all{&root_};
  for (MountPoint& mount : mounts_) {
    if (mount.disk != nullptr) all.push_back(mount.disk);
  }
  return all;
}

void MountedFileSystem::DeferLatency(bool on) {
  root_.DeferLatency(on);
  for (MountPoint& mount : mounts_) mount.fs->DeferLatency(on);
}

int64_t MountedFileSystem::TakeDeferredLatencyNs() {
  int64_t debt = root_.TakeDeferredLatencyNs();
  for (MountPoint& mount : mounts_) debt += mount.fs->TakeDeferredLatencyNs();
  return debt;
}

Result<std::unique_ptr<WritableFile>> MountedFileSystem::OpenAppendable(const std::string& path,
                                                                        bool truncate) {
  auto [disk, on_disk] = RouteFs(path);
  if (disk == nullptr) return BadPath(path);
  return disk->OpenAppendable(on_disk, truncate);
}

Result<std::string> MountedFileSystem::ReadFile(const std::string& path) {
  auto [disk, on_disk] = RouteFs(path);
  if (disk == nullptr) return BadPath(path);
  return disk->ReadFile(on_disk);
}

Result<std::string> MountedFileSystem::ReadRange(const std::string& path, uint64_t offset,
                                                 uint64_t max_bytes) {
  auto [disk, on_disk] = RouteFs(path);
  if (disk == nullptr) return BadPath(path);
  return disk->ReadRange(on_disk, offset, max_bytes);
}

Result<uint64_t> MountedFileSystem::FileSize(const std::string& path) {
  auto [disk, on_disk] = RouteFs(path);
  if (disk == nullptr) return BadPath(path);
  return disk->FileSize(on_disk);
}

Result<bool> MountedFileSystem::Exists(const std::string& path) {
  auto [disk, on_disk] = RouteFs(path);
  if (disk == nullptr) return BadPath(path);
  return disk->Exists(on_disk);
}

Status MountedFileSystem::Rename(const std::string& from, const std::string& to) {
  auto [from_disk, from_on_disk] = RouteFs(from);
  auto [to_disk, to_on_disk] = RouteFs(to);
  if (from_disk == nullptr) return BadPath(from);
  if (to_disk == nullptr) return BadPath(to);
  if (from_disk != to_disk) {
    return IoError("rename '" + from + "' to '" + to + "': cross-device rename (EXDEV)");
  }
  return from_disk->Rename(from_on_disk, to_on_disk);
}

Status MountedFileSystem::Remove(const std::string& path) {
  auto [disk, on_disk] = RouteFs(path);
  if (disk == nullptr) return BadPath(path);
  return disk->Remove(on_disk);
}

Result<std::vector<std::string>> MountedFileSystem::List(const std::string& dir) {
  auto [disk, on_disk] = RouteFs(dir);
  if (disk == nullptr) return BadPath(dir);
  return disk->List(on_disk);
}

Status MountedFileSystem::CreateDir(const std::string& dir) {
  auto [disk, on_disk] = RouteFs(dir);
  if (disk == nullptr) return BadPath(dir);
  return disk->CreateDir(on_disk);
}

Status MountedFileSystem::WriteAtomically(const std::string& path, std::string_view data) {
  auto [disk, on_disk] = RouteFs(path);
  if (disk == nullptr) return BadPath(path);
  return disk->WriteAtomically(on_disk, data);
}

Status MountedFileSystem::SyncDir(const std::string& dir) {
  auto [disk, on_disk] = RouteFs(dir);
  if (disk == nullptr) return BadPath(dir);
  return disk->SyncDir(on_disk);
}

}  // namespace sluice::sim
