// The exactly-once file sink, on the Sink V2 shape of engine/api/sink.h (Flink's FileSink:
// in-progress → pending → committed), over the output store:
//   - the writer buffers the records between two barriers (one line each);
//   - pre-commit at barrier n writes them durably as <dir>/pending/part-<subtask>-<n>-a<attempt>,
//     whose name is the committable;
//   - the committer renames pending → committed/ (durably); a committable already committed
//     counts as committed (idempotence), one that is neither is data loss;
//   - when it opens (after the restored checkpoint's committables were committed), the writer
//     aborts (removes) every pending file its subtask's earlier attempts left: those belong to
//     checkpoints that never completed. A later attempt's files are left alone.
// The committed output is the concatenation of the files under <dir>/committed/. One task fiber
// uses a sink; calls may suspend.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/api/sink.h"
#include "engine/runtime/storage_directory.h"
#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"

namespace sluice {

struct FileSinkSpec {
  std::string output_dir = "output";
};

// A pre-committed part file: its name under <dir>/pending/.
struct FileCommittable {
  std::string name;        // part-SUBTASK-CHECKPOINT-aATTEMPT
  int64_t checkpoint = 0;  // the checkpoint whose barrier pre-committed it
  auto Tie() { return std::tie(name, checkpoint); }
  auto Tie() const { return std::tie(name, checkpoint); }
};

// Formats one record as one line (without the '\n'), appending to *line.
template <typename T>
using FileFormat = std::function<void(const T&, std::string* line)>;

// The writer's work that does not depend on the record type.
class FileSinkWriterCore {
 public:
  FileSinkWriterCore(const TaskContext& ctx, FileSinkSpec spec);
  // Aborts what earlier attempts of this subtask left pending.
  Status AbortEarlierAttempts();
  // The open transaction: append whole lines ending in '\n', and count them.
  std::string* buffer() { return &buffer_; }
  void CountRecords(uint64_t n) { records_in_transaction_ += n; }
  // Writes the open transaction as a pending file (nothing if it is empty).
  Result<std::vector<FileCommittable>> PrepareCommit(int64_t checkpoint_id);

 private:
  Host& host_;
  StorageDirectory storage_;
  FileSinkSpec spec_;
  int subtask_;
  int64_t attempt_;
  std::string buffer_;
  uint64_t records_in_transaction_ = 0;
};

class FileCommitter final : public Committer<FileCommittable> {
 public:
  FileCommitter(const TaskContext& ctx, FileSinkSpec spec);
  // kDataLoss if the file is neither pending nor committed.
  Status Commit(const FileCommittable& committable) override;

 private:
  Host& host_;
  StorageDirectory storage_;
  FileSinkSpec spec_;
};

template <typename T>
class FileSinkWriter final : public SinkWriter<T, FileCommittable> {
 public:
  FileSinkWriter(const TaskContext& ctx, FileSinkSpec spec, FileFormat<T> format)
      : core_(ctx, std::move(spec)), format_(std::move(format)) {}
  Status Open() override { return core_.AbortEarlierAttempts(); }
  Status Write(std::span<const T> batch, std::span<const int64_t>) override {
    std::string* out = core_.buffer();
    for (const T& record : batch) {
      format_(record, out);
      out->push_back('\n');
    }
    core_.CountRecords(batch.size());
    return Status::Ok();
  }
  Result<std::vector<FileCommittable>> PrepareCommit(int64_t checkpoint_id) override {
    return core_.PrepareCommit(checkpoint_id);
  }

 private:
  FileSinkWriterCore core_;
  FileFormat<T> format_;
};

// The file sink for records of type T, each committed as the line `format` appends (plus '\n').
template <typename T>
Sink<T> MakeFileSink(FileSinkSpec spec, FileFormat<T> format) {
  return MakeTwoPhaseCommittingSink<T, FileCommittable>(
      [spec, format](const TaskContext& ctx) {
        return std::make_unique<FileSinkWriter<T>>(ctx, spec, format);
      },
      [spec](const TaskContext& ctx) { return std::make_unique<FileCommitter>(ctx, spec); },
      [format](const T& record, std::string* committed) {
        format(record, committed);
        committed->push_back('\n');
      });
}

}  // namespace sluice
