// Record writers of network edges, one per partitioner (Flink's StreamPartitioner family and its
// RecordWriter): a chain link at the end of a producer's chain that picks each record's channel
// (consumer subtask), serializes the record into that channel's reused buffer and sends a buffer
// when it reaches kBufferSizeBytesMax, at every barrier (Snapshot), at the buffer timeout
// (FlushBuffers) and at end of input. Records are serialized once per channel they go to.
//
// Channel selectors (one inline call per record, no virtual call):
//   Forward    channel = own subtask (producer and consumer parallelism are equal)
//   Rebalance  round robin over all channels, starting at own subtask mod channels (Flink starts
//              at a random channel; a fixed start keeps runs reproducible without a draw)
//   Rescale    round robin over the producer's pointwise share (Flink's POINTWISE pattern): with
//              p producers and c channels, subtask i sends to [i*c/p, max(i*c/p + 1, (i+1)*c/p))
//   Shuffle    uniform over all channels, from a generator forked off the host's seeded PRNG
//   Global     channel 0
//   Hash       KeyGroupForKeyOf(key) → OperatorIndexForKeyGroup (engine/partition/key_group.h)
//   Custom     the user's partitioner of the key; a result outside [0, channels) fails the task
//   Broadcast  every channel (BroadcastWriter)
// Writers are used by one task fiber; Consume and the flushes may suspend (backpressure).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/serializer.h"
#include "engine/base/status.h"
#include "engine/exchange/gates.h"
#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"
#include "engine/partition/key_group.h"
#include "engine/partition/key_hash.h"

namespace sluice::internal {

// Per-channel serialized buffers of one network edge, sent through the edge's output gate.
// Records with event timestamps also append them (signed varints) to the channel's timestamp
// buffer; a buffer that mixes both gets kNoTimestamp for the records that have none.
class ChannelBuffers {
 public:
  static constexpr size_t kBufferSizeBytesMax = 32 * 1024;
  explicit ChannelBuffers(OutputGate* gate)
      : gate_(gate),
        buffers_(gate->channel_count()),
        timestamps_(gate->channel_count()),
        counts_(gate->channel_count(), 0) {}
  int channels() const { return static_cast<int>(buffers_.size()); }
  // Serializes `record` into `channel`'s buffer; sends the buffer once it is full.
  template <typename T>
  Status Add(int channel, const T& record, int64_t timestamp) {
    ByteWriter w(&buffers_[channel]);
    Serializer<T>::Write(w, record);
    return Added(channel, timestamp);
  }
  // Appends already-serialized bytes of one record (a broadcast serializes once).
  Status AddSerialized(int channel, std::string_view bytes, int64_t timestamp) {
    buffers_[channel].append(bytes);
    return Added(channel, timestamp);
  }
  Status FlushAll() {
    for (int c = 0; c < channels(); ++c) RETURN_IF_ERROR(Flush(c));
    return Status::Ok();
  }
  // Flushes, then sends the watermark on every channel.
  Status SendWatermark(int64_t watermark_ms) {
    RETURN_IF_ERROR(FlushAll());
    return gate_->SendWatermark(watermark_ms);
  }
  // Flushes, then sends the watermark status on every channel.
  Status SendWatermarkStatus(bool idle) {
    RETURN_IF_ERROR(FlushAll());
    return gate_->SendWatermarkStatus(idle);
  }

 private:
  Status Added(int channel, int64_t timestamp) {
    std::string& stamps = timestamps_[channel];
    if (timestamp != kNoTimestamp || !stamps.empty()) {
      ByteWriter t(&stamps);
      if (stamps.empty()) {  // the first timestamp of this buffer: earlier records had none
        for (uint32_t i = 0; i < counts_[channel]; ++i) t.PutSignedVarint(kNoTimestamp);
      }
      t.PutSignedVarint(timestamp);
    }
    ++counts_[channel];
    return buffers_[channel].size() >= kBufferSizeBytesMax ? Flush(channel) : Status::Ok();
  }
  Status Flush(int channel) {
    if (counts_[channel] == 0) return Status::Ok();
    Status s =
        gate_->SendRecords(channel, buffers_[channel], counts_[channel], timestamps_[channel]);
    buffers_[channel].clear();  // keeps capacity
    timestamps_[channel].clear();
    counts_[channel] = 0;
    return s;
  }
  OutputGate* gate_;
  std::vector<std::string> buffers_;
  std::vector<std::string> timestamps_;
  std::vector<uint32_t> counts_;
};

template <typename T, typename Selector>
class PartitionWriter final : public BatchConsumer<T> {
 public:
  PartitionWriter(OutputGate* gate, Selector selector)
      : buffers_(gate), selector_(std::move(selector)) {}
  Status Consume(std::span<const T> batch, std::span<const int64_t> timestamps) override {
    const int channels = buffers_.channels();
    for (size_t i = 0; i < batch.size(); ++i) {
      const T& record = batch[i];
      const int channel = selector_.Select(record, channels);
      if (channel < 0 || channel >= channels) {
        return InvalidArgumentError("partitioner chose channel " + std::to_string(channel) +
                                    " of " + std::to_string(channels));
      }
      RETURN_IF_ERROR(buffers_.Add(channel, record, TimestampAt(timestamps, i)));
    }
    return Status::Ok();
  }
  Status ProcessWatermark(int64_t watermark_ms) override {
    return buffers_.SendWatermark(watermark_ms);
  }
  Status ProcessWatermarkStatus(bool idle) override {
    return buffers_.SendWatermarkStatus(idle);
  }
  Status Snapshot(int64_t, std::string*) override { return buffers_.FlushAll(); }
  Status EndOfInput() override { return buffers_.FlushAll(); }
  Status FlushBuffers() override { return buffers_.FlushAll(); }

