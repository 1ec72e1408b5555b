// AuthenticatedNetwork: a Network that authenticates every Sluice connection of a host with the
// cluster's shared secret (security.auth.secret-file; the handshake: engine/rpc/peer_auth.h).
// The runtime puts it between the host's programs and its real or simulated network when a
// secret is configured, so every control, data and store connection is authenticated without
// its code knowing. HTTP listeners and connections (Protocol::kHttp: the REST API, /metrics)
// pass through untouched; they check a bearer token themselves.
//   - Connect authenticates at once (as the client) and returns the stream only if the server
//     proved it holds the secret; otherwise the stream is closed and the error is
//     kUnauthenticated (kUnavailable if the connection broke).
//   - An accepted stream authenticates (as the server) on its first Read or Write, in the fiber
//     that serves the connection, so a slow or silent peer never holds up Accept. A peer that
//     fails is logged ("auth.rejected", naming it), its stream closed, and the call returns
//     kUnauthenticated: the protocol above sees a broken connection and drops it, having read
//     nothing from it.
// Thread/fiber safety: as the inner network; one fiber per stream.
#pragma once

#include <memory>
#include <string>

#include "engine/runtime/event_log.h"
#include "engine/runtime/fibers.h"
#include "engine/runtime/network.h"
#include "engine/runtime/random.h"

namespace sluice {

class AuthenticatedNetwork final : public Network {
 public:
  // `inner`, `random`, `log` and `fibers` (the host's) must outlive this object and every
  // stream it hands out.
  AuthenticatedNetwork(Network& inner, std::string secret, Random& random, EventLog& log,
                       Fibers& fibers);

 protected:
  Result<std::unique_ptr<Listener>> DoListen(const Address& bind, Protocol protocol) override;
  Result<std::unique_ptr<Stream>> DoConnect(const Address& address, int64_t timeout_ns,
                                            Protocol protocol) override;

 private:
  Network& inner_;
  const std::string secret_;
  Random& random_;
  EventLog& log_;
  Fibers& fibers_;
};

}  // namespace sluice
