// TcpNetwork: the production Network, non-blocking TCP over IPv4 and IPv6 on the host's Reactor.
//
// Addresses: Address.host is an IPv4 literal ("10.0.0.7"), an IPv6 literal ("::1", also
// bracketed "[::1]") or a host name, resolved by getaddrinfo (/etc/hosts, then DNS). A name
// lookup blocks the host's thread while the resolver works (literals and /etc/hosts names do
// not wait on the network). Connect tries each address of a name in turn, until one connects or
// the timeout passes. Listen binds exactly the address given, never all interfaces unless told
// ("0.0.0.0" or "::"); a name that resolves to both families binds its IPv4 address (so that
// "localhost" means 127.0.0.1); SO_REUSEADDR; IPV6_V6ONLY on IPv6 sockets; port 0: an
// ephemeral port, see Listener::port().
// Every socket is non-blocking, close-on-exec and TCP_NODELAY; writes use MSG_NOSIGNAL so a peer
// that went away gives kUnavailable (EPIPE), never SIGPIPE.
//
// Suspension: Accept, Connect, Stream::Read and Stream::Write try the syscall first and, on
// EAGAIN, park the fiber until the reactor reports readiness. Listen and Close never suspend.
// Errors: kUnavailable for refused, reset, broken or closed connections, with the peer and the OS
// message; kDeadlineExceeded when Connect times out; kAlreadyExists when Listen's port is taken;
// kNotFound for a host name with no address (kUnavailable if the resolver failed for now);
// kInvalidArgument for an empty host or a bind address no interface has; kResourceExhausted
// when out of fds or memory.
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

  // Listen never suspends. Connect: timeout_ns < 0: no timeout; 0: fail unless the connection
  // completes at once; may suspend. The protocol is not looked at (TCP carries both).
 protected:
  Result<std::unique_ptr<Listener>> DoListen(const Address& bind, Protocol protocol) override;
  Result<std::unique_ptr<Stream>> DoConnect(const Address& address, int64_t timeout_ns,
                                            Protocol protocol) override;

 private:
  Reactor& reactor_;
};

}  // namespace sluice::real
