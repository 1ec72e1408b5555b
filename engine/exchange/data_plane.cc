#include "engine/exchange/data_plane.h"

#include "engine/base/assert.h"
#include "engine/base/bytes.h"

namespace sluice {
namespace {
constexpr int64_t kConnectAttemptTimeoutNs = 1000 * 1000 * 1000LL;
constexpr int64_t kConnectRetryDelayNs = 50 * 1000 * 1000LL;
constexpr size_t kMaxHeldStreams = 4096;
// A barrier frame's flags byte.
constexpr uint8_t kBarrierUnaligned = 1;
constexpr uint8_t kBarrierSavepoint = 2;
}  // namespace

Status DataServer::Start(const Address& bind) {
  ASSIGN_OR_RETURN(listener_, host_.network.Listen(bind));
  host_.fibers.Spawn("data-accept", [this] { Accept(); });
  return Status::Ok();
}

void DataServer::Accept() {
  for (;;) {
    auto stream = listener_->Accept();
    if (!stream.ok()) return;
    auto shared = std::make_shared<std::unique_ptr<Stream>>(std::move(stream).value());
    host_.fibers.Spawn("data-handshake", [this, shared] { Handshake(std::move(*shared)); });
  }
}

void DataServer::Handshake(std::unique_ptr<Stream> stream) {
  auto reader = std::make_unique<FrameReader>(stream.get());
  auto frame = reader->Next();
  if (!frame.ok()) return;
  ByteReader r(frame.value());
  uint8_t kind = 0;
  int64_t attempt = 0, edge = 0, consumer = 0, producer = 0;
  if (!r.GetU8(&kind) || kind != static_cast<uint8_t>(DataKind::kHandshake) ||
      !r.GetSignedVarint(&attempt) || !r.GetSignedVarint(&edge) || !r.GetSignedVarint(&consumer) ||
      !r.GetSignedVarint(&producer)) {
    host_.log.Warn("data.bad_handshake", stream->PeerName());
    return;
  }
  if (attempt <= dropped_up_to_ || dropped_.count(attempt) != 0 ||
      held_.size() >= kMaxHeldStreams) {
    return;  // stale: close
  }
  ChannelKey key{attempt, static_cast<int32_t>(edge), static_cast<int32_t>(consumer),
                 static_cast<int32_t>(producer)};
  held_[key] = InboundStream{std::move(stream), std::move(reader)};
  arrivals_.NotifyAll(host_.fibers);
}

Result<InboundStream> DataServer::Take(const ChannelKey& key, int64_t deadline_ns) {
  for (;;) {
    auto it = held_.find(key);
    if (it != held_.end()) {
      InboundStream inbound = std::move(it->second);
      held_.erase(it);
      return inbound;
    }
    if (!arrivals_.Wait(host_.fibers, deadline_ns) && host_.clock.NowNs() >= deadline_ns) {
      return DeadlineExceededError("no data connection from producer subtask " +
                                   std::to_string(key.producer));
    }
  }
}

void DataServer::DropAttemptsUpTo(int64_t attempt) {
  dropped_up_to_ = std::max(dropped_up_to_, attempt);
  for (auto it = held_.begin(); it != held_.end();) {
    it = it->first.attempt <= attempt ? held_.erase(it) : std::next(it);
  }
  dropped_.erase(dropped_.begin(), dropped_.upper_bound(dropped_up_to_));
}

void DataServer::DropAttempt(int64_t attempt) {
  if (attempt <= dropped_up_to_) return;
  dropped_.insert(attempt);
  for (auto it = held_.begin(); it != held_.end();) {
    it = it->first.attempt == attempt ? held_.erase(it) : std::next(it);
  }
}

namespace {
// Buffers need a credit; events (barrier, end of partition) do not.
bool IsBuffer(DataKind kind) {
  return kind == DataKind::kRecords || kind == DataKind::kTimestampedRecords ||
         kind == DataKind::kWatermark || kind == DataKind::kWatermarkStatus;
}
}  // namespace

struct NetworkOutputGate::Shared {
  struct Queued {
    DataKind kind;
    std::string body;
  };
  struct Channel {
    std::unique_ptr<Stream> stream;
    std::deque<Queued> queue;  // buffers and events waiting for credit, in order
    int64_t queued_buffers = 0;
    int64_t credit = 0;
    bool writing = false;  // a fiber is inside Write: only it sends, in order
    bool end_sent = false;  // end of partition written: the consumer may close the stream now
    FiberId credit_reader = kNoFiber;
    Status error;
  };
  std::vector<Channel> channels;
  WaitList progress;  // a channel's queue shrank, or a channel failed
  std::string frame;  // reused by whichever fiber writes (one at a time per channel)
};

NetworkOutputGate::NetworkOutputGate(Host& host, ChannelKey key_template,
                                     std::vector<Address> consumers, SubtaskRange connected,
                                     FlowControl flow_control)
    : host_(host),
      key_(key_template),
      consumers_(std::move(consumers)),
      connected_(connected),
      flow_control_(flow_control),
      shared_(std::make_shared<Shared>()) {
  shared_->channels.resize(consumers_.size());
}

NetworkOutputGate::~NetworkOutputGate() {
  for (auto& channel : shared_->channels) {
    if (channel.stream) channel.stream->Close();
    if (channel.credit_reader != kNoFiber) host_.fibers.Cancel(channel.credit_reader);
  }
}

Status NetworkOutputGate::Connect(int64_t deadline_ns) {
  SLUICE_ASSERT(connected_.first >= 0 && connected_.first < connected_.end &&
                    connected_.end <= static_cast<int>(consumers_.size()),
                "a producer is connected to some of its edge's consumer subtasks");
  for (int c = connected_.first; c < connected_.end; ++c) {
    for (;;) {
      auto stream = host_.network.Connect(consumers_[c], kConnectAttemptTimeoutNs);
      if (stream.ok()) {
        std::string hello;
        ByteWriter w(&hello);
        w.PutU8(static_cast<uint8_t>(DataKind::kHandshake));
        w.PutSignedVarint(key_.attempt);
        w.PutSignedVarint(key_.edge);
        w.PutSignedVarint(static_cast<int64_t>(c));
        w.PutSignedVarint(key_.producer);
        RETURN_IF_ERROR(WriteFrame(*stream.value(), hello));
        shared_->channels[c].stream = std::move(stream).value();
        break;
      }
      if (host_.clock.NowNs() >= deadline_ns) {
        return stream.status().WithContext("data channel to " + consumers_[c].ToString());
      }
      host_.fibers.SleepFor(kConnectRetryDelayNs);
    }
  }
  for (int c = connected_.first; c < connected_.end; ++c) {
    Host* host = &host_;
    std::shared_ptr<Shared> shared = shared_;
    shared_->channels[c].credit_reader = host_.fibers.Spawn("output-credit", [host, shared, c] {
      auto& channel = shared->channels[c];
      FrameReader reader(channel.stream.get());
      for (;;) {
        auto frame = reader.Next();
        Status s = frame.status();
        uint64_t credit = 0;
        if (frame.ok()) {
          ByteReader r(frame.value());
          uint8_t kind = 0;
          if (!r.GetU8(&kind) || kind != static_cast<uint8_t>(DataKind::kCredit) ||
              !r.GetVarint(&credit) || credit == 0 || credit > (1u << 20) || !r.empty()) {
            s = DataLossError("bad credit frame from " + channel.stream->PeerName());
          }
        }
        if (!s.ok()) {
          // A consumer that has read the end of partition finishes and closes the stream: not an
          // error of this channel (found in review: a producer still draining another channel
          // failed at its end).
          if (channel.error.ok() && !(channel.end_sent && frame.status().code() ==
                                                               StatusCode::kUnavailable)) {
            channel.error = s;
          }
          shared->progress.NotifyAll(host->fibers);
          return;
        }
        channel.credit += static_cast<int64_t>(credit);
        DrainChannel(*host, *shared, c);
      }
    });
  }
  return Status::Ok();
}

void NetworkOutputGate::DrainChannel(Host& host, Shared& shared, int c) {
  auto& channel = shared.channels[c];
  if (channel.writing) return;
  channel.writing = true;
  while (channel.error.ok() && !channel.queue.empty()) {
    Shared::Queued& head = channel.queue.front();
    const bool buffer = IsBuffer(head.kind);
    if (buffer && channel.credit == 0) break;
    std::string& frame = shared.frame;
    frame.clear();
    const size_t frame_start = StartFrame(&frame);
    ByteWriter w(&frame);
    w.PutU8(static_cast<uint8_t>(head.kind));
    if (buffer) {
      --channel.credit;
      --channel.queued_buffers;
      w.PutVarint(static_cast<uint64_t>(channel.queued_buffers));  // backlog behind this one
    }
    w.PutRaw(head.body);
    FinishFrame(&frame, frame_start);
    std::string sending = std::move(frame);
    const bool end = head.kind == DataKind::kEnd;
    channel.queue.pop_front();
    Status s = channel.stream->Write(sending);
    shared.frame = std::move(sending);
    if (!s.ok()) channel.error = s;
    if (s.ok() && end) channel.end_sent = true;
    shared.progress.NotifyAll(host.fibers);
  }
  channel.writing = false;
}

Status NetworkOutputGate::Send(int channel, DataKind kind, std::string_view body) {
  SLUICE_ASSERT(connected_.Contains(channel),
                "a partitioner picks only channels its producer is connected to");
  auto& ch = shared_->channels[channel];
  RETURN_IF_ERROR(ch.error);
  ch.queue.push_back(Shared::Queued{kind, std::string(body)});
  if (IsBuffer(kind)) ++ch.queued_buffers;
  DrainChannel(host_, *shared_, channel);
  if (!overdraft_ && ch.queued_buffers > flow_control_.max_buffers_per_channel && ch.error.ok()) {
    const int64_t start = host_.clock.NowNs();
    while (ch.queued_buffers > flow_control_.max_buffers_per_channel && ch.error.ok()) {
      shared_->progress.Wait(host_.fibers);
    }
    backpressured_ns_ += host_.clock.NowNs() - start;
  }
  return ch.error;
}

Status NetworkOutputGate::SendRecords(int channel, std::string_view records, uint32_t count,
                                      std::string_view timestamps) {
  SLUICE_ASSERT(connected_.Contains(channel),
                "a partitioner picks only channels its producer is connected to");
  records_sent_ += count;
  auto& ch = shared_->channels[channel];
  RETURN_IF_ERROR(ch.error);
  const DataKind kind = timestamps.empty() ? DataKind::kRecords : DataKind::kTimestampedRecords;
  if (ch.queue.empty() && !ch.writing && ch.credit > 0) {
    // The common case: credit and nothing queued. The frame is built in place and sent at once,
    // with no backlog behind it.
    frame_.clear();
    const size_t frame_start = StartFrame(&frame_);
    ByteWriter w(&frame_);
    w.PutU8(static_cast<uint8_t>(kind));
    w.PutVarint(0);
    w.PutU32(count);
    if (!timestamps.empty()) w.PutVarint(records.size());
    w.PutRaw(records);
    w.PutRaw(timestamps);
    FinishFrame(&frame_, frame_start);
    --ch.credit;
    ch.writing = true;
    Status s = ch.stream->Write(frame_);
    ch.writing = false;
    if (!s.ok()) ch.error = s;
    return ch.error;
  }
  body_.clear();
  ByteWriter w(&body_);
  w.PutU32(count);
  if (!timestamps.empty()) w.PutVarint(records.size());
  w.PutRaw(records);
  w.PutRaw(timestamps);
  return Send(channel, kind, body_);
}

Status NetworkOutputGate::SendEventToAll(DataKind kind, std::string_view body) {
  const std::string copy(body);  // body_ may be reused by Send
  for (int c = connected_.first; c < connected_.end; ++c) RETURN_IF_ERROR(Send(c, kind, copy));
  return Status::Ok();
}

Status NetworkOutputGate::SendBarrier(int64_t checkpoint_id, bool savepoint) {
  std::string body;
  ByteWriter w(&body);
  w.PutSignedVarint(checkpoint_id);
  w.PutU8(savepoint ? kBarrierSavepoint : 0);
  return SendEventToAll(DataKind::kBarrier, body);
}

Status NetworkOutputGate::SendUnalignedBarrier(int64_t checkpoint_id, std::string* in_flight,
                                               int64_t* overtaken) {
  std::string body;
  ByteWriter b(&body);
  b.PutSignedVarint(checkpoint_id);
  b.PutU8(kBarrierUnaligned);
  in_flight->clear();
  ByteWriter w(in_flight);
  w.PutVarint(static_cast<uint64_t>(connected_.end - connected_.first));
  for (int c = connected_.first; c < connected_.end; ++c) {
    auto& ch = shared_->channels[c];
    RETURN_IF_ERROR(ch.error);
    // The buffers the barrier overtakes: sent after it, and part of the checkpoint.
    int64_t buffers = 0;
    for (const Shared::Queued& queued : ch.queue) buffers += IsBuffer(queued.kind) ? 1 : 0;
    w.PutVarint(static_cast<uint64_t>(buffers));
    *overtaken += buffers;
    for (const Shared::Queued& queued : ch.queue) {
      if (!IsBuffer(queued.kind)) continue;
      w.PutU8(static_cast<uint8_t>(queued.kind));
      w.PutString(queued.body);
    }
    ch.queue.push_front(Shared::Queued{DataKind::kBarrier, body});
    DrainChannel(host_, *shared_, c);
  }
  return Status::Ok();
}

Status NetworkOutputGate::ResendInFlight(std::string_view in_flight) {
  ByteReader r(in_flight);
  uint64_t channels = 0;
  if (!r.GetVarint(&channels) ||
      channels != static_cast<uint64_t>(connected_.end - connected_.first)) {
    return DataLossError("in-flight output state for " + std::to_string(channels) +
                         " channels, the gate has " +
                         std::to_string(connected_.end - connected_.first));
  }
  for (int c = connected_.first; c < connected_.end; ++c) {
    uint64_t buffers = 0;
    if (!r.GetVarint(&buffers) || buffers > r.remaining()) {
      return DataLossError("bad in-flight output state");
    }
    for (uint64_t i = 0; i < buffers; ++i) {
      uint8_t kind = 0;
      std::string body;
      if (!r.GetU8(&kind) || !IsBuffer(static_cast<DataKind>(kind)) || !r.GetString(&body)) {
        return DataLossError("bad in-flight output buffer");
      }
      RETURN_IF_ERROR(Send(c, static_cast<DataKind>(kind), body));
    }
  }
  if (!r.empty()) return DataLossError("bad in-flight output state");
  return Status::Ok();
}

Status NetworkOutputGate::SendWatermark(int64_t watermark_ms) {
  std::string body;
  ByteWriter(&body).PutSignedVarint(watermark_ms);
  return SendEventToAll(DataKind::kWatermark, body);
}

Status NetworkOutputGate::SendWatermarkStatus(bool idle) {
  std::string body;
  ByteWriter(&body).PutU8(idle ? 1 : 0);
  return SendEventToAll(DataKind::kWatermarkStatus, body);
}

Status NetworkOutputGate::SendEndOfPartition() {
  RETURN_IF_ERROR(SendEventToAll(DataKind::kEnd, {}));
  // Everything queued must leave before the task ends (the gate, and its queues, go with it).
  for (int c = connected_.first; c < connected_.end; ++c) {
    auto& ch = shared_->channels[c];
    while ((!ch.queue.empty() || ch.writing) && ch.error.ok()) shared_->progress.Wait(host_.fibers);
    RETURN_IF_ERROR(ch.error);
  }
  return Status::Ok();
}

struct NetworkInputGate::Shared {
  struct Channel {
    InboundStream inbound;
    std::deque<Event> queue;
    int64_t queued_buffers = 0;  // buffers in `queue`: each occupies one the channel owns
    int64_t queued_events = 0;
    int64_t floating = 0;        // floating buffers lent to this channel
    int64_t backlog = 0;         // the producer's last announced backlog
    int64_t unannounced = 0;     // credits not yet sent to the producer
    FiberId reader = kNoFiber;
    Status error;
    bool ended = false;
  };
  std::vector<Channel> channels;
  std::vector<int> producers;  // of each channel
  std::shared_ptr<WaitList> wakeup;
  FlowControl flow_control;
  int64_t pool = 0;  // floating buffers not lent
  FiberId announcer = kNoFiber;
  WaitList credit_due;  // some channel has unannounced credit

