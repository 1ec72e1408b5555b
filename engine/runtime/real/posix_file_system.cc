#include "engine/runtime/real/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "engine/base/assert.h"
#include "engine/runtime/real/os_error.h"

namespace sluice::real {
namespace {

// Bytes read per read(2) call in ReadFile.
constexpr size_t kReadChunkBytes = 64 * 1024;
constexpr mode_t kFileMode = 0644;
constexpr mode_t kDirMode = 0755;

// A failed Append or Sync leaves the file failed: after a failed fdatasync the kernel may have
// dropped the dirty pages and marked them clean, so a retried Sync could "succeed" over lost data.
class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    RETURN_IF_ERROR(CheckUsable("append to"));
    size_t written = 0;
    while (written < data.size()) {
      const ssize_t n = ::write(fd_, data.data() + written, data.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Fail("append to", errno);
      written += static_cast<size_t>(n);
    }
    SLUICE_ASSERT(written == data.size(), "the write loop ends only when all bytes are written");
    return Status::Ok();
  }

  Status Sync() override {
    RETURN_IF_ERROR(CheckUsable("sync"));
    if (::fdatasync(fd_) != 0) return Fail("sync", errno);
    return Status::Ok();
  }

  // Idempotent. Does not sync.
  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    const int fd = fd_;
    fd_ = -1;
    // Linux releases the fd even when close fails (EIO from NFS, say); never retry it.
    if (::close(fd) != 0 && errno != EINTR) return PosixError("close", path_, errno);
    return Status::Ok();
  }

 private:
  Status CheckUsable(const char* operation) const {
    if (!error_.ok()) return error_;
    if (fd_ < 0) return FailedPreconditionError(std::string(operation) + " " + path_ + ": closed");
    return Status::Ok();
  }
  Status Fail(const char* operation, int error) {
    error_ = PosixError(operation, path_, error);
    return error_;
  }

  int fd_;
  std::string path_;
  Status error_;
};

// open(2) with EINTR retried; returns the fd or -1 with errno set.
int OpenRetrying(const std::string& path, int flags, mode_t mode = 0) {
  for (;;) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0 || errno != EINTR) return fd;
  }
}

// Reads from `fd` at `offset` (pread) into *out until `max_bytes` or end of file.
Status PreadLoop(int fd, const std::string& path, uint64_t offset, uint64_t max_bytes,
                 std::string* out) {
  out->resize(static_cast<size_t>(max_bytes));
  size_t done = 0;
  while (done < max_bytes) {
    const ssize_t n = ::pread(fd, out->data() + done, static_cast<size_t>(max_bytes) - done,
                              static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return PosixError("read", path, errno);
    if (n == 0) break;  // the file shrank since fstat
    done += static_cast<size_t>(n);
  }
  out->resize(done);
  return Status::Ok();
}

}  // namespace

Status PosixError(const std::string& operation, const std::string& path, int error) {
  std::string message = operation + " " + path + ": " + ErrnoMessage(error);
  if (error == ENOENT) return NotFoundError(std::move(message));
  if (error == ENOSPC || error == EDQUOT) return ResourceExhaustedError(std::move(message));
  return IoError(std::move(message));
}

std::string PosixFileSystem::Resolve(const std::string& path) const {
  if (root_dir_.empty() || (!path.empty() && path.front() == '/')) return path;
  if (path.empty()) return root_dir_;
  if (root_dir_.back() == '/') return root_dir_ + path;
  return root_dir_ + "/" + path;
}

Result<std::unique_ptr<WritableFile>> PosixFileSystem::OpenAppendable(const std::string& path,
                                                                      bool truncate) {
  const std::string resolved = Resolve(path);
  const int flags = O_WRONLY | O_CREAT | O_APPEND | (truncate ? O_TRUNC : 0);
  const int fd = OpenRetrying(resolved, flags, kFileMode);
  if (fd < 0) return PosixError("open for append", resolved, errno);
  return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(fd, resolved));
}

