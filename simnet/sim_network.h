// The simulated network: reliable ordered byte streams between simulated hosts, with per-link
// latency drawn from the world PRNG, a flow-control window, partitions and crash resets.
//
// NetFabric is the world-wide network (one per World); each host sees it through its SimNetwork,
// a sluice::Network. Model, in virtual time:
// - Connect(host:port, timeout): the SYN takes one drawn link latency. Then: target unknown, down
//   or not listening (or backlog full) -> kUnavailable (refused). Partitioned (at the call or on
//   arrival) or latency > timeout -> the caller waits out the timeout, then kDeadlineExceeded.
//   Otherwise the connection is established and queued at the listener for Accept.
// - Write queues bytes with delivery time max(now + drawn latency, previous delivery time of that
//   direction), so order holds. A delivery is a world event appending to the peer's receive
//   buffer and unparking its readers. Window: a writer suspends while bytes in flight plus bytes
//   delivered but unread at the peer reach kWindowBytes, and resumes as the reader consumes.
// - Read returns 1..max bytes (fewer than available with probability short_read_probability),
//   0 at orderly end of stream (peer Close, after the data sent before it), kUnavailable after a
//   reset or a local Close. On a reset, unread and in-flight bytes are dropped.
// - Close sends FIN in order after the data written. As in TCP, closing with unread received
//   bytes, or bytes arriving at a closed endpoint, makes the peer see a reset instead.
// - Crash of a host: its endpoints die at once (no FIN); each peer sees a reset one drawn latency
//   later (bytes the crashed host sent that arrive before that are still delivered); its
//   listeners close (connections waiting in their backlog are reset).
// - Partition(a, b): connections between a and b drop all in-flight bytes and each side sees a
//   reset one drawn latency later; until then its writes suspend and its reads wait. Connects
//   between a and b time out until Heal. Partitions are symmetric.
// - PartitionOneWay(from, to): deliveries from `from` to `to` are held in flight (still counted
//   against the window); at the heal they are released in order, each about one drawn latency
//   later. The other direction flows. Resets are never held. Connects between them (either way)
//   time out.
// - ResetConnections(host): as a partition of each of its connections (drop in flight, reset
//   both sides one latency later), with no lasting effect on the links.
// - Latency of a message: drawn for its link (SetLinkLatency, else the default range), times the
//   clog factor of each clogged end, plus the active latency spikes of the link.
// Timeouts (connect) run on the connecting host's clock (SimClock, possibly skewed).
// All stream, listener and network objects belong to one host and are used from its fibers.
// Destroying a Stream (Listener) while another fiber waits in Read/Write (Accept) on it fails that
// call with kUnavailable; the state is freed when the last such fiber has left.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/runtime/fibers.h"
#include "engine/runtime/network.h"
#include "engine/runtime/random.h"
#include "engine/runtime/sync.h"
#include "simnet/sim_core.h"
#include "simnet/sim_host.h"

namespace sluice::sim {

class NetFabric {
 public:
  // Bytes in flight plus unread at the receiver, per direction, beyond which a writer suspends.
  static constexpr uint64_t kWindowBytes = 256 * 1024;
  // Established connections waiting for Accept, per listener; more are refused.
  static constexpr size_t kAcceptBacklogMax = 128;
  // Ports handed out for Listen(0) and for the connecting side of connections.
  static constexpr uint16_t kEphemeralPortFirst = 49152;

  struct Options {
    int64_t latency_min_ns = 100 * 1000;
    int64_t latency_max_ns = 2 * 1000 * 1000;
    double short_read_probability = 0.0;
  };

  // `random` draws latencies and short reads.
  NetFabric(SimCore& core, Random random, Options options);
  ~NetFabric();
  NetFabric(const NetFabric&) = delete;
  NetFabric& operator=(const NetFabric&) = delete;

  // Registers a host (down until SetHostUp) and returns its view of the network. `fibers` and
  // `clock` (the host's; null: virtual time) must outlive the fabric.
  Network& AddHost(HostId id, const std::string& name, Fibers& fibers,
                   const SimClock* clock = nullptr);
  // The host's view of the network (its Host::network).
  Network& network(HostId id);
  // Up hosts accept connections; connects to down hosts are refused.
  void SetHostUp(HostId id, bool up);
  // Kills every endpoint of the host and closes its listeners (see the model above). World
  // context. Marks the host down.
  void CrashHost(HostId id);

