// A two-phase-commit file sink on the output store (the pattern of Flink's
// TwoPhaseCommitSinkFunction and FileSink: in-progress → pending → committed).
//   - Records between two barriers form one transaction, buffered in the task.
//   - Pre-commit at barrier n: the transaction is written durably as
//     <dir>/pending/part-<subtask>-<n>-a<attempt> and listed in the checkpoint's state.
//   - Commit on notification that checkpoint n completed: pending → committed by a durable rename.
//     Commits are idempotent: a transaction already in committed/ counts as committed.
//   - Restore from checkpoint c: the transactions listed in c's state are committed (they belong
//     to a completed checkpoint), every other pending file of this subtask is aborted (removed).
// The committed output is the concatenation of the files under <dir>/committed/.
// One task fiber uses a sink; calls may suspend.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/graph/chain.h"
#include "engine/checkpoint/store.h"
#include "engine/graph/job_graph.h"

namespace sluice {

struct FileSinkSpec {
  std::string output_dir = "output";
};

class TwoPhaseCommitFileSink {
 public:
  TwoPhaseCommitFileSink(const TaskContext& ctx, FileSinkSpec spec);

  Status Open(std::string_view restored);
  // The open transaction's buffer; append whole lines ending in '\n'.
  std::string* buffer() { return &buffer_; }
  void CountRecords(uint64_t n) { records_in_transaction_ += n; }
  Status PreCommit(int64_t checkpoint_id, std::string* state_out);
  Status CommitUpTo(int64_t checkpoint_id);

 private:
  struct Pending {
    int64_t checkpoint_id;
    std::string name;
  };
  Status Commit(const Pending& txn);
  std::string PendingPath(const std::string& name) const;
  std::string CommittedPath(const std::string& name) const;

  Host& host_;
  StoreClient store_;
  FileSinkSpec spec_;
  int subtask_;
  int64_t attempt_;
  std::string buffer_;
  uint64_t records_in_transaction_ = 0;
  std::vector<Pending> pending_;
};

// The chain link wrapping the sink: formats each record as one line.
template <typename T>
class FileSinkLink final : public BatchConsumer<T> {
 public:
  using Format = std::function<void(const T&, std::string* line)>;
  FileSinkLink(const TaskContext& ctx, FileSinkSpec spec, Format format)
      : sink_(ctx, std::move(spec)), format_(std::move(format)) {}
  Status Open(std::string_view restored) override { return sink_.Open(restored); }
  Status Consume(std::span<const T> batch, std::span<const int64_t>) override {
    std::string* out = sink_.buffer();
    for (const T& record : batch) {
      format_(record, out);
      out->push_back('\n');
    }
    sink_.CountRecords(batch.size());
    return Status::Ok();
  }
  Status Snapshot(int64_t checkpoint_id, std::string* out) override {
    return sink_.PreCommit(checkpoint_id, out);
  }
  Status NotifyCheckpointComplete(int64_t checkpoint_id) override {
    return sink_.CommitUpTo(checkpoint_id);
  }

 private:
  TwoPhaseCommitFileSink sink_;
  Format format_;
};

// The file sink for records of type T, each committed as the line `format` appends (plus '\n').
template <typename T>
Sink<T> MakeFileSink(FileSinkSpec spec, typename FileSinkLink<T>::Format format) {
  Sink<T> sink;
  sink.make_writer = [spec, format](const TaskContext& ctx) -> std::unique_ptr<BatchConsumer<T>> {
    return std::make_unique<FileSinkLink<T>>(ctx, spec, format);
  };
  sink.reference = [format](const T& record, std::string* committed) {
    format(record, committed);
    committed->push_back('\n');
  };
  return sink;
}

}  // namespace sluice
