#include "tools/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "engine/base/assert.h"

namespace sluice::tools {
namespace {

constexpr int kPollIntervalMs = 10;

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void ExecInChild(pid_t parent, int null_fd, int log_fd, const char* program,
                              char* const* argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
  if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
      dup2(log_fd, STDERR_FILENO) < 0) {
    _exit(127);
  }
  execvp(program, argv);
  static const char kMessage[] = "sluice: cannot exec ";
  ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  ignored = write(STDERR_FILENO, program, std::strlen(program));
  ignored = write(STDERR_FILENO, "\n", 1);
  (void)ignored;
  _exit(127);
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

pid_t WaitBlocking(pid_t pid, int* wait_status) {
  for (;;) {
    const pid_t done = waitpid(pid, wait_status, 0);
    if (done >= 0 || errno != EINTR) return done;
  }
}

}  // namespace

Result<pid_t> SpawnSelf(const std::vector<std::string>& args, const std::string& log_path) {
  return SpawnProgram("/proc/self/exe", "sluice", args, log_path);
}

Result<pid_t> SpawnProgram(const std::string& program, const std::string& name,
                           const std::vector<std::string>& args, const std::string& log_path) {
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return IoError(fmt::format("cannot open log '{}': {}", log_path, std::strerror(errno)));
  }
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    close(log_fd);
    return IoError(fmt::format("cannot open /dev/null: {}", std::strerror(errno)));
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(name.c_str()));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  std::fflush(stdout);  // so buffered output is not written twice
  std::fflush(stderr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) ExecInChild(parent, null_fd, log_fd, program.c_str(), argv.data());
  const int fork_error = errno;
  close(log_fd);
  close(null_fd);
  if (pid < 0) return IoError(fmt::format("fork: {}", std::strerror(fork_error)));
  return pid;
}

std::optional<int> PollExit(pid_t pid) {
  SLUICE_ASSERT(pid > 0, "a started child has a pid");
  int wait_status = 0;
  for (;;) {
    const pid_t done = waitpid(pid, &wait_status, WNOHANG);
    if (done == pid) return wait_status;
    if (done == 0) return std::nullopt;
    if (errno != EINTR) return wait_status;  // ECHILD: not ours or already reaped; treat as gone
  }
}

int SignalAndWait(pid_t pid, int signal) {
  SLUICE_ASSERT(pid > 0, "a started child has a pid");
  kill(pid, signal);
  int wait_status = 0;
  WaitBlocking(pid, &wait_status);
  return wait_status;
}

int TerminateAndWait(pid_t pid, int64_t grace_ms) {
  SLUICE_ASSERT(pid > 0, "a started child has a pid");
  kill(pid, SIGTERM);
  for (int64_t waited_ms = 0; waited_ms < grace_ms; waited_ms += kPollIntervalMs) {
    if (auto wait_status = PollExit(pid)) return *wait_status;
    SleepMs(kPollIntervalMs);
  }
  return SignalAndWait(pid, SIGKILL);
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return fmt::format("exit status {}", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const int signal = WTERMSIG(wait_status);
    return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
  }
  return fmt::format("wait status {}", wait_status);
}

bool ExitedCleanly(int wait_status) {
  return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

Result<std::vector<uint16_t>> PickFreePorts(int count) {
  std::vector<int> sockets;
  std::vector<uint16_t> ports;
  Status status;
  for (int i = 0; i < count && status.ok(); ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = Loopback(0);
    socklen_t length = sizeof(address);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      status = IoError(fmt::format("cannot find a free TCP port: {}", std::strerror(errno)));
    } else {
      ports.push_back(ntohs(address.sin_port));
    }
    if (fd >= 0) sockets.push_back(fd);
  }
  for (int fd : sockets) close(fd);
  if (!status.ok()) return status;
  return ports;
}

bool AcceptsConnections(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const sockaddr_in address = Loopback(port);
  const bool connected =
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return connected;
}

void SleepMs(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace sluice::tools
