// Exactly-once sinks in the shape of Flink's Sink V2 (FLIP-191, FLIP-372: SinkWriter,
// CommittingSinkWriter::prepareCommit, Committer, committables):
//   - a SinkWriter takes the records; at each checkpoint barrier n it pre-commits: it makes what
//     it was given since the last barrier durable but invisible, and returns committables, small
//     values naming that data (a pending file's name, a transaction id);
//   - the committables are stored in checkpoint n's state of the sink;
//   - a Committer makes them visible once checkpoint n completes (NotifyCheckpointComplete), in
//     checkpoint order;
//   - after a restore from checkpoint c, every committable c's state holds is committed again,
//     before any new record: c completed, so what it pre-committed must become visible even if
//     the notification never arrived. Commits are therefore idempotent: a committable already
//     committed commits again without effect (a restore, a retried commit whose acknowledgement
//     was lost). Then the writer opens, and may abort what earlier attempts pre-committed into
//     checkpoints that never completed.
// Flink runs the writer and the committer as two chained operators; here one sink link holds
// both, with the committables between them in its checkpointed state. A writer keeps no state of
// its own across checkpoints (Flink's SupportsWriterState is not offered): whatever it buffers
// is pre-committed at every barrier.
//
//   struct Txn { std::string id; auto Tie() { return std::tie(id); } auto Tie() const { ... } };
//   class MyWriter : public SinkWriter<Row, Txn> { ... };
//   class MyCommitter : public Committer<Txn> { ... };
//   stream.AddSink("Rows", MakeTwoPhaseCommittingSink<Row, Txn>(
//       [](const TaskContext& ctx) { return std::make_unique<MyWriter>(ctx); },
//       [](const TaskContext& ctx) { return std::make_unique<MyCommitter>(ctx); },
//       [](const Row& row, std::string* committed) { ... }));  // what the reference commits
//
// Writers and committers run on their task's fiber; every call may suspend (I/O). An error from
// any call fails the task, and the job's restart strategy takes over.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
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
#include "engine/graph/job_graph.h"
#include "engine/runtime/fault_injection.h"
#include "engine/runtime/host.h"

namespace sluice {

// Writes records of type T and pre-commits them as committables of type CommT (any type with a
// Serializer: they are stored in checkpoints).
template <typename T, typename CommT>
class SinkWriter {
 public:
  virtual ~SinkWriter() = default;
  // Called once, after the restored checkpoint's committables were committed, before any record.
  virtual Status Open() { return Status::Ok(); }
  // One batch of records, with their event timestamps (ms) or empty if they have none.
  virtual Status Write(std::span<const T> batch, std::span<const int64_t> timestamps) = 0;
  // Barrier `checkpoint_id`: makes everything written since the last call durable and returns
  // the committables that make it visible (none if nothing was written). Each must be
  // committable by a Committer in another process after this one crashed.
  virtual Result<std::vector<CommT>> PrepareCommit(int64_t checkpoint_id) = 0;
};

// Makes committables visible. Commit must be idempotent (see above).
template <typename CommT>
class Committer {
 public:
  virtual ~Committer() = default;
  virtual Status Commit(const CommT& committable) = 0;
};

template <typename T, typename CommT>
using SinkWriterFactory = std::function<std::unique_ptr<SinkWriter<T, CommT>>(const TaskContext&)>;
template <typename CommT>
using CommitterFactory = std::function<std::unique_ptr<Committer<CommT>>(const TaskContext&)>;

namespace internal {

// The sink operator: the writer, the committables pre-committed into checkpoints that have not
// completed yet (its state), and the committer.
template <typename T, typename CommT>
class TwoPhaseCommittingSinkLink final : public BatchConsumer<T> {
 public:
  TwoPhaseCommittingSinkLink(const TaskContext& ctx, std::unique_ptr<SinkWriter<T, CommT>> writer,
                             std::unique_ptr<Committer<CommT>> committer)
      : host_(*ctx.host),
        what_(ctx.task_name),
        writer_(std::move(writer)),
        committer_(std::move(committer)) {}

