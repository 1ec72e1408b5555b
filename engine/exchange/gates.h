// The task-facing ends of the data plane (implemented in engine/taskmanager/ over the Network).
//
// OutputGate: a producer subtask's channels, one per consumer subtask (index = consumer subtask).
// Data frames carry already-serialized records; a barrier or end-of-partition goes to every channel
// it is connected to (all, or its pointwise share) after everything sent before it (channels are
// ordered streams). All calls may suspend under
// backpressure. Errors (kUnavailable) fail the task.
//
// RecordDecoder: turns a data frame's records back into a typed batch for the chain's head.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/base/status.h"

namespace sluice {

// Subtasks [first, end) of one side of a network edge: the consumer subtasks a producer subtask
// is connected to (ConsumersOfProducer, engine/graph/job_graph.h).
struct SubtaskRange {
  int first = 0;
  int end = 0;
  bool Contains(int subtask) const { return subtask >= first && subtask < end; }
};

class OutputGate {
 public:
  virtual ~OutputGate() = default;
  virtual int channel_count() const = 0;
  // `timestamps`: one signed varint per record (its event timestamp, ms), or empty.
  virtual Status SendRecords(int channel, std::string_view records, uint32_t count,
                             std::string_view timestamps) = 0;
  // `savepoint`: the barrier of a savepoint (consumers take full snapshots for it).
  virtual Status SendBarrier(int64_t checkpoint_id, bool savepoint) = 0;
  // A watermark (ms) to every channel, after everything sent before it.
  virtual Status SendWatermark(int64_t watermark_ms) = 0;
  // A watermark status (idle, or active again) to every channel, after everything sent before it.
  virtual Status SendWatermarkStatus(bool idle) = 0;
  virtual Status SendEndOfPartition() = 0;
};

class RecordDecoder {
 public:
  virtual ~RecordDecoder() = default;
  // Decodes `count` records from `records` (and their timestamps, `count` signed varints, or
  // empty) and hands them to the chain head as one batch. kDataLoss if the bytes are malformed.
  virtual Status Decode(std::string_view records, uint32_t count,
                        std::string_view timestamps) = 0;
};

}  // namespace sluice
