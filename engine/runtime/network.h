// Network: reliable, ordered byte streams between hosts (TCP on real hosts; the simulator's
// SimNetwork in simulation, where latency, partitions and crashes are injected).
//
// Errors: kUnavailable when a peer is unreachable, refused, reset or the stream was closed;
// kDeadlineExceeded when a connect times out. A broken stream stays broken. Objects belong to one
// host and are used from that host's fibers only. Destructors close and never suspend.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/base/status.h"

namespace sluice {

struct Address {
  // A simulated host's name; on real hosts an IPv4 or IPv6 literal or a host name
  // (engine/runtime/real/tcp_network.h).
  std::string host;
  uint16_t port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

class Stream {
 public:
  virtual ~Stream() = default;
  // Writes all of `data` (buffered by the transport). May suspend while the send buffer is full.
  virtual Status Write(std::string_view data) = 0;
  // Appends between 1 and `max_bytes` bytes to *out. Returns the count, or 0 at orderly end of
  // stream. May suspend until bytes arrive.
  virtual Result<size_t> Read(std::string* out, size_t max_bytes) = 0;
  // Closes both directions; pending reads in other fibers fail. Never suspends. Idempotent.
  virtual void Close() = 0;
  // The peer's name ("tm2:6123" in simulation, "127.0.0.1:41234" on real hosts).
  virtual std::string PeerName() const = 0;
};

class Listener {
 public:
  virtual ~Listener() = default;
  // Waits for the next incoming connection. May suspend. Fails once the listener is closed.
  virtual Result<std::unique_ptr<Stream>> Accept() = 0;
  virtual void Close() = 0;
  // The bound port (useful with port 0 on real hosts).
  virtual uint16_t port() const = 0;
};

// What a connection speaks: Sluice's own frames between its processes (control, data, store),
// which a cluster with a shared secret authenticates (engine/rpc/authenticated_network.h), or
// HTTP (the REST API, /metrics), which checks its own bearer token.
enum class Protocol { kPeer, kHttp };

class Network {
 public:
  virtual ~Network() = default;
  // Listens on `bind` (port 0: any free port): on real hosts the one address bind.host names
  // (never every interface unless it is "0.0.0.0" or "::"); a simulated host has one address,
  // its own, whatever bind.host says. kAlreadyExists if the port is taken. Never suspends.
  Result<std::unique_ptr<Listener>> Listen(const Address& bind,
                                           Protocol protocol = Protocol::kPeer) {
    return DoListen(bind, protocol);
  }
  // Connects to `address`, giving up after timeout_ns. May suspend.
  Result<std::unique_ptr<Stream>> Connect(const Address& address, int64_t timeout_ns,
                                          Protocol protocol = Protocol::kPeer) {
    return DoConnect(address, timeout_ns, protocol);
  }

 protected:
  virtual Result<std::unique_ptr<Listener>> DoListen(const Address& bind, Protocol protocol) = 0;
  virtual Result<std::unique_ptr<Stream>> DoConnect(const Address& address, int64_t timeout_ns,
                                                    Protocol protocol) = 0;
};

class Random;
class EventLog;
class Fibers;
// Builds the Network a host's programs use over its own (real TCP or simulated): e.g. an
// AuthenticatedNetwork (engine/rpc/authenticated_network.h) when the cluster has a secret. It
// may keep references to its arguments, which live as long as the host.
using NetworkWrapper =
    std::function<std::unique_ptr<Network>(Network& inner, Random&, EventLog&, Fibers&)>;

}  // namespace sluice