 private:
  ChannelBuffers buffers_;
  Selector selector_;
};

template <typename T>
class BroadcastWriter final : public BatchConsumer<T> {
 public:
  explicit BroadcastWriter(OutputGate* gate) : buffers_(gate) {}
  Status Consume(std::span<const T> batch, std::span<const int64_t> timestamps) override {
    for (size_t i = 0; i < batch.size(); ++i) {
      scratch_.clear();
      ByteWriter w(&scratch_);
      Serializer<T>::Write(w, batch[i]);
      for (int c = 0; c < buffers_.channels(); ++c) {
        RETURN_IF_ERROR(buffers_.AddSerialized(c, scratch_, TimestampAt(timestamps, i)));
      }
    }
    return Status::Ok();
  }
  Status ProcessWatermark(int64_t watermark_ms) override {
    return buffers_.SendWatermark(watermark_ms);
  }
  Status ProcessWatermarkStatus(bool idle) override {
    return buffers_.SendWatermarkStatus(idle);
  }
  Status Snapshot(int64_t, std::string*) override { return buffers_.FlushAll(); }
  Status EndOfInput() override { return buffers_.FlushAll(); }
  Status FlushBuffers() override { return buffers_.FlushAll(); }

 private:
  ChannelBuffers buffers_;
  std::string scratch_;
};

struct ForwardSelector {
  int subtask;
  template <typename T>
  int Select(const T&, int) const { return subtask; }
};

struct RebalanceSelector {
  int next;
  template <typename T>
  int Select(const T&, int channels) {
    const int channel = next;
    next = next + 1 == channels ? 0 : next + 1;
    return channel;
  }
};

struct RescaleSelector {
  int first;  // the producer's pointwise share of channels: [first, end)
  int end;
  int next;
  static RescaleSelector For(int subtask, int producers, int channels) {
    const SubtaskRange share =
        ConsumersOfProducer(Partitioner::kRescale, subtask, producers, channels);
    return RescaleSelector{share.first, share.end, share.first};
  }
  template <typename T>
  int Select(const T&, int) {
    const int channel = next;
    next = next + 1 == end ? first : next + 1;
    return channel;
  }
};

struct ShuffleSelector {
  Random random;
  template <typename T>
  int Select(const T&, int channels) {
    return static_cast<int>(random.Uniform(static_cast<uint64_t>(channels)));
  }
};

struct GlobalSelector {
  template <typename T>
  int Select(const T&, int) const { return 0; }
};

template <typename T, typename K>
struct HashSelector {
  std::function<K(const T&)> key_of;
  int max_parallelism;
  int Select(const T& record, int channels) const {
    return OperatorIndexForKeyGroup(max_parallelism, channels,
                                    KeyGroupForKeyOf(key_of(record), max_parallelism));
  }
};

template <typename T>
struct CustomSelector {
  std::function<int(const T&, int channels)> select;
  int Select(const T& record, int channels) const { return select(record, channels); }
};

// The writer factory of an edge carrying T with `partitioner` (kHash and kCustom take theirs
// from MakeHashWriter / MakeCustomWriter).
template <typename T>
WriterFactory MakeWriter(Partitioner partitioner) {
  SLUICE_ASSERT(partitioner != Partitioner::kHash && partitioner != Partitioner::kCustom,
                "keyed partitioners need their key function");
  return [partitioner](const TaskContext& ctx, OutputGate* gate) -> std::unique_ptr<ChainLink> {
    switch (partitioner) {
      case Partitioner::kForward:
        SLUICE_ASSERT(gate->channel_count() == ctx.parallelism,
                      "a forward edge joins equal parallelisms");
        return std::make_unique<PartitionWriter<T, ForwardSelector>>(
            gate, ForwardSelector{ctx.subtask});
      case Partitioner::kRebalance:
        return std::make_unique<PartitionWriter<T, RebalanceSelector>>(
            gate, RebalanceSelector{ctx.subtask % gate->channel_count()});
      case Partitioner::kRescale:
        return std::make_unique<PartitionWriter<T, RescaleSelector>>(
            gate, RescaleSelector::For(ctx.subtask, ctx.parallelism, gate->channel_count()));
      case Partitioner::kShuffle:
        return std::make_unique<PartitionWriter<T, ShuffleSelector>>(
            gate, ShuffleSelector{ctx.host->random.Fork()});
      case Partitioner::kGlobal:
        return std::make_unique<PartitionWriter<T, GlobalSelector>>(gate, GlobalSelector{});
      case Partitioner::kBroadcast:
        return std::make_unique<BroadcastWriter<T>>(gate);
      case Partitioner::kHash:
      case Partitioner::kCustom:
        break;
    }
    SLUICE_ASSERT(false, "MakeWriter covers every unkeyed partitioner");
    return nullptr;
  };
}

template <typename T, typename K>
WriterFactory MakeHashWriter(std::function<K(const T&)> key_of) {
  return [key_of](const TaskContext& ctx, OutputGate* gate) -> std::unique_ptr<ChainLink> {
    return std::make_unique<PartitionWriter<T, HashSelector<T, K>>>(
        gate, HashSelector<T, K>{key_of, ctx.max_parallelism});
  };
}

template <typename T>
WriterFactory MakeCustomWriter(std::function<int(const T&, int channels)> select) {
  return [select](const TaskContext&, OutputGate* gate) -> std::unique_ptr<ChainLink> {
    return std::make_unique<PartitionWriter<T, CustomSelector<T>>>(gate,
                                                                   CustomSelector<T>{select});
  };
}

}  // namespace sluice::internal
