// The data plane between tasks: one network stream per (producer subtask, consumer subtask) pair
// of each network edge of the job graph, opened by the producer with a handshake naming the job
// attempt, the edge and both subtask indexes. Frames (engine/rpc/frame.h) carry one event each:
//   [u8 kind = 0 handshake][i64 attempt][i32 edge][i32 consumer subtask][i32 producer subtask]
//   [u8 kind = 1 records][u32 count][serialized records]
//   [u8 kind = 2 barrier][i64 checkpoint id]
//   [u8 kind = 3 end of partition]
//   [u8 kind = 4 timestamped records][u32 count][varint bytes][serialized records]
//                                    [count signed varints: each record's event timestamp, ms]
//   [u8 kind = 5 watermark][signed varint watermark, ms]
//   [u8 kind = 6 watermark status][u8 1 = idle, 0 = active]
// A producer opens a stream only to the consumer subtasks it is connected to (all of them, or
// its pointwise share for forward and rescale edges: ConsumersOfProducer, engine/graph/
// job_graph.h); a consumer reads from the producers connected to it.
// Flow control is the transport's window (TCP, or the simulator's) plus bounded per-channel
// queues at the consumer: a full queue stops its reader, which stops the sender. (Flink's
// credit-based flow control is planned; see docs/architecture.md.)
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <set>
#include <tuple>
#include <vector>

#include "engine/exchange/gates.h"
#include "engine/rpc/frame.h"
#include "engine/runtime/host.h"
#include "engine/runtime/sync.h"

namespace sluice {

enum class DataKind : uint8_t {
  kHandshake = 0,
  kRecords = 1,
  kBarrier = 2,
  kEnd = 3,
  kTimestampedRecords = 4,  // parsed into kRecords with Event::timestamps set
  kWatermark = 5,
  kWatermarkStatus = 6,
};

struct ChannelKey {
  int64_t attempt = 0;
  int32_t edge = 0;  // the job graph's StreamEdge id
  int32_t consumer = 0;
  int32_t producer = 0;
  auto Tie() const { return std::tie(attempt, edge, consumer, producer); }
  bool operator<(const ChannelKey& o) const { return Tie() < o.Tie(); }
};

// An accepted stream with the reader that already consumed its handshake.
struct InboundStream {
  std::unique_ptr<Stream> stream;
  std::unique_ptr<FrameReader> reader;
};

// Accepts data connections for one TaskManager and hands each to the task that claims it.
// Used by the TaskManager's fibers only.
class DataServer {
 public:
  explicit DataServer(Host& host) : host_(host) {}
  // Listens and spawns the accept fiber. Never suspends.
  Status Start(uint16_t port);
  // Waits (until deadline_ns, host clock) for the producer's stream of `key`. May suspend.
  Result<InboundStream> Take(const ChannelKey& key, int64_t deadline_ns);
  // Drops held streams of attempts <= attempt; later handshakes for them are refused.
  void DropAttemptsUpTo(int64_t attempt);
  // The same for exactly `attempt` (one pipelined region's, cancelled alone).
  void DropAttempt(int64_t attempt);

 private:
  void Accept();
  void Handshake(std::unique_ptr<Stream> stream);

  Host& host_;
  std::unique_ptr<Listener> listener_;
  std::map<ChannelKey, InboundStream> held_;
  int64_t dropped_up_to_ = -1;
  std::set<int64_t> dropped_;  // single attempts above dropped_up_to_, dropped by DropAttempt
  WaitList arrivals_;
};

// The producer side: connects to the TaskManager of every consumer subtask in `connected` (its
// channels are numbered by consumer subtask; records go only to connected ones). Owned by the
// task fiber.
class NetworkOutputGate final : public OutputGate {
 public:
  NetworkOutputGate(Host& host, ChannelKey key_template, std::vector<Address> consumers,
                    SubtaskRange connected)
      : host_(host), key_(key_template), consumers_(std::move(consumers)), connected_(connected) {}
  // Connects the connected channels, retrying until deadline_ns. May suspend.
  Status Connect(int64_t deadline_ns);
  int channel_count() const override { return static_cast<int>(consumers_.size()); }
  Status SendRecords(int channel, std::string_view records, uint32_t count,
                     std::string_view timestamps) override;
  Status SendBarrier(int64_t checkpoint_id) override;
  Status SendWatermark(int64_t watermark_ms) override;
  Status SendWatermarkStatus(bool idle) override;
  Status SendEndOfPartition() override;

 private:
  Status SendToAll(std::string_view payload);

  Host& host_;
  ChannelKey key_;
  std::vector<Address> consumers_;
  SubtaskRange connected_;
  std::vector<std::unique_ptr<Stream>> streams_;  // by consumer subtask; null if not connected
  std::string frame_;  // reused frame buffer
};

// The consumer side: one reader fiber per channel fills a bounded queue; the task polls the queues
// (skipping channels blocked by barrier alignment) and sleeps on wakeup() when none has data.
class NetworkInputGate {
 public:
  static constexpr size_t kMaxQueuedFrames = 8;
  struct Event {
    DataKind kind = DataKind::kRecords;  // kRecords, kBarrier, kEnd, kWatermark(Status)
    std::string records;
    uint32_t count = 0;
    std::string timestamps;  // kRecords: count signed varints, or empty if untimestamped
    int64_t checkpoint_id = 0;
    int64_t watermark_ms = 0;
    bool idle = false;  // kWatermarkStatus
  };

  // One channel per producer subtask in `producers` (channel i reads producers[i]). `wakeup` is
  // notified whenever an event is queued or a reader fails; the task waits on it (and so can its
  // other event sources). Shared because reader fibers may outlive the gate.
  NetworkInputGate(Host& host, std::vector<int> producers, std::shared_ptr<WaitList> wakeup);
  // Cancels the reader fibers and closes the streams. Never suspends.
  ~NetworkInputGate();
  // Claims every channel's stream from the server and starts its reader. May suspend.
  Status Connect(DataServer& server, ChannelKey key_template, int64_t deadline_ns);
  // Takes the next event of `channel`, if one is queued.
  bool Poll(int channel, Event* event);
  // First reader error (a producer's connection broke before its end of partition), if any.
  Status error() const;
  int channel_count() const;

 private:
  struct Shared;
  Host& host_;
  // Shared with the reader fibers, which may outlive the gate while they unwind.
  std::shared_ptr<Shared> shared_;
};

}  // namespace sluice
