// NetFabric's data path: write (with the window), delivery events, read, close, resets.
#include <algorithm>
#include <utility>

#include "engine/base/assert.h"
#include "engine/base/checksum.h"
#include "simnet/sim_network.h"
#include "simnet/sim_network_internal.h"

namespace sluice::sim {
namespace {

// A receive buffer drops its consumed prefix once it is this long (amortizes the copy; the
// buffer itself is bounded by the window).
constexpr size_t kCompactOffsetBytes = 64 * 1024;

}  // namespace

// Counts a fiber inside Read or Write, so that destroying the stream meanwhile (from another
// fiber, or by crash unwinding) does not free state the fiber still uses; the last one out frees.
class NetFabric::ConnectionUse {
 public:
  ConnectionUse(NetFabric& fabric, uint64_t connection_id)
      : fabric_(fabric), connection_id_(connection_id) {
    Connection* connection = fabric_.Find(connection_id_);
    SLUICE_ASSERT(connection != nullptr, "a stream's connection lives as long as the stream");
    ++connection->users;
  }
  ~ConnectionUse() {
    Connection* connection = fabric_.Find(connection_id_);
    SLUICE_ASSERT(connection != nullptr, "a stream's connection lives as long as the stream");
    SLUICE_ASSERT(connection->users > 0, "a live stream counts as a user of its connection");
    --connection->users;
    fabric_.EraseIfDetached(connection_id_);
  }

