// NetFabric's latency model and link faults: latency draws (link ranges, clogs, spikes),
// partitions (symmetric and one-way), heals, connection resets.
#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/base/assert.h"
#include "simnet/sim_network.h"
#include "simnet/sim_network_internal.h"

namespace sluice::sim {
namespace {

// Bounds that keep a drawn latency far from int64 overflow.
constexpr double kClogFactorMax = 1e6;

}  // namespace

int64_t NetFabric::DrawLatency(HostId a, HostId b) {
  // Exactly one draw per latency, whatever the faults: they never shift the PRNG stream.
  auto it = link_latency_ns_.find(LinkKey(a, b));
  int64_t latency_ns = it == link_latency_ns_.end()
                           ? random_.UniformRange(options_.latency_min_ns, options_.latency_max_ns)
                           : random_.UniformRange(it->second.first, it->second.second);
  if (!clog_factor_.empty()) {
    double factor = 1.0;
    if (auto clog = clog_factor_.find(a); clog != clog_factor_.end()) factor *= clog->second;
    if (auto clog = clog_factor_.find(b); b != a && clog != clog_factor_.end()) {
      factor *= clog->second;
    }
    latency_ns = std::llround(static_cast<double>(latency_ns) * factor);
  }
  if (auto spikes = spikes_.find(LinkKey(a, b)); spikes != spikes_.end()) {
    for (const Spike& spike : spikes->second) {
      if (spike.until_ns > core_.now_ns()) latency_ns += spike.extra_ns;
    }
  }
  SLUICE_ASSERT(latency_ns >= 0, "a latency is non-negative");
  return latency_ns;
}

int64_t NetFabric::HostTime(HostId id, int64_t virtual_ns) const {
  const SimClock* clock = host(id).clock;
  return clock == nullptr ? virtual_ns : clock->ToHost(virtual_ns);
}

void NetFabric::SetLinkLatency(HostId a, HostId b, int64_t min_ns, int64_t max_ns) {
  SLUICE_ASSERT(min_ns >= 0 && min_ns <= max_ns, "latency range must be 0 <= min <= max");
  link_latency_ns_[LinkKey(a, b)] = {min_ns, max_ns};
}

bool NetFabric::IsPartitioned(HostId a, HostId b) const {
  return partitions_.count(LinkKey(a, b)) != 0;
}

bool NetFabric::IsBlocked(HostId from, HostId to) const {
  if (partitions_.empty() && one_way_.empty()) return false;  // the delivery fast path
  return IsPartitioned(from, to) || one_way_.count({from, to}) != 0;
}

bool NetFabric::ConnectBlocked(HostId a, HostId b) const {
  return IsBlocked(a, b) || IsBlocked(b, a);
}

void NetFabric::BreakConnection(Connection& connection) {
  connection.broken = true;
  for (Direction& d : connection.dir) d.DropInFlight();
  ScheduleReset(connection, 0);
  ScheduleReset(connection, 1);
  SLUICE_ASSERT(connection.dir[0].in_flight.empty(), "a broken connection holds no segments");
  SLUICE_ASSERT(connection.dir[1].in_flight.empty(), "a broken connection holds no segments");
}

void NetFabric::Partition(HostId a, HostId b) {
  SLUICE_ASSERT(a != b, "a host cannot be partitioned from itself");
  partitions_.insert(LinkKey(a, b));
  for (auto& [connection_id, connection] : connections_) {  // id order: deterministic
    const HostId x = connection->end[0].host;
    const HostId y = connection->end[1].host;
    if (LinkKey(x, y) == LinkKey(a, b)) BreakConnection(*connection);
  }
}

void NetFabric::PartitionOneWay(HostId from, HostId to) {
  SLUICE_ASSERT(from != to, "a host cannot be partitioned from itself");
  // Nothing to do to connections now: deliveries check IsBlocked when they fall due.
  one_way_.insert({from, to});
}

void NetFabric::Heal(HostId a, HostId b) {
  partitions_.erase(LinkKey(a, b));
  one_way_.erase({a, b});
  one_way_.erase({b, a});
  ReleaseHeld();
}

void NetFabric::HealAll() {
  partitions_.clear();
  one_way_.clear();
  clog_factor_.clear();
  spikes_.clear();
  ReleaseHeld();
}

void NetFabric::ReleaseHeld() {
  for (auto& [connection_id, connection] : connections_) {  // id order: deterministic
    for (int side = 0; side < 2; ++side) {
      Direction& d = connection->dir[side];
      const HostId from = connection->end[side].host;
      const HostId to = connection->end[1 - side].host;
      if (d.held_segments == 0 || IsBlocked(from, to)) continue;
      SLUICE_ASSERT(d.held_segments <= d.in_flight.size(), "each held segment is in flight");
      const uint64_t key = SideKey(connection_id, side);
      // One new delivery event per held segment, each delivering the front one: order holds.
      for (; d.held_segments > 0; --d.held_segments) {
        const int64_t at_ns = std::max(core_.now_ns() + DrawLatency(from, to), d.last_delivery_ns);
        d.last_delivery_ns = at_ns;
        core_.At(at_ns, [this, key] { Deliver(key); });
      }
    }
  }
}

void NetFabric::Clog(HostId id, double factor) {
  SLUICE_ASSERT(factor >= 1.0 && factor <= kClogFactorMax, "clog factor in [1, 1e6]");
  host(id);  // validates the id
  clog_factor_[id] = factor;
}

void NetFabric::Unclog(HostId id) { clog_factor_.erase(id); }

size_t NetFabric::ResetConnections(HostId id) {
  size_t reset = 0;
  for (auto& [connection_id, connection] : connections_) {  // id order: deterministic
    if (connection->end[0].host != id && connection->end[1].host != id) continue;
    if (connection->end[0].reset && connection->end[1].reset) continue;  // already dead
    BreakConnection(*connection);
    ++reset;
  }
  return reset;
}

void NetFabric::LatencySpike(HostId a, HostId b, int64_t extra_ns, int64_t duration_ns) {
  SLUICE_ASSERT(extra_ns >= 0 && duration_ns >= 0, "a spike adds >= 0 ns for >= 0 ns");
  std::vector<Spike>& spikes = spikes_[LinkKey(a, b)];
  // Expired spikes are dropped here, so the list stays as long as the spikes that overlap.
  std::erase_if(spikes, [this](const Spike& spike) { return spike.until_ns <= core_.now_ns(); });
  if (extra_ns > 0 && duration_ns > 0) spikes.push_back({core_.now_ns() + duration_ns, extra_ns});
  if (spikes.empty()) spikes_.erase(LinkKey(a, b));
}

}  // namespace sluice::sim