  // State: [varint n] n × ([signed varint checkpoint id][string: the committable's bytes]).
  // After a rescale a subtask may restore several old subtasks' lists (kSplitDistribute: each
  // list exactly once over all subtasks), whose committables it all commits.
  Status Open(std::span<const std::string_view> restored) override {
    pending_.clear();
    for (std::string_view section : restored) RETURN_IF_ERROR(ReadPending(section));
    // The restored checkpoint completed, so what it pre-committed commits now.
    for (const Pending& pending : pending_) completed_ = std::max(completed_, pending.checkpoint_id);
    if (!SLUICE_BUG_PLANTED(host_, "pending-commits-not-recovered")) {
      for (const Pending& pending : pending_) RETURN_IF_ERROR(Commit(pending));
      if (!pending_.empty()) {
        host_.log.Info("sink.recovered", what_ + " committed=" + std::to_string(pending_.size()));
      }
    }
    pending_.clear();
    return writer_->Open();
  }
  Status Consume(std::span<const T> batch, std::span<const int64_t> timestamps) override {
    return writer_->Write(batch, timestamps);
  }
  Status Snapshot(int64_t checkpoint_id, std::string* out) override {
    SLUICE_ASSERT(pending_.empty() || pending_.back().checkpoint_id < checkpoint_id,
                  "a sink pre-commits checkpoints in increasing order");
    ASSIGN_OR_RETURN(std::vector<CommT> committables, writer_->PrepareCommit(checkpoint_id));
    for (CommT& committable : committables) {
      Pending pending{checkpoint_id, std::move(committable)};
      if (SLUICE_BUG_PLANTED(host_, "sink-commit-at-precommit")) {
        // Planted bug: visible before the checkpoint completes.
        RETURN_IF_ERROR(Commit(pending));
        continue;
      }
      pending_.push_back(std::move(pending));
    }
    ByteWriter w(out);
    w.PutVarint(pending_.size());
    for (const Pending& pending : pending_) {
      w.PutSignedVarint(pending.checkpoint_id);
      scratch_.clear();
      ByteWriter cw(&scratch_);
      Serializer<CommT>::Write(cw, pending.committable);
      w.PutString(scratch_);
    }
    return Status::Ok();
  }
  // Commits, in checkpoint order, every committable of checkpoints up to `checkpoint_id`.
  Status NotifyCheckpointComplete(int64_t checkpoint_id) override {
    completed_ = std::max(completed_, checkpoint_id);
    size_t done = 0;
    while (done < pending_.size() && pending_[done].checkpoint_id <= checkpoint_id) {
      RETURN_IF_ERROR(Commit(pending_[done]));
      ++done;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
    return Status::Ok();
  }

 private:
  struct Pending {
    int64_t checkpoint_id = 0;
    CommT committable{};
  };
  // Exactly once hinges on this: output becomes visible only as part of a completed checkpoint,
  // so a restore never replays input whose output is already visible.
  Status Commit(const Pending& pending) {
    SLUICE_ASSERT(pending.checkpoint_id <= completed_,
                  "a sink commits a committable only once its checkpoint completed");
    return committer_->Commit(pending.committable);
  }
  Status ReadPending(std::string_view restored) {
    ByteReader r(restored);
    uint64_t count = 0;
    if (!restored.empty() && !r.GetVarint(&count)) return Malformed("its count");
    for (uint64_t i = 0; i < count; ++i) {
      Pending pending;
      std::string bytes;
      if (!r.GetSignedVarint(&pending.checkpoint_id) || !r.GetString(&bytes)) {
        return Malformed("committable " + std::to_string(i));
      }
      ByteReader cr(bytes);
      if (!Serializer<CommT>::Read(cr, &pending.committable) || !cr.empty()) {
        return Malformed("committable " + std::to_string(i));
      }
      pending_.push_back(std::move(pending));
    }
    if (!r.empty()) return Malformed("its end");
    return Status::Ok();
  }
  Status Malformed(const std::string& where) const {
    return DataLossError(what_ + ": sink state malformed at " + where);
  }

  Host& host_;
  std::string what_;
  std::unique_ptr<SinkWriter<T, CommT>> writer_;
  std::unique_ptr<Committer<CommT>> committer_;
  std::vector<Pending> pending_;  // in checkpoint order
  int64_t completed_ = 0;  // the highest checkpoint known complete (notified or restored)
  std::string scratch_;
};

}  // namespace internal

// A sink of records of type T from a writer and a committer (made per subtask), and what
// committing one record adds to the output for the reference evaluator (`reference` may be
// empty: the simulator then refuses to judge the job, naming the sink).
template <typename T, typename CommT>
Sink<T> MakeTwoPhaseCommittingSink(SinkWriterFactory<T, CommT> create_writer,
                                   CommitterFactory<CommT> create_committer,
                                   std::function<void(const T&, std::string*)> reference) {
  Sink<T> sink;
  sink.make_writer = [create_writer, create_committer](
                         const TaskContext& ctx) -> std::unique_ptr<BatchConsumer<T>> {
    return std::make_unique<internal::TwoPhaseCommittingSinkLink<T, CommT>>(ctx, create_writer(ctx),
                                                                            create_committer(ctx));
  };
  sink.reference = std::move(reference);
  return sink;
}

}  // namespace sluice
