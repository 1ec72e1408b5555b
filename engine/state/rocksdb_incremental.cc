// RocksDbKeyedStateBackend's incremental snapshots (SST files shared between checkpoints) and
// their restores, natively or by copying key ranges, and the task-level bookkeeping of the files
// to upload (RocksDbStateBackend). See rocksdb_keyed_state_backend.h.
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/metadata.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/state/keyed_state.h"
#include "engine/state/rocksdb_env.h"
#include "engine/state/rocksdb_instance.h"
#include "engine/state/rocksdb_keyed_state_backend.h"

namespace sluice {

struct RocksDbKeyedStateBackend::IncrementalHandle {
  KeyGroupRange range;
  std::string instance;
  struct File {
    std::string name;
    std::string store_path;  // relative to the checkpoint directory
    uint64_t bytes = 0;
  };
  std::vector<File> ssts;
  std::string manifest_name;
  std::string manifest;
};

namespace {

// Parses an incremental snapshot (the marker already read). False on malformed bytes.
bool ReadIncrementalHandle(ByteReader& r, int max_parallelism,
                           RocksDbKeyedStateBackend::IncrementalHandle* handle) {
  uint64_t version = 0, count = 0;
  uint32_t first = 0, last = 0;
  if (!r.GetVarint(&version) || version != 1 || !r.GetU32(&first) || !r.GetU32(&last) ||
      last >= static_cast<uint32_t>(max_parallelism) || first > last ||
      !r.GetString(&handle->instance) || !r.GetVarint(&count) || count > r.remaining() / 3) {
    return false;  // each file takes at least 3 bytes
  }
  handle->range = KeyGroupRange{static_cast<int>(first), static_cast<int>(last)};
  for (uint64_t i = 0; i < count; ++i) {
    RocksDbKeyedStateBackend::IncrementalHandle::File& file = handle->ssts.emplace_back();
    if (!r.GetString(&file.name) || !r.GetString(&file.store_path) || !r.GetVarint(&file.bytes) ||
        file.name.empty() || file.name.find('/') != std::string::npos ||
        file.store_path.rfind("shared/", 0) != 0 ||
        file.store_path.find("..") != std::string::npos) {
      return false;
    }
  }
  return r.GetString(&handle->manifest_name) && r.GetString(&handle->manifest) && r.empty() &&
         handle->manifest_name.rfind("MANIFEST-", 0) == 0 &&
         handle->manifest_name.find('/') == std::string::npos;
}

// Writes `bytes` to `path` and syncs it (the directory is synced by the caller). May suspend.
Status WriteSynced(FileSystem& fs, const std::string& path, std::string_view bytes) {
  ASSIGN_OR_RETURN(auto file, fs.OpenAppendable(path, /*truncate=*/true));
  RETURN_IF_ERROR(file->Append(bytes));
  RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

}  // namespace

Status RocksDbKeyedStateBackend::SnapshotIncremental(int64_t checkpoint_id, std::string* out) {
  Instance& in = *instance_;
  RETURN_IF_ERROR(Flush());
  in.env.Enter();
  rocksdb::Status s;
  if (!deletions_disabled_) s = in.db->DisableFileDeletions();
  std::vector<std::string> live;
  uint64_t manifest_size = 0;
  if (s.ok()) {
    deletions_disabled_ = true;
    s = in.db->GetLiveFiles(live, &manifest_size, /*flush_memtable=*/false);
  }
  std::vector<rocksdb::LiveFileMetaData> metadata;
  if (s.ok()) in.db->GetLiveFilesMetaData(&metadata);
  latency_owed_ns_ += in.env.Leave();
  if (!s.ok()) return Failure("incremental snapshot", s.IsCorruption(), s.ToString());
  std::string manifest_name;
  for (const std::string& file : live) {
    const std::string name = file.substr(file.rfind('/') + 1);  // npos + 1: all of it
    if (name.rfind("MANIFEST-", 0) == 0) manifest_name = name;
  }
  if (manifest_name.empty()) return InternalError("RocksDB listed no MANIFEST in " + dir_);
  ASSIGN_OR_RETURN(const std::string manifest,
                   host_.fs.ReadRange(dir_ + "/" + manifest_name, 0, manifest_size));
  if (manifest.size() != manifest_size) {
    return InternalError("RocksDB's MANIFEST in " + dir_ + " is shorter than it said");
  }
  std::map<std::string, uint64_t> ssts;  // by name: a deterministic order
  for (const rocksdb::LiveFileMetaData& file : metadata) {
    const std::string name = file.name.substr(file.name.rfind('/') + 1);
    ssts[name] = file.size;
  }
  std::vector<RocksDbStateBackend::Upload> uploads;
  std::vector<std::string> referenced;
  int64_t referenced_bytes = 0;
  uploading_.clear();
  ByteWriter w(out);
  w.PutVarint(kIncrementalSnapshotMarker);
  w.PutVarint(1);
  w.PutU32(static_cast<uint32_t>(range_.start));
  w.PutU32(static_cast<uint32_t>(range_.end));
  w.PutString(instance_id_);
  w.PutVarint(ssts.size());
  for (const auto& [name, bytes] : ssts) {
    SharedSst shared;
    if (auto it = uploaded_.find(name); it != uploaded_.end()) {
      shared = it->second;
    } else {
      shared.path = "shared/" + instance_id_ + "/" + std::to_string(checkpoint_id) + "-" + name;
      shared.bytes = static_cast<int64_t>(bytes);
      uploads.push_back({dir_ + "/" + name, owner_->checkpoint_dir() + "/" + shared.path,
                         shared.bytes});
      uploading_[name] = shared;
    }
    w.PutString(name);
    w.PutString(shared.path);
    w.PutVarint(static_cast<uint64_t>(shared.bytes));
    referenced.push_back(owner_->checkpoint_dir() + "/" + shared.path);
    referenced_bytes += shared.bytes;
  }
  w.PutString(manifest_name);
  w.PutString(manifest);
  host_.log.Info("rocksdb.snapshot",
                 dir_ + ": incremental, " + std::to_string(ssts.size()) + " SST files, " +
                     std::to_string(uploads.size()) + " new");
  owner_->Report(this, std::move(uploads), std::move(referenced), referenced_bytes);
  PayLatency();
  return Status::Ok();
}

void RocksDbKeyedStateBackend::OnSnapshotFilesDone(bool uploaded) {
  if (uploaded) {
    for (auto& [name, shared] : uploading_) uploaded_[name] = shared;
  }
  uploading_.clear();
  if (!deletions_disabled_) return;
  Instance& in = *instance_;
  in.env.Enter();
  // Deletions resume; an error here (the disk) surfaces at the next write or flush.
  (void)in.db->EnableFileDeletions(/*force=*/false);
  in.env.RunBackgroundWork();
  latency_owed_ns_ += in.env.Leave();
  deletions_disabled_ = false;
}

Status RocksDbKeyedStateBackend::Restore(std::span<const std::string_view> snapshots,
                                         const std::string& what, const ValueReader& read_value) {
  std::vector<std::string_view> full;
  std::vector<IncrementalHandle> incremental;
  for (std::string_view data : snapshots) {
    if (data.empty()) continue;
    ByteReader r(data);
    uint64_t first = 0;
    if (!r.GetVarint(&first)) return DataLossError(what + ": bad keyed-state header");
    if (first != kIncrementalSnapshotMarker) {
      full.push_back(data);
      continue;
    }
    IncrementalHandle handle;
    if (!ReadIncrementalHandle(r, max_parallelism_, &handle)) {
      return DataLossError(what + ": bad incremental RocksDB snapshot");
    }
    if (handle.range.end >= range_.start && handle.range.start <= range_.end) {
      incremental.push_back(std::move(handle));
    }
  }
  if (!incremental.empty() && (owner_ == nullptr || !owner_->read_shared())) {
    return FailedPreconditionError(what + ": an incremental RocksDB snapshot, and no checkpoint "
                                          "storage to read its files from");
  }
  if (full.empty() && incremental.size() == 1 && incremental[0].range.start == range_.start &&
      incremental[0].range.end == range_.end) {
    return RestoreNative(incremental[0], what);
  }
  RETURN_IF_ERROR(RestoreFull(full, what, read_value));
  for (size_t i = 0; i < incremental.size(); ++i) {
    RETURN_IF_ERROR(RestoreByCopy(incremental[i], static_cast<int>(i), what));
  }
  return Status::Ok();
}

Status RocksDbKeyedStateBackend::PlaceFiles(const IncrementalHandle& handle,
                                            const std::string& dir, const std::string& what) {
  RETURN_IF_ERROR(RemoveDirRecursively(host_.fs, dir));
  RETURN_IF_ERROR(host_.fs.CreateDir(dir));
  for (const IncrementalHandle::File& file : handle.ssts) {
    const std::string store_path = owner_->restore_dir() + "/" + file.store_path;
    Result<std::string> bytes = owner_->read_shared()(store_path);
    if (bytes.status().code() == StatusCode::kNotFound) {
      // No copy is left: the restored checkpoint's state is lost for good, as for a state file.
      return DataLossError(what + ": shared file " + store_path + " of the restored checkpoint: " +
                           bytes.status().message());
    }
    if (!bytes.ok()) return bytes.status().WithContext(what + ": shared file " + store_path);
    if (bytes->size() != file.bytes) {
      return DataLossError(what + ": shared file " + store_path + " has " +
                           std::to_string(bytes->size()) + " bytes, the snapshot says " +
                           std::to_string(file.bytes));
    }
    RETURN_IF_ERROR(WriteSynced(host_.fs, dir + "/" + file.name, *bytes));
  }
  RETURN_IF_ERROR(WriteSynced(host_.fs, dir + "/" + handle.manifest_name, handle.manifest));
  RETURN_IF_ERROR(WriteSynced(host_.fs, dir + "/CURRENT", handle.manifest_name + "\n"));
  return host_.fs.SyncDir(dir);
}

Status RocksDbKeyedStateBackend::RestoreNative(const IncrementalHandle& handle,
                                               const std::string& what) {
  RETURN_IF_ERROR(CloseInstance());
  RETURN_IF_ERROR(PlaceFiles(handle, dir_, what));
  RETURN_IF_ERROR(OpenInstance(/*existing=*/true));
  uploaded_.clear();
  // The restored files are on checkpoint storage already, and the next snapshot names them
  // there, unless they were read from a savepoint's copies (then it uploads its own).
  if (owner_->restore_dir() == owner_->checkpoint_dir()) {
    for (const IncrementalHandle::File& file : handle.ssts) {
      uploaded_[file.name] = SharedSst{file.store_path, static_cast<int64_t>(file.bytes)};
    }
  }
  return Status::Ok();
}

Status RocksDbKeyedStateBackend::RestoreByCopy(const IncrementalHandle& handle, int index,
                                               const std::string& what) {
  const std::string dir = dir_ + ".restore-" + std::to_string(index);
  RETURN_IF_ERROR(PlaceFiles(handle, dir, what));
  Instance& in = *instance_;
  rocksdb::Options options = in.options;
  options.create_if_missing = false;
  options.error_if_exists = false;
  in.env.Enter();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  {
    const ScopedDbSessionId session(in.env.NextSessionId());
    s = rocksdb::DB::OpenForReadOnly(options, dir, &raw);
  }
  std::unique_ptr<rocksdb::DB> source(raw);
  rocksdb::WriteBatch batch;
  int64_t copied = 0;
  Status failed;  // a failure of Sluice's own (a flush, a malformed key)
  if (s.ok()) {
    std::unique_ptr<rocksdb::Iterator> it(source->NewIterator(in.read));
    const std::string first(KeyOf(range_.start, ""));
    for (it->Seek(rocksdb::Slice(first.data(), first.size())); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      if (key.size() < static_cast<size_t>(prefix_bytes_)) {
        failed = DataLossError(what + ": a key of " + handle.instance + " has no key group");
        break;
      }
      if (KeyGroupOf(std::string_view(key.data(), key.size())) > range_.end) break;
      batch.Put(key, it->value());
      ++copied;
      if (batch.GetDataSize() < kRestoreBatchBytes) continue;
      s = in.db->Write(in.write, &batch);
      bytes_since_flush_ += static_cast<int64_t>(batch.GetDataSize());
      batch.Clear();
      if (!s.ok()) break;
      if (bytes_since_flush_ >= options_.write_buffer_bytes) {
        latency_owed_ns_ += in.env.Leave();
        failed = Flush();
        in.env.Enter();
        if (!failed.ok()) break;
      }
    }
    if (s.ok() && failed.ok()) s = it->status();
  }
  if (s.ok() && failed.ok() && batch.Count() > 0) {
    s = in.db->Write(in.write, &batch);
    bytes_since_flush_ += static_cast<int64_t>(batch.GetDataSize());
  }
  // Closed on every path while latency is deferred: closing may touch files.
  if (source != nullptr) (void)source->Close();
  source.reset();
  const Status removed = RemoveDirRecursively(host_.fs, dir);
  latency_owed_ns_ += in.env.Leave();
  RETURN_IF_ERROR(failed);
  // The files verified against their seals: corruption RocksDB finds now is the local disk's.
  if (!s.ok()) return Failure("restore of " + handle.instance, /*corruption=*/false, s.ToString());
  RETURN_IF_ERROR(removed);
  host_.log.Info("rocksdb.restored", dir_ + ": " + std::to_string(copied) + " keys of " +
                                         handle.instance + " copied");
  if (bytes_since_flush_ >= options_.write_buffer_bytes) RETURN_IF_ERROR(Flush());
  PayLatency();
  return Status::Ok();
}

void RocksDbStateBackend::BeginSnapshot(int64_t checkpoint_id, bool full) {
  for (RocksDbKeyedStateBackend* instance : reporters_) instance->OnSnapshotFilesDone(false);
  reporters_.clear();
  reported_ = SnapshotFiles{};
  snapshot_checkpoint_id_ = checkpoint_id;
  snapshot_incremental_ =
      options_.incremental && !full && read_shared_ != nullptr && !checkpoint_dir_.empty();
}

void RocksDbStateBackend::Report(RocksDbKeyedStateBackend* instance, std::vector<Upload> uploads,
                                 std::vector<std::string> referenced, int64_t referenced_bytes) {
  reporters_.push_back(instance);
  for (Upload& upload : uploads) {
    reported_.uploaded_bytes += upload.bytes;
    reported_.uploads.push_back(std::move(upload));
  }
  for (std::string& path : referenced) reported_.referenced.push_back(std::move(path));
  reported_.referenced_bytes += referenced_bytes;
}

RocksDbStateBackend::SnapshotFiles RocksDbStateBackend::TakeSnapshotFiles(int64_t checkpoint_id) {
  if (checkpoint_id != snapshot_checkpoint_id_) return SnapshotFiles{};
  SnapshotFiles files = std::move(reported_);
  reported_ = SnapshotFiles{};
  return files;
}

void RocksDbStateBackend::SnapshotFilesUploaded(int64_t checkpoint_id) {
  if (checkpoint_id != snapshot_checkpoint_id_) return;
  for (RocksDbKeyedStateBackend* instance : reporters_) instance->OnSnapshotFilesDone(true);
  reporters_.clear();
}

}  // namespace sluice
