// Task's checkpoint write path: the snapshot of the source position and the links at a
// barrier, an unaligned checkpoint's in-flight data, and the sealed state file written to
// checkpoint storage before the acknowledgement. Part of the Task class (task.h); the read path
// is task_restore.cc.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/checkpoint/replicated_file.h"
#include "engine/checkpoint/shared_state_registry.h"
#include "engine/runtime/fault_injection.h"
#include "engine/taskmanager/task.h"

namespace sluice {

Status Task::Checkpoint(int64_t checkpoint_id, bool unaligned) {
  std::vector<std::string> sections;
  std::string output_state;
  RETURN_IF_ERROR(SnapshotState(checkpoint_id, unaligned, &sections, &output_state));
  return PersistState(checkpoint_id, std::move(sections),
                      ChannelStateSection({}, output_state));
}

Status Task::SnapshotState(int64_t checkpoint_id, bool unaligned,
                           std::vector<std::string>* sections, std::string* output_state) {
  // Fault points: a task that fails at a barrier (the restart strategy takes over), and a slow
  // synchronous snapshot part (alignment on the other side waits longer).
  if (host_.faults.Buggify("task.fail_at_checkpoint")) {
    return AbortedError(name() + ": failed at checkpoint " + std::to_string(checkpoint_id) +
                        " (fault point task.fail_at_checkpoint)");
  }
  if (host_.faults.Buggify("task.slow_snapshot")) {
    host_.fibers.SleepFor(host_.random.UniformRange(10, 300) * kNanosPerMilli);
  }
  sections->assign(links_.size() + 1, std::string());
  if (source_functions_ != nullptr) {
    // The snapshot is a cut of the stream: the reader's position must be just past the last
    // record handed downstream, or a restore skips what was fetched but never emitted.
    SLUICE_ASSERT(fetched_unemitted_ == 0,
                  "a source snapshots its position only between batches, with nothing fetched "
                  "and not yet emitted");
    ByteWriter w(&(*sections)[0]);
    w.PutVarint(source_lines_);
    w.PutVarint(assigned_splits_.size() + (source_ ? 1 : 0));
    if (source_) {
      std::string position;
      source_->Snapshot(&position);
      w.PutString(source_split_);
      w.PutString(position);
    }
    for (const AssignedSplit& split : assigned_splits_) {
      w.PutString(split.split);
      w.PutString(split.position);
    }
    log_.Info("source.position", name() + " lines=" + std::to_string(source_lines_));
  }
  // Unaligned: the record writers' flush may queue past the credit bound (overdraft), so that
  // backpressure does not hold up the barrier.
  // A savepoint is self-contained: RocksDB writes full snapshots for it, never incremental ones.
  const bool savepoint = savepoints_.count(checkpoint_id) != 0;
  savepoints_.erase(savepoints_.begin(), savepoints_.upper_bound(checkpoint_id));
  if (rocksdb_ != nullptr) rocksdb_->BeginSnapshot(checkpoint_id, /*full=*/savepoint);
  for (auto& output : outputs_) output->set_overdraft(unaligned);
  for (size_t i = 0; i < links_.size(); ++i) {
    Status snapshot = links_[i]->Snapshot(checkpoint_id, &(*sections)[i + 1]);
    if (!snapshot.ok()) {
      for (auto& output : outputs_) output->set_overdraft(false);
      return snapshot;
    }
  }
  for (auto& output : outputs_) output->set_overdraft(false);
  output_state->clear();
  if (!input_ended_) {
    if (unaligned) {
      // [varint gates][string: each gate's in-flight buffers], or nothing if none was queued.
      ByteWriter w(output_state);
      w.PutVarint(outputs_.size());
      std::string in_flight;
      int64_t overtaken = 0;
      for (auto& output : outputs_) {
        RETURN_IF_ERROR(output->SendUnalignedBarrier(checkpoint_id, &in_flight, &overtaken));
        w.PutString(in_flight);
      }
      if (overtaken == 0) output_state->clear();
    } else {
      for (auto& output : outputs_) {
        RETURN_IF_ERROR(output->SendBarrier(checkpoint_id, savepoint));
      }
    }
  }
  return Status::Ok();
}

std::string Task::ChannelStateSection(
    const std::vector<std::vector<NetworkInputGate::Event>>& input_state,
    const std::string& output_state) {
  size_t input_buffers = 0;
  for (const auto& channel : input_state) input_buffers += channel.size();
  if (input_buffers == 0 && output_state.empty()) return std::string();
  // [varint channels]([varint events]([u8 kind] records: [u32 count][string][string timestamps];
  // watermark: [signed varint]; status: [u8 idle])*)*[string output state]
  std::string section;
  ByteWriter w(&section);
  w.PutVarint(input_state.size());
  for (const auto& channel : input_state) {
    w.PutVarint(channel.size());
    for (const NetworkInputGate::Event& event : channel) {
      w.PutU8(static_cast<uint8_t>(event.kind));
      if (event.kind == DataKind::kRecords) {
        w.PutU32(event.count);
        w.PutString(event.records);
        w.PutString(event.timestamps);
      } else if (event.kind == DataKind::kWatermark) {
        w.PutSignedVarint(event.watermark_ms);
      } else {
        SLUICE_ASSERT(event.kind == DataKind::kWatermarkStatus,
                      "input channel state holds buffers only");
        w.PutU8(event.idle ? 1 : 0);
      }
    }
  }
  w.PutString(output_state);
  return section;
}

Status Task::PersistState(int64_t checkpoint_id, std::vector<std::string> sections,
                          std::string channel_state) {
  // An unaligned checkpoint's in-flight data is one more section after the links' (none when
  // there was nothing in flight, so such a file reads as an aligned one).
  const bool in_flight_data = !channel_state.empty();
  if (in_flight_data) {
    log_.Info("checkpoint.in_flight",
                   name() + " " + std::to_string(checkpoint_id) + ": " +
                       std::to_string(channel_state.size()) + " bytes of in-flight data",
                   {{"checkpoint", checkpoint_id},
                    {"bytes", static_cast<int64_t>(channel_state.size())}});
    sections.push_back(std::move(channel_state));
  }
  std::string state;
  ByteWriter w(&state);
  w.PutVarint(sections.size());
  for (const auto& section : sections) w.PutString(section);
  const std::string path =
      "checkpoints/chk-" + std::to_string(checkpoint_id) + "/" + std::to_string(deployment_.chain) +
      "-" + std::to_string(deployment_.subtask) + "-a" + std::to_string(deployment_.attempt);
  // Incremental RocksDB snapshots: the SST files not uploaded before go to checkpoints/shared/
  // first (each sealed and kept twice, as state files), so that the state file never names a
  // file that is not durable.
  RocksDbStateBackend::SnapshotFiles shared;
  if (rocksdb_ != nullptr) {
    shared = rocksdb_->TakeSnapshotFiles(checkpoint_id);
    for (const RocksDbStateBackend::Upload& upload : shared.uploads) {
      ASSIGN_OR_RETURN(const std::string bytes, host_.fs.ReadFile(upload.local_path));
      if (static_cast<int64_t>(bytes.size()) != upload.bytes) {
        return InternalError(name() + ": SST file " + upload.local_path + " has " +
                             std::to_string(bytes.size()) + " bytes, RocksDB listed " +
                             std::to_string(upload.bytes));
      }
      RETURN_IF_ERROR(WriteReplicated(checkpoint_storage_, upload.store_path, kSharedStateMagic,
                                      bytes));
    }
    rocksdb_->SnapshotFilesUploaded(checkpoint_id);
  }
  const bool ack_first = SLUICE_BUG_PLANTED(host_, "ack-before-snapshot-durable");
  if (!ack_first) RETURN_IF_ERROR(WriteReplicated(checkpoint_storage_, path, kStateMagic, state));
  if (local_state_) local_state_->Write(checkpoint_id, path, state);
  last_snapshot_ = std::max(last_snapshot_, checkpoint_id);
  ControlMessage ack;
  ack.type = ControlType::kAcknowledgeCheckpoint;
  ack.epoch = deployment_.epoch;
  ack.attempt = deployment_.attempt;
  ack.checkpoint_id = checkpoint_id;
  ack.chain = deployment_.chain;
  ack.subtask = deployment_.subtask;
  ack.restore_path = path;
  ack.state_bytes = static_cast<int64_t>(state.size());
  ack.in_flight_data = in_flight_data;
  ack.shared_files = std::move(shared.referenced);
  ack.shared_bytes = shared.referenced_bytes;
  ack.uploaded_bytes = shared.uploaded_bytes;
  ack.times = Times();
  ack.split_index = splits_received_;
  send_(std::move(ack));
  if (ack_first) {
    host_.fibers.SleepFor(50 * kNanosPerMilli);  // planted bug: the state is not durable yet
    RETURN_IF_ERROR(WriteReplicated(checkpoint_storage_, path, kStateMagic, state));
  }
  log_.Info("checkpoint.acknowledged", name() + " " + std::to_string(checkpoint_id));
  return Status::Ok();
}

}  // namespace sluice
