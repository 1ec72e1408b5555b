#include "engine/runtime/file_system.h"

namespace sluice {

std::string ParentDir(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status FileSystem::WriteAtomically(const std::string& path, std::string_view data) {
  FileSystem& fs = *this;
  const std::string tmp = path + ".tmp";
  ASSIGN_OR_RETURN(auto file, fs.OpenAppendable(tmp, /*truncate=*/true));
  RETURN_IF_ERROR(file->Append(data));
  RETURN_IF_ERROR(file->Sync());
  RETURN_IF_ERROR(file->Close());
  RETURN_IF_ERROR(fs.Rename(tmp, path));
  return fs.SyncDir(ParentDir(path));
}

}  // namespace sluice