 private:
  NetFabric& fabric_;
  const uint64_t connection_id_;
};

std::string NetFabric::PeerName(uint64_t connection_id, int side) const {
  const Connection* connection = Find(connection_id);
  SLUICE_ASSERT(connection != nullptr, "a stream's connection lives as long as the stream");
  const Endpoint& peer = connection->end[1 - side];
  return host(peer.host).name + ":" + std::to_string(peer.port);
}

Status NetFabric::Write(uint64_t connection_id, int side, std::string_view data) {
  const ConnectionUse use(*this, connection_id);
  size_t written = 0;
  for (;;) {
    Connection* connection = Find(connection_id);
    SLUICE_ASSERT(connection != nullptr, "a stream's connection lives as long as the stream");
    const Endpoint& me = connection->end[side];
    if (!me.attached) return UnavailableError("write: the stream was destroyed");
    if (me.closed)
      return UnavailableError("write to " + PeerName(connection_id, side) + ": closed");
    if (me.reset) return UnavailableError("write to " + PeerName(connection_id, side) + ": reset");
    if (written == data.size()) return Status::Ok();
    Direction& out = connection->dir[side];
    const uint64_t outstanding = out.Outstanding();
    if (connection->broken || outstanding >= kWindowBytes) {
      // Window full, or the link is cut and the reset is on its way: wait for either.
      if (!WaitOn(out.writers, me.host)) return CancelledError("write: fiber unwinding");
      continue;
    }
    const size_t chunk = std::min<uint64_t>(data.size() - written, kWindowBytes - outstanding);
    Send(*connection, side, std::string(data.substr(written, chunk)), /*fin=*/false);
    written += chunk;
  }
}

void NetFabric::Send(Connection& connection, int side, std::string bytes, bool fin) {
  SLUICE_ASSERT(!connection.broken, "nothing is sent on a partitioned connection");
  Direction& out = connection.dir[side];
  const int64_t latency_ns = DrawLatency(connection.end[side].host, connection.end[1 - side].host);
  // Never before the previous delivery of this direction: the stream stays ordered.
  const int64_t at_ns = std::max(core_.now_ns() + latency_ns, out.last_delivery_ns);
  out.last_delivery_ns = at_ns;
  out.in_flight_bytes += bytes.size();
  out.in_flight.push_back(Segment{std::move(bytes), fin});
  const uint64_t key = SideKey(connection.id, side);
  core_.At(at_ns, [this, key] { Deliver(key); });
}

void NetFabric::Deliver(uint64_t key) {
  Connection* connection = Find(key >> 1);
  if (connection == nullptr) return;  // both streams are gone
  const int side = static_cast<int>(key & 1);
  Direction& d = connection->dir[side];
  if (d.in_flight.empty()) return;  // dropped by a partition
  if (IsBlocked(connection->end[side].host, connection->end[1 - side].host)) {
    ++d.held_segments;  // one-way partition: stays in flight until ReleaseHeld
    SLUICE_ASSERT(d.held_segments <= d.in_flight.size(), "each held segment had its own event");
    return;
  }
  Segment segment = std::move(d.in_flight.front());
  d.in_flight.pop_front();
  SLUICE_ASSERT(d.in_flight_bytes >= segment.bytes.size(), "in-flight bytes count every in-flight segment");
  d.in_flight_bytes -= segment.bytes.size();
  Endpoint& to = connection->end[1 - side];
  if (to.closed || to.reset || !to.attached) {
    // Nobody will read it. Bytes (not a FIN) reaching a closed endpoint draw a reset, as in TCP.
    if (!segment.bytes.empty() && !to.reset) ScheduleReset(*connection, side);
    WakeAll(d.writers, connection->end[side].host);  // the window opened
    return;
  }
  if (segment.fin) {
    d.fin_received = true;
    core_.trace().Record(TraceKind::kFin, connection->id, side);
  } else {
    core_.trace().Record(TraceKind::kDeliver, connection->id, side, segment.bytes.size(),
                         Checksum64(segment.bytes));
    if (d.received.empty()) {
      d.received = std::move(segment.bytes);
    } else {
      d.received.append(segment.bytes);
    }
  }
  WakeAll(d.readers, to.host);
}

Result<size_t> NetFabric::Read(uint64_t connection_id, int side, std::string* out,
                               size_t max_bytes) {
  if (max_bytes == 0) return InvalidArgumentError("read: max_bytes must be > 0");
  const ConnectionUse use(*this, connection_id);
  for (;;) {
    Connection* connection = Find(connection_id);
    SLUICE_ASSERT(connection != nullptr, "a stream's connection lives as long as the stream");
    const Endpoint& me = connection->end[side];
    if (!me.attached) return UnavailableError("read: the stream was destroyed");
    if (me.closed)
      return UnavailableError("read from " + PeerName(connection_id, side) + ": closed");
    if (me.reset) return UnavailableError("read from " + PeerName(connection_id, side) + ": reset");
    Direction& in = connection->dir[1 - side];
    if (in.Unread() > 0) return Consume(*connection, side, out, max_bytes);
    if (in.fin_received) return size_t{0};
    if (!WaitOn(in.readers, me.host)) return CancelledError("read: fiber unwinding");
  }
}

size_t NetFabric::Consume(Connection& connection, int side, std::string* out, size_t max_bytes) {
  Direction& in = connection.dir[1 - side];
  size_t n = std::min(in.Unread(), max_bytes);
  SLUICE_ASSERT(n > 0, "a read of 0 bytes could not tell data from end of stream");
  if (n > 1 && options_.short_read_probability > 0 &&
      random_.Bernoulli(options_.short_read_probability)) {
    n = static_cast<size_t>(random_.UniformRange(1, static_cast<int64_t>(n)));
  }
  out->append(in.received, in.read_offset, n);
  in.read_offset += n;
  if (in.read_offset == in.received.size()) {
    in.DropReceived();
  } else if (in.read_offset >= kCompactOffsetBytes) {
    in.received.erase(0, in.read_offset);
    in.read_offset = 0;
  }
  WakeAll(in.writers, connection.end[1 - side].host);  // the window opened
  return n;
}

void NetFabric::Close(uint64_t connection_id, int side) {
  Connection* connection = Find(connection_id);
  if (connection == nullptr) return;
  Endpoint& me = connection->end[side];
  if (me.closed) return;
  me.closed = true;
  Direction& in = connection->dir[1 - side];
  const bool had_unread = in.Unread() > 0;
  in.DropReceived();
  if (!me.reset && !connection->broken) {
    if (had_unread) {
      ScheduleReset(*connection, 1 - side);  // closing with unread bytes resets, as in TCP
    } else {
      Send(*connection, side, std::string(), /*fin=*/true);
    }
  }
  // Pending reads and writes of this endpoint, in other fibers, fail now.
  WakeAll(in.readers, me.host);
  WakeAll(connection->dir[side].writers, me.host);
  WakeAll(in.writers, connection->end[1 - side].host);  // dropping unread bytes opened the window
}

void NetFabric::Detach(uint64_t connection_id, int side) {
  Close(connection_id, side);
  Connection* connection = Find(connection_id);
  if (connection == nullptr) return;
  connection->end[side].attached = false;
  EraseIfDetached(connection_id);
}

void NetFabric::EraseIfDetached(uint64_t connection_id) {
  Connection* connection = Find(connection_id);
  if (connection == nullptr) return;
  if (connection->end[0].attached || connection->end[1].attached) return;
  if (connection->users > 0) return;  // the last ConnectionUse erases it
  connections_.erase(connection_id);  // pending events for it find nothing
}

void NetFabric::ScheduleReset(Connection& connection, int side) {
  Endpoint& victim = connection.end[side];
  if (victim.reset || victim.reset_pending) return;
  victim.reset_pending = true;
  const int64_t latency_ns = DrawLatency(connection.end[1 - side].host, victim.host);
  const uint64_t key = SideKey(connection.id, side);
  core_.At(core_.now_ns() + latency_ns, [this, key] { ResetEndpoint(key); });
}

void NetFabric::ResetEndpoint(uint64_t key) {
  Connection* connection = Find(key >> 1);
  if (connection == nullptr) return;
  const int side = static_cast<int>(key & 1);
  Endpoint& victim = connection->end[side];
  if (victim.reset) return;
  victim.reset = true;
  victim.reset_pending = false;
  Direction& in = connection->dir[1 - side];
  in.DropReceived();
  core_.trace().Record(TraceKind::kReset, connection->id, side);
  WakeAll(in.readers, victim.host);
  WakeAll(connection->dir[side].writers, victim.host);
}

}  // namespace sluice::sim
