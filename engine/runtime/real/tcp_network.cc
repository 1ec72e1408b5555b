#include "engine/runtime/real/tcp_network.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>
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

// "127.0.0.1:6123" or "[::1]:6123".
std::string FormatAddress(const struct sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const struct sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(v6.sin6_port));
  }
  const auto& v4 = reinterpret_cast<const struct sockaddr_in&>(address);
  inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
  return std::string(text) + ":" + std::to_string(ntohs(v4.sin_port));
}

struct SocketAddress {
  struct sockaddr_storage storage = {};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
  const struct sockaddr* get() const { return reinterpret_cast<const struct sockaddr*>(&storage); }
};

// The addresses `address` names, in getaddrinfo's order (IPv4 and IPv6; a literal is taken as
// is, a name goes through the resolver: /etc/hosts, then DNS). `what` prefixes errors:
// kInvalidArgument for an empty host, kNotFound for a name with no address, kUnavailable when
// the resolver fails for now (EAI_AGAIN).
Result<std::vector<SocketAddress>> Resolve(const Address& address, const std::string& what) {
  if (address.host.empty()) return InvalidArgumentError(what + ": no host given");
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  struct addrinfo* found = nullptr;
  // An IPv6 literal may come bracketed, as in URLs: "[::1]".
  std::string host = address.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(address.port).c_str(), &hints, &found);
  if (rc != 0) {
    const std::string message = what + ": cannot resolve host '" + address.host + "': " + gai_strerror(rc);
    if (rc == EAI_AGAIN) return UnavailableError(message);
    if (rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_FAMILY) return NotFoundError(message);
    return InvalidArgumentError(message);
  }
  std::vector<SocketAddress> addresses;
  for (const struct addrinfo* info = found; info != nullptr; info = info->ai_next) {
    if ((info->ai_family != AF_INET && info->ai_family != AF_INET6) ||
        info->ai_addrlen > sizeof(sockaddr_storage)) {
      continue;
    }
    SocketAddress resolved;
    std::memcpy(&resolved.storage, info->ai_addr, info->ai_addrlen);
    resolved.length = info->ai_addrlen;
    addresses.push_back(resolved);
  }
  ::freeaddrinfo(found);
  if (addresses.empty()) {
    return NotFoundError(what + ": host '" + address.host + "' has no IPv4 or IPv6 address");
  }
  return addresses;
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
  Status ConnectTo(const SocketAddress& target, int64_t deadline_ns);

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

Status TcpStream::ConnectTo(const SocketAddress& target, int64_t deadline_ns) {
  if (::connect(socket_.fd(), target.get(), target.length) == 0) return Status::Ok();
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
    struct sockaddr_storage peer = {};
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

Result<std::unique_ptr<Listener>> TcpNetwork::DoListen(const Address& bind, Protocol) {
  const std::string where = "listen on " + bind.ToString();
  ASSIGN_OR_RETURN(std::vector<SocketAddress> addresses, Resolve(bind, where));
  // One address: a name that resolves to both families binds its IPv4 one (as "localhost" is
  // written in configs meaning 127.0.0.1); clients try every address of a name (Connect).
  const auto ipv4 = std::find_if(addresses.begin(), addresses.end(),
                                 [](const SocketAddress& a) { return a.family() == AF_INET; });
  SocketAddress address = ipv4 != addresses.end() ? *ipv4 : addresses.front();
  UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return SocketSetupError(where, errno);
  const int one = 1;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return SocketSetupError(where, errno);
  }
  if (address.family() == AF_INET6 &&
      setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) {
    return SocketSetupError(where, errno);
  }
  if (::bind(fd.get(), address.get(), address.length) != 0 ||
      ::listen(fd.get(), kListenBacklog) != 0) {
    const int error = errno;
    if (error == EADDRINUSE) return AlreadyExistsError(where + ": " + ErrnoMessage(error));
    if (error == EADDRNOTAVAIL) {
      return InvalidArgumentError(where + ": no interface of this machine has that address");
    }
    return SocketSetupError(where, error);
  }
  socklen_t length = sizeof(address.storage);
  if (getsockname(fd.get(), reinterpret_cast<struct sockaddr*>(&address.storage), &length) != 0) {
    return SocketSetupError(where, errno);
  }
  const uint16_t bound_port =
      ntohs(address.family() == AF_INET6
                ? reinterpret_cast<const struct sockaddr_in6&>(address.storage).sin6_port
                : reinterpret_cast<const struct sockaddr_in&>(address.storage).sin_port);
  SLUICE_ASSERT(bound_port != 0, "the kernel assigned a port");
  SLUICE_ASSERT(bind.port == 0 || bound_port == bind.port, "a requested port is the one bound");
  ASSIGN_OR_RETURN(const Reactor::FdToken token, reactor_.RegisterFd(fd.get()));
  return std::unique_ptr<Listener>(
      std::make_unique<TcpListener>(reactor_, fd.Release(), token, bound_port));
}

Result<std::unique_ptr<Stream>> TcpNetwork::DoConnect(const Address& address, int64_t timeout_ns,
                                                      Protocol) {
  ASSIGN_OR_RETURN(std::vector<SocketAddress> targets,
                   Resolve(address, "connect to " + address.ToString()));
  const int64_t deadline_ns = timeout_ns < 0 ? -1 : reactor_.clock().NowNs() + timeout_ns;
  Status last;
  for (const SocketAddress& target : targets) {  // each address of the name in turn
    const int fd = ::socket(target.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return SocketSetupError("connect to " + address.ToString(), errno);
    ASSIGN_OR_RETURN(auto stream, MakeStream(reactor_, fd, FormatAddress(target.storage)));
    last = stream->ConnectTo(target, deadline_ns);
    if (last.ok()) return std::unique_ptr<Stream>(std::move(stream));
    if (last.code() == StatusCode::kDeadlineExceeded) break;
  }
  return last;
}

}  // namespace sluice::real
