// The data plane between tasks: one network stream per (producer subtask, consumer subtask) pair
// of each network edge of the job graph, opened by the producer with a handshake naming the job
// attempt, the edge and both subtask indexes. Frames (engine/rpc/frame.h) carry one buffer or
// event each, producer to consumer:
//   [u8 kind = 0 handshake][i64 attempt][i32 edge][i32 consumer subtask][i32 producer subtask]
//   [u8 kind = 1 records][varint backlog][u32 count][serialized records]
//   [u8 kind = 2 barrier][i64 checkpoint id][u8 flags: 1 = unaligned, 2 = a savepoint's]
//   [u8 kind = 3 end of partition]
//   [u8 kind = 4 timestamped records][varint backlog][u32 count][varint bytes]
//                                    [serialized records][count signed varints: timestamps, ms]
//   [u8 kind = 5 watermark][varint backlog][signed varint watermark, ms]
//   [u8 kind = 6 watermark status][varint backlog][u8 1 = idle, 0 = active]
// and consumer to producer, on the same stream:
//   [u8 kind = 7 credit][varint buffers]
// A producer opens a stream only to the consumer subtasks it is connected to (all of them, or
// its pointwise share for forward and rescale edges: ConsumersOfProducer, engine/graph/
// job_graph.h); a consumer reads from the producers connected to it.
//
// Flow control is credit-based (Flink's, FLINK-7282; "A Deep-Dive into Flink's Network Stack",
// 2019): a *buffer* is a frame of kind 1, 4, 5 or 6 and occupies one of the consumer's buffers
// until the task takes it. The consumer owns `buffers_per_channel` exclusive buffers per channel
// and lends up to `floating_buffers_per_gate` floating ones to the channels whose producers
// announce a backlog (every buffer carries the number of buffers queued behind it); each buffer
// it owns and has not filled is one credit, announced to the producer. A producer sends a buffer
// only with a credit; barriers and end of partition are events and need none (they stay behind
// the buffers queued before them). Buffers without credit queue at the producer, at most
// `max_buffers_per_channel` per channel: a task that would queue more waits (its backpressured
// time) until credit arrives.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
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
  kCredit = 7,  // consumer to producer
};

// Flink's taskmanager.network.memory.* settings (engine/config/core_options.h).
struct FlowControl {
  int buffers_per_channel = 2;        // exclusive buffers (credits) of each input channel
  int floating_buffers_per_gate = 8;  // lent to channels with a backlog
  int max_buffers_per_channel = 10;   // buffers a producer queues per channel before it waits
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
  // Listens on `bind` (taskmanager.bind-host and the data port) and spawns the accept fiber.
  // Never suspends.
  Status Start(const Address& bind);
  // Waits (until deadline_ns, host clock) for the producer's stream of `key`. May suspend.
  Result<InboundStream> Take(const ChannelKey& key, int64_t deadline_ns);
  // Drops held streams of attempts <= attempt; later handshakes for them are refused.
  void DropAttemptsUpTo(int64_t attempt);
  // The same for exactly `attempt` (one pipelined region's, cancelled alone).
  void DropAttempt(int64_t attempt);
  // The port listened on (the one bound when Start was given port 0). After Start.
  uint16_t port() const { return listener_->port(); }

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
// channels are numbered by consumer subtask; records go only to connected ones), sends buffers
// as credits allow and queues the rest. Owned by the task fiber; one credit-reader fiber per
// channel (they may outlive the gate while they unwind).
class NetworkOutputGate final : public OutputGate {
 public:
  NetworkOutputGate(Host& host, ChannelKey key_template, std::vector<Address> consumers,
                    SubtaskRange connected, FlowControl flow_control = {});
  // Cancels the credit readers and closes the streams. Never suspends.
  ~NetworkOutputGate() override;
  // Connects the connected channels, retrying until deadline_ns. May suspend.
  Status Connect(int64_t deadline_ns);
  int channel_count() const override { return static_cast<int>(consumers_.size()); }
  Status SendRecords(int channel, std::string_view records, uint32_t count,
                     std::string_view timestamps) override;
  Status SendBarrier(int64_t checkpoint_id, bool savepoint) override;
  Status SendWatermark(int64_t watermark_ms) override;
  Status SendWatermarkStatus(bool idle) override;
  // An unaligned checkpoint's barrier (FLIP-76): on every channel it goes ahead of the buffers
  // queued there, which still follow it and are copied to *in_flight as the checkpoint's output
  // channel state ([varint channels][per channel: varint buffers, ([u8 kind][string body])*]).
  // Adds the number of buffers it overtook to *overtaken. May suspend.
  Status SendUnalignedBarrier(int64_t checkpoint_id, std::string* in_flight, int64_t* overtaken);
  // Queues a restored checkpoint's output channel state (SendUnalignedBarrier's *in_flight) ahead
  // of anything else; kDataLoss if it is malformed or for another number of channels. May
  // suspend.
  Status ResendInFlight(std::string_view in_flight);
  // Queues end of partition on every channel and waits until everything queued has been sent
  // (not counted as backpressure: the task is finishing).
  Status SendEndOfPartition() override;
  // Overdraft (Flink's overdraft buffers, FLIP-227): while on, a buffer is queued past
  // max_buffers_per_channel instead of waiting for credit. On while an unaligned checkpoint's
  // snapshot flushes the record writers (at most one buffer per channel), so that the barrier is
  // not held up by backpressure. Never suspends.
  void set_overdraft(bool on) { overdraft_ = on; }
  // Time the task waited for credit (ns of the host clock): Flink's backPressuredTime.
  int64_t backpressured_ns() const { return backpressured_ns_; }
  // Records sent on this gate (Flink's numRecordsOut, this edge's share).
  int64_t records_sent() const { return records_sent_; }

