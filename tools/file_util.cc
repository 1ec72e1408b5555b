#include "tools/file_util.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace sluice::tools {
namespace {

std::string ErrnoText(int error) { return std::strerror(error); }

Status ReadFd(int fd, const std::string& path, uint64_t size_hint, std::string* out) {
  constexpr size_t kChunkBytes = 1 << 16;
  out->reserve(static_cast<size_t>(size_hint));
  char chunk[kChunkBytes];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n == 0) return Status::Ok();
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(fmt::format("cannot read '{}': {}", path, ErrnoText(errno)));
    }
    if (out->size() + static_cast<size_t>(n) > kFileBytesMax) {
      return ResourceExhaustedError(
          fmt::format("'{}' is larger than the limit of {} bytes", path, kFileBytesMax));
    }
    out->append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    std::string message = fmt::format("cannot open '{}': {}", path, ErrnoText(error));
    if (error == ENOENT) return NotFoundError(message);
    return IoError(message);
  }
  struct stat info = {};
  if (::fstat(fd, &info) != 0 || S_ISDIR(info.st_mode)) {
    ::close(fd);
    return InvalidArgumentError(fmt::format("'{}' is a directory, not a file", path));
  }
  std::string data;
  Status status = ReadFd(fd, path, static_cast<uint64_t>(info.st_size), &data);
  ::close(fd);
  if (!status.ok()) return status;
  return data;
}

Status WriteWholeFile(const std::string& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(fmt::format("cannot create '{}': {}", path, ErrnoText(errno)));
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return IoError(fmt::format("cannot write '{}': {}", path, ErrnoText(error)));
    }
    written += static_cast<size_t>(n);
  }
  if (::close(fd) != 0)
    return IoError(fmt::format("cannot close '{}': {}", path, ErrnoText(errno)));
  return Status::Ok();
}

Status CreateDirectories(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) return IoError(fmt::format("cannot create directory '{}': {}", path, error.message()));
  if (!std::filesystem::is_directory(path, error)) {
    return IoError(fmt::format("'{}' exists and is not a directory", path));
  }
  return Status::Ok();
}

Status WriteFilesUnder(const std::string& dir, const std::map<std::string, std::string>& files) {
  RETURN_IF_ERROR(CreateDirectories(dir));
  for (const auto& [name, contents] : files) {
    const std::filesystem::path relative(name);
    const bool escapes =
        std::any_of(relative.begin(), relative.end(),
                    [](const std::filesystem::path& part) { return part == ".."; });
    if (name.empty() || relative.is_absolute() || escapes) {
      return InvalidArgumentError(fmt::format("refusing to write output file named '{}'", name));
    }
    const std::filesystem::path full = std::filesystem::path(dir) / relative;
    if (full.has_parent_path()) RETURN_IF_ERROR(CreateDirectories(full.parent_path().string()));
    RETURN_IF_ERROR(WriteWholeFile(full.string(), contents));
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ListRegularFiles(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code error;
  if (!std::filesystem::exists(dir, error)) return names;
  std::filesystem::directory_iterator it(dir, error);
  if (error) return IoError(fmt::format("cannot list '{}': {}", dir, error.message()));
  for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
    if (it->symlink_status(error).type() == std::filesystem::file_type::regular) {
      names.push_back(it->path().filename().string());
    }
  }
  if (error) return IoError(fmt::format("cannot list '{}': {}", dir, error.message()));
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace sluice::tools
