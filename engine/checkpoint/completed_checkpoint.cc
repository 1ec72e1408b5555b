#include "engine/checkpoint/completed_checkpoint.h"

#include "engine/checkpoint/shared_state_registry.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "engine/base/bytes.h"
#include "engine/base/checksum.h"
#include "engine/checkpoint/replicated_file.h"
#include "engine/checkpoint/shared_state_registry.h"

namespace sluice {
namespace {
// Bounds of a decoded parallelism (Flink's max parallelism limit, 2^15).
constexpr uint64_t kMaxParallelismLimit = 32768;
}  // namespace

std::string CompletedCheckpoint::MetadataPath(int64_t id, int64_t epoch) {
  return "checkpoints/chk-" + std::to_string(id) + "/_metadata-" + std::to_string(epoch);
}

std::string CheckpointPointers::KeyOf(int64_t id) const {
  std::string digits = std::to_string(id);
  return prefix + std::string(digits.size() < 20 ? 20 - digits.size() : 0, '0') + digits;
}

std::string CompletedCheckpoint::EncodeMetadata() const {
  std::string payload;
  ByteWriter w(&payload);
  w.PutSignedVarint(id);
  w.PutVarint(state_paths.size());
  for (const auto& [task, path] : state_paths) {
    w.PutSignedVarint(task.first);
    w.PutSignedVarint(task.second);
    w.PutString(path);
  }
  w.PutVarint(enumerator_states.size());
  for (const auto& [chain, state] : enumerator_states) {
    w.PutSignedVarint(chain);
    w.PutString(state);
  }
  // The graph, last: metadata written before it was recorded ends above.
  w.PutVarint(static_cast<uint64_t>(graph.max_parallelism));
  w.PutVarint(graph.operators.size());
  for (const CheckpointedOperator& op : graph.operators) {
    w.PutString(op.name);
    w.PutVarint(static_cast<uint64_t>(op.parallelism));
  }
  // Each operator's chain, after the graph: metadata written before it was recorded ends above.
  for (const CheckpointedOperator& op : graph.operators) w.PutSignedVarint(op.chain);
  // Whether it holds in-flight data, after the chains (older metadata ends above).
  w.PutU8(has_in_flight_data ? 1 : 0);
  w.PutVarint(shared_files.size());
  for (const std::string& file : shared_files) w.PutString(file);
  return payload;
}

Result<CompletedCheckpoint> CompletedCheckpoint::DecodeMetadata(std::string_view payload,
                                                                const std::string& what) {
  CompletedCheckpoint checkpoint;
  ByteReader r(payload);
  uint64_t count = 0;
  if (!r.GetSignedVarint(&checkpoint.id) || !r.GetVarint(&count)) {
    return DataLossError(what + ": bad header");
  }
  for (uint64_t i = 0; i < count; ++i) {
    int64_t chain = 0, subtask = 0;
    std::string path;
    if (!r.GetSignedVarint(&chain) || !r.GetSignedVarint(&subtask) || !r.GetString(&path)) {
      return DataLossError(what + ": bad entry " + std::to_string(i));
    }
    checkpoint.state_paths[{static_cast<int>(chain), static_cast<int>(subtask)}] = path;
  }
  if (!r.GetVarint(&count)) return DataLossError(what + ": bad enumerator count");
  for (uint64_t i = 0; i < count; ++i) {
    int64_t chain = 0;
    std::string state;
    if (!r.GetSignedVarint(&chain) || !r.GetString(&state)) {
      return DataLossError(what + ": bad enumerator state " + std::to_string(i));
    }
    checkpoint.enumerator_states[static_cast<int>(chain)] = std::move(state);
  }
  if (r.empty()) return checkpoint;  // written before the graph was recorded
  uint64_t max_parallelism = 0;
  if (!r.GetVarint(&max_parallelism) || max_parallelism > kMaxParallelismLimit ||
      !r.GetVarint(&count) || count > r.remaining()) {
    return DataLossError(what + ": bad job graph");
  }
  checkpoint.graph.max_parallelism = static_cast<int>(max_parallelism);
  checkpoint.graph.operators.resize(count);
  for (CheckpointedOperator& op : checkpoint.graph.operators) {
    uint64_t parallelism = 0;
    if (!r.GetString(&op.name) || !r.GetVarint(&parallelism) ||
        parallelism > kMaxParallelismLimit) {
      return DataLossError(what + ": bad job graph operator");
    }
    op.parallelism = static_cast<int>(parallelism);
  }
  if (r.empty()) return checkpoint;  // written before the chains were recorded
  for (CheckpointedOperator& op : checkpoint.graph.operators) {
    int64_t chain = 0;
    if (!r.GetSignedVarint(&chain) || chain < -1 || chain >= static_cast<int64_t>(count)) {
      return DataLossError(what + ": bad job graph chain");
    }
    op.chain = static_cast<int>(chain);
  }
  if (r.empty()) return checkpoint;  // written before in-flight data was recorded
  uint8_t in_flight = 0;
  if (!r.GetU8(&in_flight) || in_flight > 1) return DataLossError(what + ": bad in-flight flag");
  checkpoint.has_in_flight_data = in_flight == 1;
  if (r.empty()) return checkpoint;  // written before shared files were recorded
  uint64_t shared = 0;
  if (!r.GetVarint(&shared) || shared > r.remaining()) {
    return DataLossError(what + ": bad shared file count");
  }
  for (uint64_t i = 0; i < shared; ++i) {
    std::string file;
    if (!r.GetString(&file)) return DataLossError(what + ": bad shared file");
    checkpoint.shared_files.insert(std::move(file));
  }
  if (!r.empty()) return DataLossError(what + ": trailing bytes");
  return checkpoint;
}

Status StoreCompletedCheckpoint(StorageDirectory& store, const CheckpointPointers& pointers,
                                const CompletedCheckpoint& checkpoint, bool checksummed) {
  const std::string path = CompletedCheckpoint::MetadataPath(checkpoint.id, pointers.fence.revision);
  RETURN_IF_ERROR(WriteReplicated(store, path, CompletedCheckpoint::kMetadataMagic,
                                  checkpoint.EncodeMetadata(), checksummed));
  return FencedWrite(pointers.etcd, pointers.fence,
                     {EtcdOp::Put(pointers.KeyOf(checkpoint.id), path)});
}

Result<std::string> WriteSavepoint(StorageDirectory& store, const CompletedCheckpoint& checkpoint,
                                   StorageDirectory& target_storage, const std::string& dir) {
  CompletedCheckpoint copy = checkpoint;
  for (auto& [task, path] : copy.state_paths) {
    ASSIGN_OR_RETURN(const std::string state, ReadReplicated(store, path, kTaskStateMagic));
    const std::string target =
        dir + "/" + std::to_string(task.first) + "-" + std::to_string(task.second);
    RETURN_IF_ERROR(WriteReplicated(target_storage, target, kTaskStateMagic, state));
    path = target;
  }
  // Shared files (incremental RocksDB SSTs) a finished task's final state names: copied under
  // the savepoint's directory, where a restore from it resolves them (their paths in the state
  // files are relative to checkpoints/).
  copy.shared_files.clear();
  const std::string checkpoints_dir = "checkpoints/";
  for (const std::string& file : checkpoint.shared_files) {
    if (file.rfind(checkpoints_dir, 0) != 0) {
      return InternalError("shared file " + file + " is not under " + checkpoints_dir);
    }
    ASSIGN_OR_RETURN(const std::string bytes, ReadReplicated(store, file, kSharedStateMagic));
    const std::string target = dir + "/" + file.substr(checkpoints_dir.size());
    RETURN_IF_ERROR(WriteReplicated(target_storage, target, kSharedStateMagic, bytes));
    copy.shared_files.insert(target);
  }
  RETURN_IF_ERROR(WriteReplicated(target_storage, dir + "/_metadata",
                                  CompletedCheckpoint::kMetadataMagic, copy.EncodeMetadata()));
  return dir;
}

Result<CompletedCheckpoint> ReadSavepoint(StorageDirectory& store, const std::string& path) {
  auto payload = ReadReplicated(store, path + "/_metadata", CompletedCheckpoint::kMetadataMagic);
  if (!payload.ok()) return payload.status().WithContext("execution.savepoint.path " + path);
  return CompletedCheckpoint::DecodeMetadata(*payload, path + "/_metadata");
}

Result<CompletedCheckpoint> ImportSavepoint(StorageDirectory& source, const std::string& path,
                                            StorageDirectory& checkpoints, const std::string& dir) {
  ASSIGN_OR_RETURN(CompletedCheckpoint savepoint, ReadSavepoint(source, path));
  // Its files are named by their paths where it was written; all lie below the directory its
  // state files are in (WriteSavepoint put them there), which may have moved since (to `path`).
  const std::string written =
      savepoint.state_paths.empty() ? path : ParentDir(savepoint.state_paths.begin()->second);
  const std::string prefix = written + "/";
  auto copy_file = [&](const std::string& file, uint32_t magic) -> Result<std::string> {
    if (file.rfind(prefix, 0) != 0) {
      return DataLossError("savepoint " + path + " names " + file + ", outside its directory " +
                           written);
    }
    const std::string relative = file.substr(prefix.size());
    ASSIGN_OR_RETURN(const std::string bytes,
                     ReadReplicated(source, path + "/" + relative, magic));
    const std::string target = dir + "/" + relative;
    RETURN_IF_ERROR(WriteReplicated(checkpoints, target, magic, bytes));
    return target;
  };
  CompletedCheckpoint imported = savepoint;
  for (auto& [task, file] : imported.state_paths) {
    ASSIGN_OR_RETURN(file, copy_file(file, kTaskStateMagic));
  }
  imported.shared_files.clear();
  for (const std::string& file : savepoint.shared_files) {
    ASSIGN_OR_RETURN(std::string target, copy_file(file, kSharedStateMagic));
    imported.shared_files.insert(std::move(target));
  }
  RETURN_IF_ERROR(WriteReplicated(checkpoints, dir + "/_metadata",
                                  CompletedCheckpoint::kMetadataMagic, imported.EncodeMetadata()));
  return imported;
}

Status RepairMetadataCopy(StorageDirectory& store, const CompletedCheckpoint& checkpoint,
                          const std::string& path, int copy, bool checksummed) {
  return WriteCopy(store, path, copy, CompletedCheckpoint::kMetadataMagic,
                   checkpoint.EncodeMetadata(), checksummed);
}

namespace {

// The highest checkpoint id of a directory under checkpoints/ (copy 0, which is always written
// first); 0 if none.
Result<int64_t> HighestCheckpointDirectory(StorageDirectory& store) {
  ASSIGN_OR_RETURN(auto names, store.List("checkpoints"));
  int64_t highest = 0;
  for (const std::string& name : names) highest = std::max(highest, CheckpointIdOfDirectory(name));
  return highest;
}

// A pointer's checkpoint id: the key's last 20 digits. -1 if it is not one.
int64_t PointerId(const CheckpointPointers& pointers, const std::string& key) {
  if (key.size() != pointers.prefix.size() + 20 || key.rfind(pointers.prefix, 0) != 0) return -1;
  int64_t id = 0;
  const char* first = key.data() + pointers.prefix.size();
  const char* last = key.data() + key.size();
  const auto [end, error] = std::from_chars(first, last, id);
  return error == std::errc() && end == last && id > 0 ? id : -1;
}

}  // namespace

Result<RecoveredCheckpoints> RecoverCheckpoints(StorageDirectory& store,
                                                const CheckpointPointers& pointers,
                                                bool checksummed) {
  RecoveredCheckpoints recovered;
  ASSIGN_OR_RETURN(recovered.highest_id_seen, HighestCheckpointDirectory(store));
  ASSIGN_OR_RETURN(const EtcdRangeResult listed, pointers.etcd.GetPrefix(pointers.prefix));
  if (listed.kvs.empty()) return recovered;
  const EtcdKeyValue& newest = listed.kvs.back();  // keys sort as ids do
  const int64_t id = PointerId(pointers, newest.key);
  if (id < 0 || newest.value.rfind("checkpoints/chk-" + std::to_string(id) + "/", 0) != 0) {
    return DataLossError("checkpoint pointer " + newest.key + " -> '" + newest.value +
                         "' names no checkpoint's metadata");
  }
  recovered.highest_id_seen = std::max(recovered.highest_id_seen, id);
  const std::string& path = newest.value;
  ASSIGN_OR_RETURN(auto copies,
                   ReadCopies(store, path, CompletedCheckpoint::kMetadataMagic, checksummed));
  using State = CopyReadout::State;
  std::string problems;
  for (int copy = 0; copy < kCopies; ++copy) {
    CopyReadout& readout = copies[copy];
    if (readout.state == State::kIntact) {
      // A copy that verifies but does not decode to this checkpoint is damaged too.
      auto checkpoint = CompletedCheckpoint::DecodeMetadata(readout.payload, CopyPath(path, copy));
      if (checkpoint.ok() && checkpoint->id == id) {
        if (!recovered.latest) recovered.latest = std::move(checkpoint).value();
        continue;
      }
      readout.state = State::kDamaged;
      readout.problem = checkpoint.ok() ? DataLossError(CopyPath(path, copy) + ": names checkpoint " +
                                                        std::to_string(checkpoint->id))
                                        : checkpoint.status();
    }
    problems += (problems.empty() ? "" : "; ") +
                (readout.state == State::kMissing ? CopyPath(path, copy) + ": missing"
                                                  : readout.problem.message());
  }
  if (!recovered.latest) {
    // Before calling it lost, confirm under the fence that the pointer is still there: a newer
    // leader may have subsumed this checkpoint and deleted its files since the pointers were
    // read (a leader paused mid-recovery: jm-failover seed 489006806).
    ASSIGN_OR_RETURN(
        const EtcdTxnResult confirmed,
        pointers.etcd.Txn({EtcdCompare::ModRevisionIs(pointers.fence.leader_key,
                                                      pointers.fence.revision)},
                          {EtcdOp::Get(newest.key)}));
    if (!confirmed.succeeded) {
      return FailedPreconditionError("fenced: " + pointers.fence.leader_key +
                                     " is no longer at epoch " +
                                     std::to_string(pointers.fence.revision));
    }
    const auto& now = confirmed.responses.front().kvs;
    if (now.empty() || now.front().mod_revision != newest.mod_revision) {
      return UnavailableError("checkpoint pointer " + newest.key +
                              " changed while its metadata was read; read again");
    }
    return DataLossError("checkpoint " + std::to_string(id) +
                         " completed but no copy of its metadata is intact (" + problems +
                         "); it may have been committed, so no older checkpoint may be restored");
  }
  recovered.latest_metadata_path = path;
  for (int copy = 0; copy < kCopies; ++copy) {
    if (copies[copy].state != State::kIntact) recovered.copies_to_repair.push_back(copy);
  }
  return recovered;
}

int64_t CheckpointIdOfDirectory(std::string_view name) {
  constexpr std::string_view kPrefix = "chk-";
  if (name.substr(0, kPrefix.size()) != kPrefix) return -1;
  int64_t id = 0;
  const char* first = name.data() + kPrefix.size();
  const char* last = name.data() + name.size();
  const auto [end, error] = std::from_chars(first, last, id);
  return error == std::errc() && end == last && first != last ? id : -1;
}

Result<int64_t> DiscardCheckpointsBelow(StorageDirectory& store, const CheckpointPointers& pointers,
                                        int64_t below, const std::set<std::string>& keep,
                                        const std::set<std::string>& keep_shared,
                                        int64_t shared_below) {
  // The pointers first: from here on the checkpoints below are no longer complete.
  EtcdOp unpoint = EtcdOp::Delete(pointers.KeyOf(0));
  unpoint.range_end = pointers.KeyOf(below);
  RETURN_IF_ERROR(FencedWrite(pointers.etcd, pointers.fence, {unpoint}));
  int64_t deleted = 0;
  auto remove = [&](const std::string& path) -> Status {
    Status removed = store.Remove(path);
    if (removed.code() == StatusCode::kNotFound) return Status::Ok();  // gone already
    if (removed.ok()) ++deleted;
    return removed;
  };
  // Removes copy `copy` of each file in `dir` for which keep_file(name) is false, then `dir`
  // itself if nothing was kept.
  auto clear_dir = [&](const std::string& dir, int copy, const auto& keep_file) -> Status {
    ASSIGN_OR_RETURN(std::vector<std::string> files, store.List(CopyPath(dir, copy)));
    bool kept = false;
    for (const std::string& file : files) {
      if (keep_file(file)) {
        kept = true;
        continue;
      }
      RETURN_IF_ERROR(remove(CopyPath(dir + "/" + file, copy)));
    }
    if (kept) return Status::Ok();
    Status removed = store.Remove(CopyPath(dir, copy));
    return removed.code() == StatusCode::kNotFound ? Status::Ok() : removed;
  };
  for (int copy = 0; copy < kCopies; ++copy) {
    const std::string root = CopyPath("checkpoints", copy);
    ASSIGN_OR_RETURN(std::vector<std::string> names, store.List(root));
    for (const std::string& name : names) {
      const int64_t id = CheckpointIdOfDirectory(name);
      if (id < 0 || id >= below) continue;
      const std::string dir = "checkpoints/" + name;
      RETURN_IF_ERROR(clear_dir(dir, copy, [&](const std::string& file) {
        return keep.count(dir + "/" + file) != 0;
      }));
    }
    // Shared files (incremental RocksDB SSTs) uploaded for a checkpoint below `shared_below` that
    // no registered checkpoint names: released by the shared-state registry, or uploaded for a
    // checkpoint that never completed.
    Result<std::vector<std::string>> instances = store.List(CopyPath(kSharedStateDir, copy));
    if (!instances.ok()) {
      if (instances.status().code() == StatusCode::kNotFound) continue;
      return instances.status();
    }
    for (const std::string& instance : *instances) {
      const std::string dir = std::string(kSharedStateDir) + "/" + instance;
      RETURN_IF_ERROR(clear_dir(dir, copy, [&](const std::string& file) {
        const int64_t id = SharedFileCheckpointId(file);
        return id < 0 || id >= shared_below || keep_shared.count(dir + "/" + file) != 0;
      }));
    }
  }
  return deleted;
}

}  // namespace sluice
