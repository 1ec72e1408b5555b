#include "engine/runtime/real/tcp_network.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include "engine/base/assert.h"
#include "engine/runtime/real/os_error.h"

namespace sluice::real {
namespace {

// Pending connections the kernel queues per listener before refusing more.
constexpr int kListenBacklog = 512;
// Bytes asked of the kernel per Read call (the caller's max_bytes may lower it).
constexpr size_t kReadChunkBytesMax = 64 * 1024;

Status SocketSetupError(const std::string& what, int error) {
  std::string message = what + ": " + ErrnoMessage(error);
  if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
    return ResourceExhaustedError(std::move(message));
  }
  return UnavailableError(std::move(message));
}

std::string FormatAddress(const struct sockaddr_in& address) {
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &address.sin_addr, text, sizeof(text));
  return std::string(text) + ":" + std::to_string(ntohs(address.sin_port));
}

Result<struct sockaddr_in> ParseIpv4(const Address& address) {
  struct sockaddr_in result = {};
  result.sin_family = AF_INET;
  result.sin_port = htons(address.port);
  const std::string host = address.host == "localhost" ? "127.0.0.1" : address.host;
  if (inet_pton(AF_INET, host.c_str(), &result.sin_addr) != 1) {
    return InvalidArgumentError("connect to " + address.ToString() +
                                ": the host is neither an IPv4 literal nor \"localhost\"");
  }
  return result;
}

// A non-blocking socket registered with the reactor. Close unregisters (waking waiters), then
// closes the fd. Never suspends except in Wait.
class ReactorSocket {
 public:
  ReactorSocket(Reactor& reactor, int fd, Reactor::FdToken token)
      : reactor_(reactor), fd_(fd), token_(token) {}
  ~ReactorSocket() { Close(); }
  ReactorSocket(const ReactorSocket&) = delete;
  ReactorSocket& operator=(const ReactorSocket&) = delete;

  int fd() const { return fd_; }
  bool closed() const { return fd_ < 0; }
  void Close() {
    if (fd_ < 0) return;
    reactor_.UnregisterFd(token_);
    ::close(fd_);
    fd_ = -1;
  }
  // See Reactor::WaitFd. May suspend.
  bool Wait(Reactor::Direction direction, int64_t deadline_ns) {
    return reactor_.WaitFd(token_, direction, deadline_ns);
  }

 private:
  Reactor& reactor_;
  int fd_;
  Reactor::FdToken token_;
};

class TcpStream final : public Stream {
 public:
  TcpStream(Reactor& reactor, int fd, Reactor::FdToken token, std::string peer_name)
      : socket_(reactor, fd, token), peer_name_(std::move(peer_name)) {}

  Status Write(std::string_view data) override;
  Result<size_t> Read(std::string* out, size_t max_bytes) override;
  void Close() override { socket_.Close(); }
  std::string PeerName() const override { return peer_name_; }

  // Connects the (fresh) socket to `target`, waiting until deadline_ns (< 0: none). May suspend.
  Status ConnectTo(const struct sockaddr_in& target, int64_t deadline_ns);

 private:
  // The first error, or kUnavailable once closed, or OK.
  Status CheckUsable() const;
  // Records the first error of `operation` ("read from") and returns it.
  Status Fail(const char* operation, int error);

  ReactorSocket socket_;
  std::string peer_name_;
  Status error_;
};

// Takes ownership of connected or connecting socket `fd`: TCP_NODELAY, reactor registration.
Result<std::unique_ptr<TcpStream>> MakeStream(Reactor& reactor, int fd, std::string peer_name) {
  UniqueFd owned(fd);
  const int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
    return SocketSetupError("TCP_NODELAY for " + peer_name, errno);
  }
  auto token = reactor.RegisterFd(fd);
  if (!token.ok()) return token.status().WithContext("stream to " + peer_name);
  return std::make_unique<TcpStream>(reactor, owned.Release(), token.value(), std::move(peer_name));
}

Status TcpStream::CheckUsable() const {
  if (!error_.ok()) return error_;
  if (socket_.closed()) return UnavailableError("stream to " + peer_name_ + " is closed");
  return Status::Ok();
}

Status TcpStream::Fail(const char* operation, int error) {
  SLUICE_ASSERT(error_.ok(), "a failed stream is not used again");
  error_ = UnavailableError(std::string(operation) + " " + peer_name_ + ": " + ErrnoMessage(error));
  return error_;
}

