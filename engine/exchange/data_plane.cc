#include "engine/exchange/data_plane.h"

#include "engine/base/assert.h"
#include "engine/base/bytes.h"

namespace sluice {
namespace {
constexpr int64_t kConnectAttemptTimeoutNs = 1000 * 1000 * 1000LL;
constexpr int64_t kConnectRetryDelayNs = 50 * 1000 * 1000LL;
constexpr size_t kMaxHeldStreams = 4096;
}  // namespace

Status DataServer::Start(uint16_t port) {
  ASSIGN_OR_RETURN(listener_, host_.network.Listen(port));
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

Status NetworkOutputGate::Connect(int64_t deadline_ns) {
  SLUICE_ASSERT(connected_.first >= 0 && connected_.first < connected_.end &&
                    connected_.end <= static_cast<int>(consumers_.size()),
                "a producer is connected to some of its edge's consumer subtasks");
  streams_.resize(consumers_.size());
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
        streams_[c] = std::move(stream).value();
        break;
      }
      if (host_.clock.NowNs() >= deadline_ns) {
        return stream.status().WithContext("data channel to " + consumers_[c].ToString());
      }
      host_.fibers.SleepFor(kConnectRetryDelayNs);
    }
  }
  return Status::Ok();
}

Status NetworkOutputGate::SendRecords(int channel, std::string_view records, uint32_t count,
                                      std::string_view timestamps) {
  // Frame = header + [kind][u32 count][records]; built in place in one reused buffer, one write.
  frame_.clear();
  const size_t frame_start = StartFrame(&frame_);
  ByteWriter w(&frame_);
  if (timestamps.empty()) {
    w.PutU8(static_cast<uint8_t>(DataKind::kRecords));
    w.PutU32(count);
    w.PutRaw(records);
  } else {
    w.PutU8(static_cast<uint8_t>(DataKind::kTimestampedRecords));
    w.PutU32(count);
    w.PutVarint(records.size());
    w.PutRaw(records);
    w.PutRaw(timestamps);
  }
  FinishFrame(&frame_, frame_start);
  SLUICE_ASSERT(connected_.Contains(channel),
                "a partitioner picks only channels its producer is connected to");
  return streams_[channel]->Write(frame_);
}

Status NetworkOutputGate::SendToAll(std::string_view payload) {
  frame_.clear();
  AppendFrame(&frame_, payload);
  for (int c = connected_.first; c < connected_.end; ++c) {
    RETURN_IF_ERROR(streams_[c]->Write(frame_));
  }
  return Status::Ok();
}

Status NetworkOutputGate::SendBarrier(int64_t checkpoint_id) {
  std::string payload;
  ByteWriter w(&payload);
  w.PutU8(static_cast<uint8_t>(DataKind::kBarrier));
  w.PutSignedVarint(checkpoint_id);
  return SendToAll(payload);
}

Status NetworkOutputGate::SendWatermark(int64_t watermark_ms) {
  std::string payload;
  ByteWriter w(&payload);
  w.PutU8(static_cast<uint8_t>(DataKind::kWatermark));
  w.PutSignedVarint(watermark_ms);
  return SendToAll(payload);
}

Status NetworkOutputGate::SendWatermarkStatus(bool idle) {
  std::string payload;
  ByteWriter w(&payload);
  w.PutU8(static_cast<uint8_t>(DataKind::kWatermarkStatus));
  w.PutU8(idle ? 1 : 0);
  return SendToAll(payload);
}

Status NetworkOutputGate::SendEndOfPartition() {
  std::string payload(1, static_cast<char>(DataKind::kEnd));
  return SendToAll(payload);
}

struct NetworkInputGate::Shared {
  struct Channel {
    InboundStream inbound;
    std::deque<Event> queue;
    WaitList space;
    FiberId reader = kNoFiber;
    Status error;
    bool ended = false;
  };
  std::vector<Channel> channels;
  std::vector<int> producers;  // of each channel
  std::shared_ptr<WaitList> wakeup;
};

NetworkInputGate::NetworkInputGate(Host& host, std::vector<int> producers,
                                   std::shared_ptr<WaitList> wakeup)
    : host_(host), shared_(std::make_shared<Shared>()) {
  shared_->channels.resize(producers.size());
  shared_->producers = std::move(producers);
  shared_->wakeup = std::move(wakeup);
}

NetworkInputGate::~NetworkInputGate() {
  for (auto& channel : shared_->channels) {
    if (channel.inbound.stream) channel.inbound.stream->Close();
    if (channel.reader != kNoFiber) host_.fibers.Cancel(channel.reader);
  }
}

namespace {
Status ParseEvent(std::string_view frame, NetworkInputGate::Event* event) {
  ByteReader r(frame);
  uint8_t kind = 0;
  if (!r.GetU8(&kind)) return DataLossError("empty data frame");
  event->kind = static_cast<DataKind>(kind);
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
    case DataKind::kBarrier:
      if (!r.GetSignedVarint(&event->checkpoint_id)) return DataLossError("bad barrier frame");
      return Status::Ok();
    case DataKind::kEnd:
      return Status::Ok();
    default:
      return DataLossError("unexpected data frame kind " + std::to_string(kind));
  }
}
}  // namespace

Status NetworkInputGate::Connect(DataServer& server, ChannelKey key_template, int64_t deadline_ns) {
  for (size_t c = 0; c < shared_->channels.size(); ++c) {
    ChannelKey key = key_template;
    key.producer = static_cast<int32_t>(shared_->producers[c]);
    ASSIGN_OR_RETURN(shared_->channels[c].inbound, server.Take(key, deadline_ns));
  }
  for (size_t c = 0; c < shared_->channels.size(); ++c) {
    Host* host = &host_;
    std::shared_ptr<Shared> shared = shared_;
    shared_->channels[c].reader = host_.fibers.Spawn("input-channel", [host, shared, c] {
      auto& channel = shared->channels[c];
      while (!channel.ended) {
        auto frame = channel.inbound.reader->Next();
        Event event;
        Status s = frame.ok() ? ParseEvent(frame.value(), &event) : frame.status();
        if (!s.ok()) {
          channel.error = s;
          shared->wakeup->NotifyAll(host->fibers);
          return;
        }
        while (channel.queue.size() >= kMaxQueuedFrames) channel.space.Wait(host->fibers);
        channel.ended = event.kind == DataKind::kEnd;
        channel.queue.push_back(std::move(event));
        shared->wakeup->NotifyAll(host->fibers);
      }
    });
  }
  return Status::Ok();
}

bool NetworkInputGate::Poll(int channel, Event* event) {
  auto& ch = shared_->channels[channel];
  if (ch.queue.empty()) return false;
  *event = std::move(ch.queue.front());
  ch.queue.pop_front();
  ch.space.NotifyAll(host_.fibers);
  return true;
}

Status NetworkInputGate::error() const {
  for (const auto& channel : shared_->channels) {
    if (!channel.error.ok() && channel.queue.empty()) return channel.error;
  }
  return Status::Ok();
}

int NetworkInputGate::channel_count() const { return static_cast<int>(shared_->channels.size()); }

}  // namespace sluice
