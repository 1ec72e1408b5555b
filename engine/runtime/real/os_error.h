// Helpers shared by the real runtime's OS wrappers: errno text and owned file descriptors.
#pragma once

#include <unistd.h>

#include <string>
#include <system_error>

namespace sluice::real {

// The OS message for `error` (an errno value), e.g. "Connection refused". Thread-safe.
inline std::string ErrnoMessage(int error) { return std::generic_category().message(error); }

// Owns a file descriptor and closes it on destruction unless released. Never suspends.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership; the caller closes the fd.
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace sluice::real
