// Side outputs (Flink's OutputTag and ctx.output): an operator emits records of another type to a
// named output besides its main one; DataStream::GetSideOutput(tag) is the stream of them, which
// may feed any operators (chained or over the network, like a main output). A window's late
// records go to one (WindowedStream::SideOutputLateData).
//
// One SideOutputs per operator instance, made by whoever runs the operator:
//   - the task: the consumers of each tag (AddConsumer); a record is buffered per tag and handed to
//     every consumer at Flush, and ForwardWatermark passes the operator's watermark on, so that a
//     side stream's event time advances with its operator's even when it carries no records;
//   - the reference evaluator: a function that takes each record's bytes (SetReferenceEmit).
// A tag nobody consumes drops its records. One tag carries one type (asserted). Not thread-safe;
// never suspends.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/serializer.h"
#include "engine/base/status.h"
#include "engine/graph/chain.h"

namespace sluice {

// Names a side output of records of type T (Flink's OutputTag<T>). The id must be unique per
// operator.
template <typename T>
struct OutputTag {
  explicit OutputTag(std::string tag_id) : id(std::move(tag_id)) {}
  std::string id;
};

class SideOutputs {
 public:
  using ReferenceEmit =
      std::function<void(const std::string& tag, std::string_view record, int64_t timestamp)>;

  // Runtime: `consumer` (a BatchConsumer of the tag's type) takes the tag's records.
  void AddConsumer(const std::string& tag, ChainLink* consumer) {
    ports_[tag].consumers.push_back(consumer);
  }
  bool empty() const { return ports_.empty() && !reference_emit_; }
  // Reference evaluator: records leave as their Serializer bytes.
  void SetReferenceEmit(ReferenceEmit emit) { reference_emit_ = std::move(emit); }

  template <typename T>
  void Emit(const OutputTag<T>& tag, const T& value, int64_t timestamp) {
    if (reference_emit_) {
      scratch_.clear();
      ByteWriter w(&scratch_);
      Serializer<T>::Write(w, value);
      reference_emit_(tag.id, scratch_, timestamp);
      return;
    }
    auto it = ports_.find(tag.id);
    if (it == ports_.end()) return;  // nobody consumes this tag
    Port& port = it->second;
    if (!port.buffer) port.buffer = std::make_unique<TypedBuffer<T>>(tag.id, port.consumers);
    auto* typed = dynamic_cast<TypedBuffer<T>*>(port.buffer.get());
    SLUICE_ASSERT(typed != nullptr, "a side output tag carries records of one type");
    typed->Add(value, timestamp);
  }
  // Hands every buffered record to its consumers.
  Status Flush() {
    for (auto& [tag, port] : ports_) {
      if (port.buffer) RETURN_IF_ERROR(port.buffer->Flush());
    }
    return Status::Ok();
  }
  // Flushes, then passes `watermark_ms` to every consumer.
  Status ForwardWatermark(int64_t watermark_ms) {
    RETURN_IF_ERROR(Flush());
    for (auto& [tag, port] : ports_) {
      for (ChainLink* consumer : port.consumers) {
        RETURN_IF_ERROR(consumer->ProcessWatermark(watermark_ms));
      }
    }
    return Status::Ok();
  }
  // Passes the operator's watermark status on to every consumer (after flushing).
  Status ForwardWatermarkStatus(bool idle) {
    RETURN_IF_ERROR(Flush());
    for (auto& [tag, port] : ports_) {
      for (ChainLink* consumer : port.consumers) RETURN_IF_ERROR(consumer->ProcessWatermarkStatus(idle));
    }
    return Status::Ok();
  }

 private:
  class Buffer {
   public:
    virtual ~Buffer() = default;
    virtual Status Flush() = 0;
  };
  template <typename T>
  class TypedBuffer final : public Buffer {
   public:
    TypedBuffer(const std::string& tag, const std::vector<ChainLink*>& consumers) {
      for (ChainLink* link : consumers) {
        auto* typed = dynamic_cast<BatchConsumer<T>*>(link);
        SLUICE_ASSERT(typed != nullptr, "a side output's consumers take its record type");
        consumers_.push_back(typed);
      }
    }
    void Add(const T& value, int64_t timestamp) {
      out_.SetTimestamp(timestamp);
      out_.Emit(value);
    }
    Status Flush() override {
      if (out_.size() == 0) return Status::Ok();
      for (BatchConsumer<T>* consumer : consumers_) {
        RETURN_IF_ERROR(consumer->Consume(out_.view(), out_.timestamps()));
      }
      out_.Clear();
      return Status::Ok();
    }

   private:
    std::vector<BatchConsumer<T>*> consumers_;
    Collector<T> out_;
  };
  struct Port {
    std::vector<ChainLink*> consumers;
    std::unique_ptr<Buffer> buffer;
  };
  std::map<std::string, Port> ports_;
  ReferenceEmit reference_emit_;
  std::string scratch_;
};

}  // namespace sluice
