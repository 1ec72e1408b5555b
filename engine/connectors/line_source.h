// A replayable source of text lines: every file in an input directory is one split
// (Flink's FileSource over text lines), and the position in it is a byte offset (like a Kafka
// partition offset). The offset of the first line
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
#include "engine/runtime/storage_directory.h"

namespace sluice {

class LineSourceReader {
 public:
  static constexpr uint64_t kReadSizeBytes = 16 * 1024;

  LineSourceReader(Host& host, const std::string& input_root, std::string path)
      : storage_(host.fs, input_root), path_(std::move(path)) {}

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
  StorageDirectory storage_;
  std::string path_;
  uint64_t offset_ = 0;  // first byte not yet emitted
  uint64_t size_ = 0;
  std::string chunk_;
};

struct SourceSpec {
  // Relative to ExternalServices::input_root. Every file directly in it is a split, in name
  // order, except names starting with '.' or '_' (hidden, as Flink's FileSource skips them).
  std::string input_dir;
  int64_t records_per_second = 0;  // over all subtasks (each takes its share); 0 = unthrottled
};

// The line source (engine/graph/job_graph.h's Source): the JobManager lists spec.input_dir and
// hands its files to the subtasks on demand (OnDemandSplitEnumerator: a subtask that finished a
// file gets the next one), each read by a LineSourceReader. Its reference reads the job's input
// splits as files part-0, part-1, ... of input_dir. A missing input directory is kNotFound (the
// JobManager retries, logging jobmanager.waiting_for_input), not a source without splits.
Source<std::string> LineSource(SourceSpec spec);

}  // namespace sluice
