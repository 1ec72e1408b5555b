// Internal state of NetFabric, shared by sim_network.cc (hosts, faults, connect, accept) and
// sim_stream.cc (the data path). Not for use outside simnet/sim_*.cc.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "engine/runtime/sync.h"
#include "simnet/sim_network.h"

namespace sluice::sim {

struct NetFabric::HostNet {
  std::string name;
  Fibers* fibers = nullptr;
  const SimClock* clock = nullptr;  // null: virtual time
  bool up = false;
  uint16_t next_ephemeral_port = kEphemeralPortFirst;
  std::unique_ptr<SimNetwork> network;
};

// Bytes (or the FIN) written and not yet delivered.
struct Segment {
  std::string bytes;
  bool fin = false;
};

// One direction of a connection: bytes from end[d] to end[1 - d] for dir[d].
struct Direction {
  std::deque<Segment> in_flight;  // delivery times are non-decreasing, so delivery pops the front
  uint64_t in_flight_bytes = 0;
  // Segments whose delivery event found the direction held (one-way partition); they stay at the
  // front of in_flight. Invariant: pending delivery events + held_segments == in_flight.size().
  uint64_t held_segments = 0;
  int64_t last_delivery_ns = 0;
  std::string received;  // delivered to the receiver, unread from read_offset on
  size_t read_offset = 0;
  bool fin_received = false;
  WaitList readers;  // fibers of the receiving host waiting for bytes or FIN
  WaitList writers;  // fibers of the sending host waiting for window or reset

  size_t Unread() const { return received.size() - read_offset; }
  void DropInFlight() {
    in_flight.clear();  // their pending delivery events find nothing and do nothing
    in_flight_bytes = 0;
    held_segments = 0;
  }
  uint64_t Outstanding() const { return in_flight_bytes + Unread(); }
  void DropReceived() {
    received.clear();
    read_offset = 0;
  }
};

struct Endpoint {
  HostId host = kNoHost;
  uint16_t port = 0;
  bool closed = false;         // closed locally (Close, or its host crashed)
  bool reset = false;          // saw a reset: every operation fails
  bool reset_pending = false;  // a reset is on its way
  bool attached = true;        // a Stream exists or will (backlog) for this endpoint
};

struct NetFabric::Connection {
  uint64_t id = 0;
  Endpoint end[2];      // 0: the connecting side; 1: the accepting side
  Direction dir[2];     // dir[i] carries bytes from end[i] to end[1 - i]
  bool broken = false;  // partitioned: nothing more is delivered
  // Fibers inside a Read or Write on it. The state is kept while > 0, even after both streams
  // are destroyed: a woken fiber still touches its wait lists on the way out.
  int users = 0;
};

struct NetFabric::ListenerState {
  uint64_t id = 0;
  HostId host = kNoHost;
  uint16_t port = 0;
  bool closed = false;
  bool destroyed = false;        // the Listener is gone; erased once no fiber is inside Accept
  int users = 0;                 // fibers inside Accept
  std::deque<uint64_t> backlog;  // established connections, oldest first
  WaitList acceptors;
};

// Key of the link between two hosts (it has no direction): (smaller id, larger id).
inline std::pair<HostId, HostId> LinkKey(HostId a, HostId b) {
  return {std::min(a, b), std::max(a, b)};
}

// Event keys pack a connection id and a side, so that event closures stay within
// std::function's small buffer (no allocation per delivery).
inline uint64_t SideKey(uint64_t connection_id, int side) {
  return (connection_id << 1) | static_cast<uint64_t>(side);
}

// The Stream handed to host code; every call goes to the fabric.
class SimStream final : public Stream {
 public:
  SimStream(NetFabric& fabric, uint64_t connection_id, int side)
      : fabric_(fabric), connection_id_(connection_id), side_(side) {}
  ~SimStream() override { fabric_.Detach(connection_id_, side_); }
  Status Write(std::string_view data) override {
    return fabric_.Write(connection_id_, side_, data);
  }
  Result<size_t> Read(std::string* out, size_t max_bytes) override {
    return fabric_.Read(connection_id_, side_, out, max_bytes);
  }
  void Close() override { fabric_.Close(connection_id_, side_); }
  std::string PeerName() const override { return fabric_.PeerName(connection_id_, side_); }

 private:
  NetFabric& fabric_;
  const uint64_t connection_id_;
  const int side_;
};

class SimListener final : public Listener {
 public:
  SimListener(NetFabric& fabric, uint64_t listener_id, uint16_t port)
      : fabric_(fabric), listener_id_(listener_id), port_(port) {}
  ~SimListener() override { fabric_.DestroyListener(listener_id_); }
  Result<std::unique_ptr<Stream>> Accept() override { return fabric_.Accept(listener_id_); }
  void Close() override { fabric_.CloseListener(listener_id_); }
  uint16_t port() const override { return port_; }

 private:
  NetFabric& fabric_;
  const uint64_t listener_id_;
  const uint16_t port_;
};

}  // namespace sluice::sim
