// TcpNetwork: the production Network, non-blocking TCP over IPv4 on the host's Reactor.
//
// Addresses: Address.host is an IPv4 literal ("10.0.0.7") or "localhost" (127.0.0.1); no DNS.
// Listen binds 0.0.0.0:port with SO_REUSEADDR (port 0: an ephemeral port, see Listener::port()).
// Every socket is non-blocking, close-on-exec and TCP_NODELAY; writes use MSG_NOSIGNAL so a peer
// that went away gives kUnavailable (EPIPE), never SIGPIPE.
//
// Suspension: Accept, Connect, Stream::Read and Stream::Write try the syscall first and, on
// EAGAIN, park the fiber until the reactor reports readiness. Listen and Close never suspend.
// Errors: kUnavailable for refused, reset, broken or closed connections, with the peer and the OS
// message; kDeadlineExceeded when Connect times out; kAlreadyExists when Listen's port is taken;
// kInvalidArgument for an address that is not IPv4; kResourceExhausted when out of fds or memory.
// A stream that failed stays failed (every later call returns the first error).
//
// Close is idempotent and wakes fibers blocked in Read/Write/Accept on that object; they return
// kUnavailable. Objects must not be destroyed while another fiber is blocked in them, and must not
// outlive the Reactor. One host thread only.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/runtime/network.h"
#include "engine/runtime/real/reactor.h"

namespace sluice::real {

class TcpNetwork final : public Network {
 public:
  explicit TcpNetwork(Reactor& reactor) : reactor_(reactor) {}

  // Never suspends.
  Result<std::unique_ptr<Listener>> Listen(uint16_t port) override;
  // timeout_ns < 0: no timeout; 0: fail unless the connection completes at once. May suspend.
  Result<std::unique_ptr<Stream>> Connect(const Address& address, int64_t timeout_ns) override;

 private:
  Reactor& reactor_;
};

}  // namespace sluice::real