Result<std::string> PosixFileSystem::ReadFile(const std::string& path) {
  const std::string resolved = Resolve(path);
  UniqueFd fd(OpenRetrying(resolved, O_RDONLY));
  if (!fd.valid()) return PosixError("open for read", resolved, errno);
  std::string contents;
  for (;;) {
    const size_t old_size = contents.size();
    contents.resize(old_size + kReadChunkBytes);
    const ssize_t n = ::read(fd.get(), contents.data() + old_size, kReadChunkBytes);
    contents.resize(old_size + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    if (n == 0) return contents;
    if (n < 0 && errno != EINTR) return PosixError("read", resolved, errno);
  }
}

Result<std::string> PosixFileSystem::ReadRange(const std::string& path, uint64_t offset,
                                               uint64_t max_bytes) {
  const std::string resolved = Resolve(path);
  UniqueFd fd(OpenRetrying(resolved, O_RDONLY));
  if (!fd.valid()) return PosixError("open for read", resolved, errno);
  struct stat info;
  if (::fstat(fd.get(), &info) != 0) return PosixError("stat", resolved, errno);
  const uint64_t size = static_cast<uint64_t>(info.st_size);
  std::string contents;
  if (offset >= size) return contents;
  RETURN_IF_ERROR(
      PreadLoop(fd.get(), resolved, offset, std::min(max_bytes, size - offset), &contents));
  SLUICE_ASSERT(contents.size() <= max_bytes, "a read returns at most max_bytes");
  return contents;
}

Result<uint64_t> PosixFileSystem::FileSize(const std::string& path) {
  const std::string resolved = Resolve(path);
  struct stat info;
  if (::stat(resolved.c_str(), &info) != 0) return PosixError("stat", resolved, errno);
  SLUICE_ASSERT(info.st_size >= 0, "fstat reports a non-negative size");
  return static_cast<uint64_t>(info.st_size);
}

Result<bool> PosixFileSystem::Exists(const std::string& path) {
  const std::string resolved = Resolve(path);
  struct stat info;
  if (::stat(resolved.c_str(), &info) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return PosixError("stat", resolved, errno);
}

Status PosixFileSystem::Rename(const std::string& from, const std::string& to) {
  const std::string resolved_from = Resolve(from);
  const std::string resolved_to = Resolve(to);
  if (::rename(resolved_from.c_str(), resolved_to.c_str()) != 0) {
    return PosixError("rename " + resolved_from + " to", resolved_to, errno);
  }
  return Status::Ok();
}

Status PosixFileSystem::Remove(const std::string& path) {
  const std::string resolved = Resolve(path);
  if (::unlink(resolved.c_str()) == 0) return Status::Ok();
  // Linux says EISDIR for a directory; POSIX allows EPERM.
  if (errno != EISDIR && errno != EPERM) return PosixError("remove", resolved, errno);
  if (::rmdir(resolved.c_str()) != 0) return PosixError("remove directory", resolved, errno);
  return Status::Ok();
}

Result<std::vector<std::string>> PosixFileSystem::List(const std::string& dir) {
  const std::string resolved = Resolve(dir);
  DIR* handle = ::opendir(resolved.c_str());
  if (handle == nullptr) return PosixError("list", resolved, errno);
  std::vector<std::string> names;
  int error = 0;
  for (;;) {
    errno = 0;
    const struct dirent* entry = ::readdir(handle);
    if (entry == nullptr) {
      error = errno;
      break;
    }
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(handle);
  if (error != 0) return PosixError("list", resolved, error);
  std::sort(names.begin(), names.end());
  return names;
}

Status PosixFileSystem::CreateDir(const std::string& dir) {
  const std::string resolved = Resolve(dir);
  // mkdir -p: each prefix ending before a '/', then the whole path. EEXIST is fine here; whether
  // the final name is really a directory is checked at the end.
  for (size_t slash = resolved.find('/', 1);; slash = resolved.find('/', slash + 1)) {
    const std::string prefix = resolved.substr(0, slash);
    if (!prefix.empty() && prefix.back() != '/' && ::mkdir(prefix.c_str(), kDirMode) != 0 &&
        errno != EEXIST) {
      return PosixError("create directory", prefix, errno);
    }
    if (slash == std::string::npos) break;
  }
  struct stat info;
  if (::stat(resolved.c_str(), &info) != 0) return PosixError("create directory", resolved, errno);
  if (!S_ISDIR(info.st_mode)) return PosixError("create directory", resolved, ENOTDIR);
  return Status::Ok();
}

Status PosixFileSystem::SyncDir(const std::string& dir) {
  const std::string resolved = Resolve(dir);
  UniqueFd fd(OpenRetrying(resolved, O_RDONLY | O_DIRECTORY));
  if (!fd.valid()) return PosixError("open directory", resolved, errno);
  if (::fsync(fd.get()) != 0) return PosixError("sync directory", resolved, errno);
  return Status::Ok();
}

}  // namespace sluice::real
