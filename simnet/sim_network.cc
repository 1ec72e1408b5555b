// NetFabric: hosts, crashes, listen, connect and accept. The data path (write, read, delivery,
// close, resets) is in sim_stream.cc; latency and link faults in sim_network_faults.cc.
#include "simnet/sim_network.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <utility>

#include "engine/base/assert.h"
#include "simnet/sim_network_internal.h"

namespace sluice::sim {
NetFabric::NetFabric(SimCore& core, Random random, Options options)
    : core_(core), random_(random), options_(options) {
  SLUICE_ASSERT(options_.latency_min_ns >= 0, "latencies are non-negative");
  SLUICE_ASSERT(options_.latency_min_ns <= options_.latency_max_ns, "latency min <= max");
}

NetFabric::~NetFabric() = default;

Network& NetFabric::AddHost(HostId id, const std::string& name, Fibers& fibers,
                            const SimClock* clock) {
  SLUICE_ASSERT(id != kNoHost && hosts_.count(id) == 0, "host ids are unique and non-zero");
  SLUICE_ASSERT(host_ids_.count(name) == 0, "host names are unique");
  auto host_net = std::make_unique<HostNet>();
  host_net->name = name;
  host_net->fibers = &fibers;
  host_net->clock = clock;
  host_net->network = std::make_unique<SimNetwork>(*this, id);
  Network& network = *host_net->network;
  hosts_.emplace(id, std::move(host_net));
  host_ids_.emplace(name, id);
  return network;
}

NetFabric::HostNet& NetFabric::host(HostId id) const {
  auto it = hosts_.find(id);
  SLUICE_ASSERT(it != hosts_.end(), "unknown host id");
  return *it->second;
}

Network& NetFabric::network(HostId id) { return *host(id).network; }

void NetFabric::SetHostUp(HostId id, bool up) { host(id).up = up; }

HostId NetFabric::FindHost(const std::string& name) const {
  auto it = host_ids_.find(name);
  return it == host_ids_.end() ? kNoHost : it->second;
}

NetFabric::Connection* NetFabric::Find(uint64_t connection_id) const {
  auto it = connections_.find(connection_id);
  return it == connections_.end() ? nullptr : it->second.get();
}

uint16_t NetFabric::NextEphemeralPort(HostId id) {
  HostNet& h = host(id);
  // Bounded: at most the whole ephemeral range is probed.
  for (int tries = 0; tries <= 65535 - kEphemeralPortFirst; ++tries) {
    const uint16_t port = h.next_ephemeral_port;
    h.next_ephemeral_port = port == 65535 ? kEphemeralPortFirst : static_cast<uint16_t>(port + 1);
    if (bound_ports_.count({id, port}) == 0) return port;
  }
  SLUICE_ASSERT(false, "ephemeral ports exhausted");
  return 0;
}

void NetFabric::CrashHost(HostId id) {
  SLUICE_ASSERT(!core_.InFiber(), "crashes run in world context");
  for (auto& [connection_id, connection] : connections_) {  // id order: deterministic
    for (int side = 0; side < 2; ++side) {
      if (connection->end[side].host == id) KillEndpoint(*connection, side);
    }
  }
  std::vector<uint64_t> own;
  for (const auto& [listener_id, listener] : listeners_) {
    if (listener->host == id) own.push_back(listener_id);
  }
  for (uint64_t listener_id : own) CloseListener(listener_id);
  host(id).up = false;
}

void NetFabric::KillEndpoint(Connection& connection, int side) {
  Endpoint& dead = connection.end[side];
  if (dead.closed && dead.reset) return;
  dead.closed = true;
  dead.reset = true;
  dead.reset_pending = false;
  connection.dir[1 - side].DropReceived();
  // The peer learns of it one latency later (a reset, not an orderly FIN).
  if (connection.end[1 - side].host != dead.host) ScheduleReset(connection, 1 - side);
}

Result<std::unique_ptr<Listener>> NetFabric::Listen(HostId id, uint16_t port) {
  if (port == 0) port = NextEphemeralPort(id);
  if (bound_ports_.count({id, port}) != 0) {
    return AlreadyExistsError("listen: port " + std::to_string(port) + " on " + host(id).name +
                              " is in use");
  }
  auto state = std::make_unique<ListenerState>();
  state->id = next_listener_id_++;
  state->host = id;
  state->port = port;
  const uint64_t listener_id = state->id;
  bound_ports_.emplace(std::make_pair(id, port), listener_id);
  listeners_.emplace(listener_id, std::move(state));
  return std::unique_ptr<Listener>(std::make_unique<SimListener>(*this, listener_id, port));
}

Status NetFabric::ConnectTimedOut(HostId from, HostId to, const Address& address,
                                  int64_t deadline_ns) {
  host(from).fibers->SleepUntil(deadline_ns);
  core_.trace().Record(TraceKind::kRefuse, from, to, address.port, 2);
  return DeadlineExceededError("connect to " + address.ToString() + " timed out");
}

Result<std::unique_ptr<Stream>> NetFabric::Connect(HostId from, const Address& address,
                                                   int64_t timeout_ns) {
  // Deadlines are on the connecting host's clock.
  const int64_t now_ns = core_.now_ns();
  const int64_t host_now_ns = HostTime(from, now_ns);
  const int64_t timeout_capped_ns =
      std::clamp<int64_t>(timeout_ns, 0, std::numeric_limits<int64_t>::max() - host_now_ns);
  const int64_t deadline_ns = host_now_ns + timeout_capped_ns;
  const HostId to = FindHost(address.host);
  const int64_t latency_ns = DrawLatency(from, to == kNoHost ? from : to);
  if (to != kNoHost && ConnectBlocked(from, to)) {
    return ConnectTimedOut(from, to, address, deadline_ns);
  }
  const int64_t arrival_ns = HostTime(from, now_ns + latency_ns);
  if (arrival_ns > deadline_ns) return ConnectTimedOut(from, to, address, deadline_ns);
  host(from).fibers->SleepUntil(arrival_ns);
  if (std::uncaught_exceptions() > 0) return CancelledError("connect: fiber unwinding");
  if (to != kNoHost && ConnectBlocked(from, to)) {
    return ConnectTimedOut(from, to, address, deadline_ns);
  }
  auto bound = bound_ports_.find({to, address.port});
  ListenerState* listener = bound == bound_ports_.end() ? nullptr : listeners_[bound->second].get();
  if (to == kNoHost || !host(to).up || listener == nullptr ||
      listener->backlog.size() >= kAcceptBacklogMax) {
    core_.trace().Record(TraceKind::kRefuse, from, to, address.port, 1);
    return UnavailableError("connect to " + address.ToString() + ": connection refused");
  }
  const uint64_t connection_id = Establish(from, to, address.port, *listener);
  return std::unique_ptr<Stream>(std::make_unique<SimStream>(*this, connection_id, 0));
}

uint64_t NetFabric::Establish(HostId from, HostId to, uint16_t port, ListenerState& listener) {
  auto connection = std::make_unique<Connection>();
  connection->id = next_connection_id_++;
  connection->end[0].host = from;
  connection->end[0].port = NextEphemeralPort(from);
  connection->end[1].host = to;
  connection->end[1].port = port;
  const uint64_t connection_id = connection->id;
  core_.trace().Record(TraceKind::kConnect, connection_id, from, to, port);
  connections_.emplace(connection_id, std::move(connection));
  listener.backlog.push_back(connection_id);
  listener.acceptors.NotifyOne(*host(to).fibers);
  return connection_id;
}

Result<std::unique_ptr<Stream>> NetFabric::Accept(uint64_t listener_id) {
  ListenerState* listener = listeners_.at(listener_id).get();
  ++listener->users;
  // The last fiber out of a destroyed listener frees its state (see DestroyListener).
  struct Leave {
    NetFabric* fabric;
    ListenerState* listener;
    ~Leave() {
      if (--listener->users == 0 && listener->destroyed) fabric->listeners_.erase(listener->id);
    }
  } leave{this, listener};
  for (;;) {
    if (listener->closed) return UnavailableError("accept: listener closed");
    if (!listener->backlog.empty()) {
      const uint64_t connection_id = listener->backlog.front();
      listener->backlog.pop_front();
      SLUICE_ASSERT(Find(connection_id) != nullptr, "a backlog connection is held by its server side");
      core_.trace().Record(TraceKind::kAccept, connection_id, listener->host);
      return std::unique_ptr<Stream>(std::make_unique<SimStream>(*this, connection_id, 1));
    }
    if (!WaitOn(listener->acceptors, listener->host)) {
      return CancelledError("accept: fiber unwinding");
    }
  }
}

void NetFabric::CloseListener(uint64_t listener_id) {
  auto it = listeners_.find(listener_id);
  if (it == listeners_.end() || it->second->closed) return;
  ListenerState& listener = *it->second;
  listener.closed = true;
  bound_ports_.erase({listener.host, listener.port});
  // Connections nobody accepted: the client sees a reset.
  for (uint64_t connection_id : listener.backlog) {
    Connection* connection = Find(connection_id);
    SLUICE_ASSERT(connection != nullptr, "a stream's connection lives as long as the stream");
    KillEndpoint(*connection, 1);
    connection->end[1].attached = false;
    EraseIfDetached(connection_id);
  }
  listener.backlog.clear();
  WakeAll(listener.acceptors, listener.host);
}

void NetFabric::DestroyListener(uint64_t listener_id) {
  CloseListener(listener_id);
  auto it = listeners_.find(listener_id);
  if (it == listeners_.end()) return;
  // Fibers still inside Accept (woken by the close) free it on their way out.
  it->second->destroyed = true;
  if (it->second->users == 0) listeners_.erase(it);
}

bool NetFabric::WaitOn(WaitList& list, HostId id) {
  list.Wait(*host(id).fibers);
  return std::uncaught_exceptions() == 0;
}

void NetFabric::WakeAll(WaitList& list, HostId id) {
  if (!list.empty()) list.NotifyAll(*host(id).fibers);
}

}  // namespace sluice::sim
