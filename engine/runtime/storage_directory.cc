#include "engine/runtime/storage_directory.h"

namespace sluice {

std::string StorageDirectory::FullPath(const std::string& path) const {
  if (root_.empty()) return path;
  if (path.empty() || path == ".") return root_;
  return root_ + "/" + path;
}

Status StorageDirectory::CreateParent(const std::string& full) {
  const std::string parent = ParentDir(full);
  if (parent == "." || parent == "/") return Status::Ok();
  RETURN_IF_ERROR(fs_->CreateDir(parent));
  // The new directory's name is durable once its own parent is synced (and so on upwards; a
  // directory made here sits below the root, which exists and needs nothing).
  return fs_->SyncDir(ParentDir(parent));
}

Result<std::string> StorageDirectory::ReadRange(const std::string& path, uint64_t offset,
                                                uint64_t max_bytes) {
  return fs_->ReadRange(FullPath(path), offset, max_bytes);
}

Result<std::string> StorageDirectory::ReadFile(const std::string& path) {
  return fs_->ReadFile(FullPath(path));
}

Result<uint64_t> StorageDirectory::FileSize(const std::string& path) {
  return fs_->FileSize(FullPath(path));
}

Status StorageDirectory::WriteAtomic(const std::string& path, std::string_view data) {
  const std::string full = FullPath(path);
  Status written = fs_->WriteAtomically(full, data);
  if (written.code() != StatusCode::kNotFound) return written;
  // The directory is missing (a shared mount's server creates it itself: one round trip there).
  RETURN_IF_ERROR(CreateParent(full));
  return fs_->WriteAtomically(full, data);
}

Status StorageDirectory::Rename(const std::string& from, const std::string& to) {
  const std::string full_from = FullPath(from), full_to = FullPath(to);
  Status renamed = fs_->Rename(full_from, full_to);
  if (renamed.code() == StatusCode::kNotFound) {
    // `from` is gone, or the target's directory does not exist yet.
    ASSIGN_OR_RETURN(bool exists, fs_->Exists(full_from));
    if (!exists) return renamed;
    RETURN_IF_ERROR(CreateParent(full_to));
    renamed = fs_->Rename(full_from, full_to);
  }
  RETURN_IF_ERROR(renamed);
  RETURN_IF_ERROR(fs_->SyncDir(ParentDir(full_to)));
  if (ParentDir(full_to) == ParentDir(full_from)) return Status::Ok();
  return fs_->SyncDir(ParentDir(full_from));
}

Status StorageDirectory::Remove(const std::string& path) {
  const std::string full = FullPath(path);
  RETURN_IF_ERROR(fs_->Remove(full));
  return fs_->SyncDir(ParentDir(full));
}

Result<bool> StorageDirectory::Exists(const std::string& path) {
  return fs_->Exists(FullPath(path));
}

Result<std::vector<std::string>> StorageDirectory::List(const std::string& dir) {
  auto names = fs_->List(FullPath(dir));
  if (!names.ok() && names.status().code() == StatusCode::kNotFound) {
    return std::vector<std::string>();
  }
  return names;
}

}  // namespace sluice