  // Faults (see the model above and World). Never suspend; callable from world context or fibers.
  void Partition(HostId a, HostId b);
  void PartitionOneWay(HostId from, HostId to);
  // Clears the partition a-b and both one-way partitions between them.
  void Heal(HostId a, HostId b);
  // Clears every partition, clog and latency spike.
  void HealAll();
  // Symmetric partition only.
  bool IsPartitioned(HostId a, HostId b) const;
  // Whether deliveries from `from` to `to` are cut (symmetric) or held (one way).
  bool IsBlocked(HostId from, HostId to) const;
  // Latency of the link a-b (both directions), drawn uniformly in [min_ns, max_ns].
  void SetLinkLatency(HostId a, HostId b, int64_t min_ns, int64_t max_ns);
  // factor >= 1.
  void Clog(HostId id, double factor);
  void Unclog(HostId id);
  // Returns the number of connections reset.
  size_t ResetConnections(HostId id);
  // extra_ns >= 0, duration_ns >= 0.
  void LatencySpike(HostId a, HostId b, int64_t extra_ns, int64_t duration_ns);

  // Connections whose state is still held (for tests: streams that were destroyed are released).
  size_t connection_count() const { return connections_.size(); }

 private:
  friend class SimNetwork;
  friend class SimStream;
  friend class SimListener;
  struct HostNet;
  struct Connection;
  struct ListenerState;
  class ConnectionUse;

  // Network, Stream and Listener operations (their contracts are in engine/runtime/network.h).
  Result<std::unique_ptr<Listener>> Listen(HostId host, uint16_t port);
  Result<std::unique_ptr<Stream>> Connect(HostId from, const Address& address, int64_t timeout_ns);
  Result<std::unique_ptr<Stream>> Accept(uint64_t listener_id);
  void CloseListener(uint64_t listener_id);
  void DestroyListener(uint64_t listener_id);
  Status Write(uint64_t connection_id, int side, std::string_view data);
  Result<size_t> Read(uint64_t connection_id, int side, std::string* out, size_t max_bytes);
  void Close(uint64_t connection_id, int side);
  void Detach(uint64_t connection_id, int side);
  std::string PeerName(uint64_t connection_id, int side) const;

  // Internals.
  HostNet& host(HostId id) const;
  HostId FindHost(const std::string& name) const;
  Connection* Find(uint64_t connection_id) const;
  int64_t DrawLatency(HostId a, HostId b);
  int64_t HostTime(HostId id, int64_t virtual_ns) const;
  bool ConnectBlocked(HostId a, HostId b) const;
  void BreakConnection(Connection& connection);
  void ReleaseHeld();
  uint16_t NextEphemeralPort(HostId id);
  Status ConnectTimedOut(HostId from, HostId to, const Address& address, int64_t deadline_ns);
  uint64_t Establish(HostId from, HostId to, uint16_t port, ListenerState& listener);
  void Send(Connection& connection, int side, std::string bytes, bool fin);
  void Deliver(uint64_t key);
  size_t Consume(Connection& connection, int side, std::string* out, size_t max_bytes);
  void ScheduleReset(Connection& connection, int side);
  void ResetEndpoint(uint64_t key);
  void KillEndpoint(Connection& connection, int side);
  void EraseIfDetached(uint64_t connection_id);
  // Waits on `list` as a fiber of `host`. False if the fiber is unwinding (do not retry then).
  bool WaitOn(WaitList& list, HostId host);
  void WakeAll(WaitList& list, HostId host);

  SimCore& core_;
  Random random_;
  Options options_;
  std::map<HostId, std::unique_ptr<HostNet>> hosts_;
  std::map<std::string, HostId> host_ids_;
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::map<uint64_t, std::unique_ptr<ListenerState>> listeners_;
  std::map<std::pair<HostId, uint16_t>, uint64_t> bound_ports_;  // -> listener id
  std::set<std::pair<HostId, HostId>> partitions_;               // (smaller id, larger id)
  std::set<std::pair<HostId, HostId>> one_way_;                  // (from, to): held
  std::map<std::pair<HostId, HostId>, std::pair<int64_t, int64_t>> link_latency_ns_;
  std::map<HostId, double> clog_factor_;
  struct Spike {
    int64_t until_ns;
    int64_t extra_ns;
  };
  std::map<std::pair<HostId, HostId>, std::vector<Spike>> spikes_;  // (smaller id, larger id)
  uint64_t next_connection_id_ = 1;
  uint64_t next_listener_id_ = 1;
};

// One host's sluice::Network over the fabric. Listen never suspends; Connect may.
class SimNetwork final : public Network {
 public:
  SimNetwork(NetFabric& fabric, HostId host) : fabric_(fabric), host_(host) {}

 protected:
  // A simulated host has one address: bind.host is not looked at.
  Result<std::unique_ptr<Listener>> DoListen(const Address& bind, Protocol) override {
    return fabric_.Listen(host_, bind.port);
  }
  Result<std::unique_ptr<Stream>> DoConnect(const Address& address, int64_t timeout_ns,
                                            Protocol) override {
    return fabric_.Connect(host_, address, timeout_ns);
  }

 private:
  NetFabric& fabric_;
  const HostId host_;
};

}  // namespace sluice::sim