  int64_t Owned(const Channel& channel) const {
    return flow_control.buffers_per_channel + channel.floating;
  }
  // Buffers the channel still lacks to hold its producer's backlog as well as its exclusive
  // share (Flink's RemoteInputChannel: backlog + initial credit).
  int64_t Deficit(const Channel& channel) const {
    const int64_t available = Owned(channel) - channel.queued_buffers;
    return std::max<int64_t>(0, channel.backlog + flow_control.buffers_per_channel - available);
  }
  // Lends floating buffers from the pool to channels short of them, lowest channel first.
  void LendFloating(Fibers& fibers) {
    for (Channel& channel : channels) {
      if (pool == 0) break;
      if (channel.ended) continue;
      const int64_t lend = std::min(pool, Deficit(channel));
      if (lend == 0) continue;
      pool -= lend;
      channel.floating += lend;
      channel.unannounced += lend;
      credit_due.NotifyAll(fibers);
    }
  }
};

NetworkInputGate::NetworkInputGate(Host& host, std::vector<int> producers,
                                   std::shared_ptr<WaitList> wakeup, FlowControl flow_control)
    : host_(host), shared_(std::make_shared<Shared>()) {
  shared_->channels.resize(producers.size());
  shared_->producers = std::move(producers);
  shared_->wakeup = std::move(wakeup);
  shared_->flow_control = flow_control;
  shared_->pool = flow_control.floating_buffers_per_gate;
}

NetworkInputGate::~NetworkInputGate() {
  for (auto& channel : shared_->channels) {
    if (channel.inbound.stream) channel.inbound.stream->Close();
    if (channel.reader != kNoFiber) host_.fibers.Cancel(channel.reader);
  }
  if (shared_->announcer != kNoFiber) host_.fibers.Cancel(shared_->announcer);
}

Status NetworkInputGate::ParseEvent(std::string_view frame, Event* event, int64_t* backlog) {
  ByteReader r(frame);
  uint8_t kind = 0;
  if (!r.GetU8(&kind)) return DataLossError("empty data frame");
  event->kind = static_cast<DataKind>(kind);
  if (IsBuffer(event->kind)) {
    uint64_t announced = 0;
    if (!r.GetVarint(&announced) || announced > (1u << 20)) return DataLossError("bad backlog");
    *backlog = static_cast<int64_t>(announced);
  }
  switch (event->kind) {
    case DataKind::kRecords:
      if (!r.GetU32(&event->count)) return DataLossError("bad record frame");
      event->records.assign(r.rest().data(), r.rest().size());
      event->timestamps.clear();
      return Status::Ok();
    case DataKind::kTimestampedRecords: {
      uint64_t bytes = 0;
      if (!r.GetU32(&event->count) || !r.GetVarint(&bytes) || bytes > r.remaining()) {
        return DataLossError("bad timestamped record frame");
      }
      event->kind = DataKind::kRecords;
      event->records.assign(r.rest().data(), bytes);
      event->timestamps.assign(r.rest().data() + bytes, r.rest().size() - bytes);
      if (event->timestamps.empty() && event->count > 0) {
        return DataLossError("timestamped record frame without timestamps");
      }
      return Status::Ok();
    }
    case DataKind::kWatermark:
      if (!r.GetSignedVarint(&event->watermark_ms) || !r.empty()) {
        return DataLossError("bad watermark frame");
      }
      return Status::Ok();
    case DataKind::kWatermarkStatus: {
      uint8_t idle = 0;
      if (!r.GetU8(&idle) || idle > 1 || !r.empty()) return DataLossError("bad watermark status frame");
      event->idle = idle == 1;
      return Status::Ok();
    }
    case DataKind::kBarrier: {
      uint8_t flags = 0;
      // A savepoint's barrier is never unaligned.
      if (!r.GetSignedVarint(&event->checkpoint_id) || !r.GetU8(&flags) ||
          (flags != 0 && flags != kBarrierUnaligned && flags != kBarrierSavepoint) || !r.empty()) {
        return DataLossError("bad barrier frame");
      }
      event->unaligned = flags == kBarrierUnaligned;
      event->savepoint = flags == kBarrierSavepoint;
      return Status::Ok();
    }
    case DataKind::kEnd:
      if (!r.empty()) return DataLossError("bad end-of-partition frame");
      return Status::Ok();
    default:
      return DataLossError("unexpected data frame kind " + std::to_string(kind));
  }
}

Status NetworkInputGate::Connect(DataServer& server, ChannelKey key_template, int64_t deadline_ns) {
  for (size_t c = 0; c < shared_->channels.size(); ++c) {
    ChannelKey key = key_template;
    key.producer = static_cast<int32_t>(shared_->producers[c]);
    ASSIGN_OR_RETURN(shared_->channels[c].inbound, server.Take(key, deadline_ns));
  }
  Host* host = &host_;
  std::shared_ptr<Shared> shared = shared_;
  for (size_t c = 0; c < shared_->channels.size(); ++c) {
    shared_->channels[c].unannounced = shared_->flow_control.buffers_per_channel;
    shared_->channels[c].reader = host_.fibers.Spawn("input-channel", [host, shared, c] {
      auto& channel = shared->channels[c];
      auto fail = [&](Status s) {
        channel.error = std::move(s);
        shared->wakeup->NotifyAll(host->fibers);
      };
      while (!channel.ended) {
        auto frame = channel.inbound.reader->Next();
        Event event;
        int64_t backlog = -1;
        Status s = frame.ok() ? ParseEvent(frame.value(), &event, &backlog) : frame.status();
        if (!s.ok()) return fail(s);
        if (backlog >= 0) {
          // A buffer: it fills one the channel owns, which the producer had as a credit.
          if (channel.queued_buffers >= shared->Owned(channel)) {
            return fail(DataLossError("producer subtask " +
                                      std::to_string(shared->producers[c]) +
                                      " sent a buffer without credit"));
          }
          ++channel.queued_buffers;
          channel.backlog = backlog;
          shared->LendFloating(host->fibers);
        } else if (++channel.queued_events > static_cast<int64_t>(kMaxQueuedEvents)) {
          return fail(DataLossError("producer subtask " + std::to_string(shared->producers[c]) +
                                    " sent more events than a channel queues"));
        }
        channel.ended = event.kind == DataKind::kEnd;
        if (channel.ended) {
          // Nothing more will arrive: the floating buffers not holding data go back to the pool
          // (those that do, once the task takes them).
          const int64_t unused =
              std::min(channel.floating, shared->Owned(channel) - channel.queued_buffers);
          channel.floating -= unused;
          shared->pool += unused;
          shared->LendFloating(host->fibers);
        }
        if (event.kind == DataKind::kBarrier && event.unaligned) {
          // An unaligned barrier overtakes the buffers queued before it (FLIP-76): the task sees
          // it first, with copies of them to persist as the channel's in-flight state.
          for (const Event& queued : channel.queue) {
            if (IsBuffer(queued.kind)) event.overtaken.push_back(queued);
          }
          channel.queue.push_front(std::move(event));
        } else {
          channel.queue.push_back(std::move(event));
        }
        shared->wakeup->NotifyAll(host->fibers);
      }
    });
  }
  // Announces credits as buffers are recycled or lent (one frame per channel per round).
  shared_->announcer = host_.fibers.Spawn("input-credit", [host, shared] {
    std::string frame;
    for (;;) {
      bool sent = false;
      for (auto& channel : shared->channels) {
        if (channel.unannounced == 0 || !channel.error.ok() || channel.ended) continue;
        std::string payload;
        ByteWriter w(&payload);
        w.PutU8(static_cast<uint8_t>(DataKind::kCredit));
        w.PutVarint(static_cast<uint64_t>(channel.unannounced));
        channel.unannounced = 0;
        sent = true;
        // A failed write shows up as the reader's error (the stream is broken both ways).
        if (!WriteFrame(*channel.inbound.stream, payload).ok()) channel.inbound.stream->Close();
      }
      if (!sent) shared->credit_due.Wait(host->fibers);
    }
  });
  return Status::Ok();
}

bool NetworkInputGate::Poll(int channel, Event* event) {
  auto& ch = shared_->channels[channel];
  if (ch.queue.empty()) return false;
  *event = std::move(ch.queue.front());
  ch.queue.pop_front();
  if (!IsBuffer(event->kind)) {
    --ch.queued_events;
    return true;
  }
  // The buffer is recycled: a floating one the channel no longer needs (for its producer's
  // backlog plus its exclusive share; nothing once it ended) goes back to the pool and on to a
  // channel short of buffers; any other becomes a credit again.
  --ch.queued_buffers;
  const int64_t needed = ch.ended ? 0 : ch.backlog + shared_->flow_control.buffers_per_channel;
  if (ch.floating > 0 && shared_->Owned(ch) - ch.queued_buffers > needed) {
    --ch.floating;
    ++shared_->pool;
    shared_->LendFloating(host_.fibers);
  } else if (!ch.ended) {
    ++ch.unannounced;
    shared_->credit_due.NotifyAll(host_.fibers);
  }
  return true;
}

Status NetworkInputGate::error() const {
  for (const auto& channel : shared_->channels) {
    if (!channel.error.ok() && channel.queue.empty()) return channel.error;
  }
  return Status::Ok();
}

int NetworkInputGate::channel_count() const { return static_cast<int>(shared_->channels.size()); }

int NetworkInputGate::floating_available() const { return static_cast<int>(shared_->pool); }

}  // namespace sluice