 private:
  struct Shared;
  // Queues (or, with credit and nothing queued, sends) one buffer or event, then waits while the
  // channel's queue is over its bound. May suspend.
  Status Send(int channel, DataKind kind, std::string_view body);
  Status SendEventToAll(DataKind kind, std::string_view body);
  // Sends what channel `c` may send now: queued events at its head, queued buffers while credit
  // lasts. One fiber writes a channel at a time (the others leave it to that one). May suspend.
  static void DrainChannel(Host& host, Shared& shared, int c);

  Host& host_;
  ChannelKey key_;
  std::vector<Address> consumers_;
  SubtaskRange connected_;
  FlowControl flow_control_;
  std::shared_ptr<Shared> shared_;
  std::string body_;   // reused buffer body (queued without credit)
  std::string frame_;  // reused frame (sent at once with credit)
  int64_t backpressured_ns_ = 0;
  int64_t records_sent_ = 0;
  bool overdraft_ = false;
};

// The consumer side: one reader fiber per channel queues what arrives, and one credit fiber
// announces credits; the task polls the queues (skipping channels blocked by barrier alignment)
// and sleeps on wakeup() when none has data. Taking a buffer recycles it: an exclusive one (or a
// floating one the channel still needs for its backlog) becomes a credit again, a floating one no
// longer needed goes back to the gate's pool.
class NetworkInputGate {
 public:
  // At most this many events (barriers, end of partition) queue on one channel; a producer that
  // sends more is broken (kDataLoss).
  static constexpr size_t kMaxQueuedEvents = 256;
  struct Event {
    DataKind kind = DataKind::kRecords;  // kRecords, kBarrier, kEnd, kWatermark(Status)
    std::string records;
    uint32_t count = 0;
    std::string timestamps;  // kRecords: count signed varints, or empty if untimestamped
    int64_t checkpoint_id = 0;
    int64_t watermark_ms = 0;
    bool idle = false;  // kWatermarkStatus
    bool unaligned = false;  // kBarrier: of an unaligned checkpoint
    bool savepoint = false;  // kBarrier: of a savepoint (always aligned)
    // An unaligned kBarrier: the buffers it overtook on its channel (still queued after it).
    std::vector<Event> overtaken;
  };
  // Parses one data frame's payload from a producer (untrusted bytes) into *event, and the
  // backlog a buffer announces into *backlog. kDataLoss naming what is malformed. Never
  // suspends.
  static Status ParseEvent(std::string_view frame, Event* event, int64_t* backlog);

  // One channel per producer subtask in `producers` (channel i reads producers[i]). `wakeup` is
  // notified whenever an event is queued or a reader fails; the task waits on it (and so can its
  // other event sources). Shared because reader fibers may outlive the gate.
  NetworkInputGate(Host& host, std::vector<int> producers, std::shared_ptr<WaitList> wakeup,
                   FlowControl flow_control = {});
  // Cancels the reader and credit fibers and closes the streams. Never suspends.
  ~NetworkInputGate();
  // Claims every channel's stream from the server, starts its reader and announces the
  // exclusive credits. May suspend.
  Status Connect(DataServer& server, ChannelKey key_template, int64_t deadline_ns);
  // Takes the next event of `channel`, if one is queued (recycling its buffer). Never suspends.
  bool Poll(int channel, Event* event);
  // First reader error (a producer's connection broke before its end of partition, or it broke
  // the protocol), if any.
  Status error() const;
  int channel_count() const;
  // Floating buffers in the gate's pool (not lent to a channel), for tests.
  int floating_available() const;

 private:
  struct Shared;
  Host& host_;
  // Shared with the reader fibers, which may outlive the gate while they unwind.
  std::shared_ptr<Shared> shared_;
};

}  // namespace sluice
