// A replayable source of text lines: one input partition is one file on the input store, and the
// position in it is a byte offset (like a Kafka partition offset). The offset of the first line
// not yet emitted is the source's checkpointed state, so a restore re-reads exactly what the
// restored checkpoint had not covered. A line is the bytes up to '\n' (excluded); a last line
// without '\n' counts. Used by one source task's fiber; calls may suspend.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"
#include "engine/checkpoint/store.h"

namespace sluice {

class LineSourceReader {
 public:
  static constexpr uint64_t kReadSizeBytes = 16 * 1024;

  LineSourceReader(Host& host, Address input_store, std::string path)
      : store_(host, std::move(input_store)), path_(std::move(path)) {}

  // Restores the offset from Snapshot's bytes (empty: start at 0) and learns the partition size.
  Status Open(std::string_view restored);
  // Appends up to `max_lines` complete lines (and up to ~kReadSizeBytes) to *out; the offset
  // advances past exactly those lines. Returns false once the partition is exhausted (and nothing
  // was appended).
  Result<bool> ReadBatch(Collector<std::string>* out, size_t max_lines = SIZE_MAX);
  void Snapshot(std::string* out) const;
  uint64_t offset() const { return offset_; }
  bool exhausted() const { return offset_ >= size_; }

 private:
  StoreClient store_;
  std::string path_;
  uint64_t offset_ = 0;  // first byte not yet emitted
  uint64_t size_ = 0;
  std::string chunk_;
};

// The line source (engine/graph/job_graph.h's Source): split i is the file part-i under
// spec.input_dir on the input store, read by a LineSourceReader; its reference reads the same
// split of the job's input.
Source<std::string> LineSource(SourceSpec spec);

}  // namespace sluice