Status TcpStream::Write(std::string_view data) {
  size_t written = 0;
  while (written < data.size()) {
    RETURN_IF_ERROR(CheckUsable());
    const ssize_t n =
        ::send(socket_.fd(), data.data() + written, data.size() - written, MSG_NOSIGNAL);
    if (n >= 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Fail("write to", errno);
    socket_.Wait(Reactor::Direction::kWritable, /*deadline_ns=*/-1);
  }
  SLUICE_ASSERT(written == data.size(), "the write loop ends only when all bytes are written");
  return Status::Ok();
}

Result<size_t> TcpStream::Read(std::string* out, size_t max_bytes) {
  SLUICE_ASSERT(out != nullptr, "Read is given a buffer");
  SLUICE_ASSERT(max_bytes > 0, "a read of 0 bytes could not tell data from end of stream");
  const size_t chunk_bytes = std::min(max_bytes, kReadChunkBytesMax);
  const size_t old_size = out->size();
  for (;;) {
    RETURN_IF_ERROR(CheckUsable());
    out->resize(old_size + chunk_bytes);
    const ssize_t n = ::recv(socket_.fd(), out->data() + old_size, chunk_bytes, 0);
    out->resize(old_size + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    if (n >= 0) return static_cast<size_t>(n);  // 0: orderly end of stream
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Fail("read from", errno);
    socket_.Wait(Reactor::Direction::kReadable, /*deadline_ns=*/-1);
  }
}

Status TcpStream::ConnectTo(const struct sockaddr_in& target, int64_t deadline_ns) {
  const auto* address = reinterpret_cast<const struct sockaddr*>(&target);
  if (::connect(socket_.fd(), address, sizeof(target)) == 0) return Status::Ok();
  // EINTR: the handshake goes on in the background, exactly as with EINPROGRESS.
  if (errno != EINPROGRESS && errno != EINTR) return Fail("connect to", errno);
  for (;;) {
    // Readiness from the reactor may be stale (the edge of registration); poll says for sure.
    struct pollfd check = {socket_.fd(), POLLOUT, 0};
    const int ready = ::poll(&check, 1, /*timeout_ms=*/0);
    if (ready > 0) break;
    if (ready < 0 && errno != EINTR) return Fail("connect to", errno);
    if (!socket_.Wait(Reactor::Direction::kWritable, deadline_ns)) {
      error_ = DeadlineExceededError("connect to " + peer_name_ + ": timed out");
      return error_;
    }
    if (socket_.closed()) return CheckUsable();
  }
  int error = 0;
  socklen_t length = sizeof(error);
  if (getsockopt(socket_.fd(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error != 0) return Fail("connect to", error);
  return Status::Ok();
}

class TcpListener final : public Listener {
 public:
  TcpListener(Reactor& reactor, int fd, Reactor::FdToken token, uint16_t port)
      : reactor_(reactor), socket_(reactor, fd, token), port_(port) {}

  Result<std::unique_ptr<Stream>> Accept() override;
  void Close() override { socket_.Close(); }
  uint16_t port() const override { return port_; }

 private:
  Reactor& reactor_;
  ReactorSocket socket_;
  uint16_t port_;
};

// Errors accept(2) reports for one pending connection that broke before we took it; the listener
// itself is fine, so Accept moves on to the next connection.
bool IsPendingConnectionError(int error) {
  switch (error) {
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
    case EINTR:
      return true;
    default:
      return false;
  }
}

Result<std::unique_ptr<Stream>> TcpListener::Accept() {
  const std::string where = "accept on port " + std::to_string(port_);
  for (;;) {
    if (socket_.closed()) return UnavailableError(where + ": the listener is closed");
    struct sockaddr_in peer = {};
    socklen_t length = sizeof(peer);
    const int fd = ::accept4(socket_.fd(), reinterpret_cast<struct sockaddr*>(&peer), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      ASSIGN_OR_RETURN(auto stream, MakeStream(reactor_, fd, FormatAddress(peer)));
      return std::unique_ptr<Stream>(std::move(stream));
    }
    const int error = errno;
    if (IsPendingConnectionError(error)) continue;
    if (error != EAGAIN && error != EWOULDBLOCK) return SocketSetupError(where, error);
    socket_.Wait(Reactor::Direction::kReadable, /*deadline_ns=*/-1);
  }
}

}  // namespace

Result<std::unique_ptr<Listener>> TcpNetwork::Listen(uint16_t port) {
  const std::string where = "listen on port " + std::to_string(port);
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return SocketSetupError(where, errno);
  const int one = 1;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return SocketSetupError(where, errno);
  }
  struct sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = htons(port);
  if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(fd.get(), kListenBacklog) != 0) {
    const int error = errno;
    if (error == EADDRINUSE) return AlreadyExistsError(where + ": " + ErrnoMessage(error));
    return SocketSetupError(where, error);
  }
  socklen_t length = sizeof(address);
  if (getsockname(fd.get(), reinterpret_cast<struct sockaddr*>(&address), &length) != 0) {
    return SocketSetupError(where, errno);
  }
  const uint16_t bound_port = ntohs(address.sin_port);
  SLUICE_ASSERT(bound_port != 0, "the kernel assigned a port");
  SLUICE_ASSERT(port == 0 || bound_port == port, "a requested port is the one bound");
  ASSIGN_OR_RETURN(const Reactor::FdToken token, reactor_.RegisterFd(fd.get()));
  return std::unique_ptr<Listener>(
      std::make_unique<TcpListener>(reactor_, fd.Release(), token, bound_port));
}

Result<std::unique_ptr<Stream>> TcpNetwork::Connect(const Address& address, int64_t timeout_ns) {
  ASSIGN_OR_RETURN(const struct sockaddr_in target, ParseIpv4(address));
  const int64_t deadline_ns = timeout_ns < 0 ? -1 : reactor_.clock().NowNs() + timeout_ns;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return SocketSetupError("connect to " + address.ToString(), errno);
  ASSIGN_OR_RETURN(auto stream, MakeStream(reactor_, fd, FormatAddress(target)));
  RETURN_IF_ERROR(stream->ConnectTo(target, deadline_ns));
  return std::unique_ptr<Stream>(std::move(stream));
}

}  // namespace sluice::real
