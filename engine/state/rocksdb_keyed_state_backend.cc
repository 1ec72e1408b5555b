#include "engine/state/rocksdb_keyed_state_backend.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdarg>
#include <map>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/state/keyed_state.h"
#include "engine/state/rocksdb_env.h"
#include "engine/state/rocksdb_instance.h"

namespace sluice {
namespace {

// RocksDB's info log goes nowhere: its lines carry thread ids and would otherwise be a file of
// the instance (a LOG written through the seam) whose bytes differ from run to run.
class DiscardingLogger final : public rocksdb::Logger {
 public:
  DiscardingLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::HEADER_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

// The block cache: RocksDB's LRU cache with every entry charged one nominal block (the table's
// block size) instead of what RocksDB computes. RocksDB (built with ROCKSDB_MALLOC_USABLE_SIZE,
// as Debian's is) charges a block malloc_usable_size() of its buffer and of its Block object,
// which depends on the heap's state; the cache then evicted different blocks from run to run,
// read different blocks from disk, and the simulated disk's latency draws (and the whole run)
// differed. Charged by count, eviction follows the access order alone, and the capacity is
// still about `capacity` bytes of blocks. Everything else forwards to the LRU cache.
class DeterministicChargeCache final : public rocksdb::Cache {
 public:
  DeterministicChargeCache(std::shared_ptr<rocksdb::Cache> lru, size_t charge)
      : lru_(std::move(lru)), charge_(charge) {}
  const char* Name() const override { return "SluiceDeterministicChargeCache"; }
  using rocksdb::Cache::Insert;
  rocksdb::Status Insert(const rocksdb::Slice& key, void* value, size_t, DeleterFn deleter,
                         Handle** handle, Priority priority) override {
    return lru_->Insert(key, value, charge_, deleter, handle, priority);
  }
  using rocksdb::Cache::Lookup;
  Handle* Lookup(const rocksdb::Slice& key, rocksdb::Statistics* stats) override {
    return lru_->Lookup(key, stats);
  }
  bool Ref(Handle* handle) override { return lru_->Ref(handle); }
  using rocksdb::Cache::Release;
  bool Release(Handle* handle, bool erase_if_last_ref) override {
    return lru_->Release(handle, erase_if_last_ref);
  }
  void* Value(Handle* handle) override { return lru_->Value(handle); }
  void Erase(const rocksdb::Slice& key) override { lru_->Erase(key); }
  uint64_t NewId() override { return lru_->NewId(); }
  void SetCapacity(size_t capacity) override { lru_->SetCapacity(capacity); }
  void SetStrictCapacityLimit(bool strict) override { lru_->SetStrictCapacityLimit(strict); }
  bool HasStrictCapacityLimit() const override { return lru_->HasStrictCapacityLimit(); }
  size_t GetCapacity() const override { return lru_->GetCapacity(); }
  size_t GetUsage() const override { return lru_->GetUsage(); }
  size_t GetUsage(Handle* handle) const override { return lru_->GetUsage(handle); }
  size_t GetPinnedUsage() const override { return lru_->GetPinnedUsage(); }
  size_t GetCharge(Handle* handle) const override { return lru_->GetCharge(handle); }
  DeleterFn GetDeleter(Handle* handle) const override { return lru_->GetDeleter(handle); }
  void ApplyToAllEntries(
      const std::function<void(const rocksdb::Slice& key, void* value, size_t charge,
                               DeleterFn deleter)>& callback,
      const ApplyToAllEntriesOptions& opts) override {
    lru_->ApplyToAllEntries(callback, opts);
  }
  void EraseUnRefEntries() override { lru_->EraseUnRefEntries(); }
  void DisownData() override { lru_->DisownData(); }

 private:
  std::shared_ptr<rocksdb::Cache> lru_;
  size_t charge_;
};

}  // namespace


RocksDbKeyedStateBackend::RocksDbKeyedStateBackend(Host& host, std::string dir,
                                                   int max_parallelism, KeyGroupRange range,
                                                   const RocksDbOptions& options,
                                                   RocksDbStateBackend* owner)
    : host_(host),
      dir_(std::move(dir)),
      max_parallelism_(max_parallelism),
      range_(range),
      options_(options),
      prefix_bytes_(max_parallelism > 128 ? 2 : 1),
      instance_(std::make_unique<Instance>(host)),
      owner_(owner) {
  const std::string root = std::string(RocksDbStateBackend::kTaskManagerRoot) + "/";
  instance_id_ = dir_.compare(0, root.size(), root) == 0 ? dir_.substr(root.size()) : dir_;
  std::replace(instance_id_.begin(), instance_id_.end(), '/', '-');
}

Result<std::unique_ptr<RocksDbKeyedStateBackend>> RocksDbKeyedStateBackend::Open(
    Host& host, std::string dir, int max_parallelism, KeyGroupRange range,
    const RocksDbOptions& options, RocksDbStateBackend* owner) {
  SLUICE_ASSERT(max_parallelism >= 1 && max_parallelism <= (1 << 15),
                "max parallelism is validated before a task runs");
  std::unique_ptr<RocksDbKeyedStateBackend> backend(new RocksDbKeyedStateBackend(
      host, std::move(dir), max_parallelism, range, options, owner));
  RETURN_IF_ERROR(backend->OpenInstance());
  return backend;
}

Status RocksDbKeyedStateBackend::OpenInstance(bool existing) {
  Instance& in = *instance_;
  rocksdb::Options& o = in.options;
  o.env = &in.env;
  o.create_if_missing = !existing;
  o.error_if_exists = !existing;
  o.info_log = std::make_shared<DiscardingLogger>();
  // No thread of RocksDB's own may run (rocksdb_env.h): one file-opening thread (the caller),
  // no periodic statistics tasks, no subcompactions.
  o.max_file_opening_threads = 1;
  o.stats_dump_period_sec = 0;
  o.stats_persist_period_sec = 0;
  o.max_subcompactions = 1;
  o.max_background_jobs = 2;
  // Close must not flush (it would wait for the flush): the WAL is off and an instance is
  // thrown away when its task ends, so unflushed data is not needed there.
  o.avoid_flush_during_shutdown = true;
  o.paranoid_checks = true;
  // Flushes are Sluice's decision (header): the memtable limit is far above the flush threshold,
  // and no write ever stalls waiting for background work.
  const int64_t flush_at = std::max<int64_t>(options_.write_buffer_bytes, 4096);
  o.write_buffer_size = static_cast<size_t>(std::min<int64_t>(flush_at * 16, int64_t{1} << 36));
  o.arena_block_size = static_cast<size_t>(std::clamp<int64_t>(flush_at / 8, 4096, 8 << 20));
  // Writes stop at max_write_buffer_number unflushed memtables and slow down one before when it
  // is above 3; a flush runs as soon as it is asked for, so there is never more than one.
  o.max_write_buffer_number = 3;
  o.level0_file_num_compaction_trigger = 4;
  o.level0_slowdown_writes_trigger = 1 << 30;
  o.level0_stop_writes_trigger = 1 << 30;
  // No error-recovery thread (retryable I/O errors); the task fails and restores instead.
  o.max_bgerror_resume_count = 0;
  // No TTL or periodic compactions. They compare file times with GetCurrentTime minus 30 days,
  // assuming Unix time; the seam's clock counts from the host's start (monotonic, or virtual
  // time from 0), so the subtraction wrapped and every compaction rewrote every file (reason
  // "Ttl": each incremental checkpoint uploaded the whole state).
  o.ttl = 0;
  o.periodic_compaction_seconds = 0;
  o.soft_pending_compaction_bytes_limit = 0;
  o.hard_pending_compaction_bytes_limit = 0;
  o.target_file_size_base = static_cast<uint64_t>(std::max<int64_t>(options_.target_file_size_base, 4096));
  o.max_bytes_for_level_base =
      static_cast<uint64_t>(std::max<int64_t>(options_.max_bytes_for_level_base, 4096));
  o.db_host_id = host_.name;
  rocksdb::BlockBasedTableOptions table;
  // One shard (the hash of a key picks none), handles not charged, entries charged one
  // nominal block each (DeterministicChargeCache): eviction follows the access order alone.
  table.block_cache = std::make_shared<DeterministicChargeCache>(
      rocksdb::NewLRUCache(rocksdb::LRUCacheOptions(
          static_cast<size_t>(std::max<int64_t>(options_.block_cache_bytes, 0)),
          /*num_shard_bits=*/0, /*strict_capacity_limit=*/false, /*high_pri_pool_ratio=*/0.5,
          /*memory_allocator=*/nullptr, rocksdb::kDefaultToAdaptiveMutex,
          rocksdb::kDontChargeCacheMetadata)),
      table.block_size);
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  in.write.disableWAL = true;
  in.write.no_slowdown = true;  // a stall would wait: fail with Incomplete instead (never seen)
  in.read.verify_checksums = true;

  in.env.Enter();
  Status made;
  if (!existing) {
    const Status removed = RemoveDirRecursively(host_.fs, dir_);
    made = removed.ok() ? host_.fs.CreateDir(dir_) : removed;
  }
  rocksdb::Status opened;
  if (made.ok()) {
    rocksdb::DB* db = nullptr;
    {
      const ScopedDbSessionId session(in.env.NextSessionId());
      opened = rocksdb::DB::Open(o, dir_, &db);
      in.db.reset(db);
      std::string id;
      if (opened.ok()) (void)in.db->GetDbSessionId(id);
      SLUICE_ASSERT_SIM(host_, !opened.ok() || id == session.session_id(),
                        "RocksDB took Sluice's db_session_id (sync point "
                        "DBImpl::SetDbSessionId), or SST bytes would differ between runs");
    }
    in.env.RunBackgroundWork();
  }
  latency_owed_ns_ += in.env.Leave();
  PayLatency();
  if (!made.ok()) return made.WithContext("RocksDB instance " + dir_);
  // Restored files verified against their seals: corruption RocksDB finds in them now is the
  // local disk's (retryable), not lost checkpoint data.
  if (!opened.ok()) return Failure("open", opened.IsCorruption() && !existing, opened.ToString());
  host_.log.Info("rocksdb.opened", dir_ + " key groups " + std::to_string(range_.start) + ".." +
                                       std::to_string(range_.end) +
                                       (existing ? " (restored files)" : ""));
  return Status::Ok();
}

Status RocksDbKeyedStateBackend::CloseInstance() {
  Instance& in = *instance_;
  in.env.Enter();
  rocksdb::Status closed;
  if (in.db != nullptr) closed = in.db->Close();
  in.db.reset();
  latency_owed_ns_ += in.env.Leave();
  deletions_disabled_ = false;
  if (!closed.ok()) return Failure("close", closed.IsCorruption(), closed.ToString());
  return Status::Ok();
}

RocksDbKeyedStateBackend::~RocksDbKeyedStateBackend() {
  Instance& in = *instance_;
  in.env.Enter();
  if (in.db != nullptr) {
    (void)in.db->Close();  // unschedules queued jobs (UnSchedule); errors change nothing now
    in.db.reset();
  }
  RemoveDir();
  (void)in.env.Leave();  // latency a destructor cannot wait for
}

void RocksDbKeyedStateBackend::RemoveDir() { (void)RemoveDirRecursively(host_.fs, dir_); }

std::string_view RocksDbKeyedStateBackend::KeyOf(int key_group, std::string_view key) {
  SLUICE_ASSERT(range_.Contains(key_group), "key routed to the wrong subtask");
  key_scratch_.clear();
  if (prefix_bytes_ == 2) key_scratch_.push_back(static_cast<char>((key_group >> 8) & 0xff));
  key_scratch_.push_back(static_cast<char>(key_group & 0xff));
  key_scratch_.append(key);
  return key_scratch_;
}

int RocksDbKeyedStateBackend::KeyGroupOf(std::string_view db_key) const {
  SLUICE_ASSERT(db_key.size() >= static_cast<size_t>(prefix_bytes_),
                "every RocksDB key starts with its key group");
  const auto byte = [&](size_t i) { return static_cast<int>(static_cast<uint8_t>(db_key[i])); };
  return prefix_bytes_ == 2 ? (byte(0) << 8) | byte(1) : byte(0);
}

Status RocksDbKeyedStateBackend::Failure(const std::string& operation, bool corruption,
                                         const std::string& message) {
  const std::string what = "RocksDB " + operation + " in " + dir_;
  const Status& first = instance_->env.first_error();
  if (!first.ok()) return first.WithContext(what);
  if (corruption) return DataLossError(what + ": " + message);
  return InternalError(what + ": " + message);
}

Result<bool> RocksDbKeyedStateBackend::Get(int key_group, std::string_view key,
                                           std::string* value) {
  Instance& in = *instance_;
  const std::string_view db_key = KeyOf(key_group, key);
  in.env.Enter();
  const rocksdb::Status s =
      in.db->Get(in.read, rocksdb::Slice(db_key.data(), db_key.size()), value);
  latency_owed_ns_ += in.env.Leave();
  if (s.IsNotFound()) return false;
  if (!s.ok()) return Failure("get", s.IsCorruption(), s.ToString());
  return true;
}

Status RocksDbKeyedStateBackend::Put(int key_group, std::string_view key, std::string_view value) {
  Instance& in = *instance_;
  const std::string_view db_key = KeyOf(key_group, key);
  in.env.Enter();
  const rocksdb::Status s = in.db->Put(in.write, rocksdb::Slice(db_key.data(), db_key.size()),
                                       rocksdb::Slice(value.data(), value.size()));
  latency_owed_ns_ += in.env.Leave();
  if (!s.ok()) return Failure("put", s.IsCorruption(), s.ToString());
  return MaybeFlush(db_key.size() + value.size());
}

Status RocksDbKeyedStateBackend::Delete(int key_group, std::string_view key) {
  Instance& in = *instance_;
  const std::string_view db_key = KeyOf(key_group, key);
  in.env.Enter();
  const rocksdb::Status s = in.db->Delete(in.write, rocksdb::Slice(db_key.data(), db_key.size()));
  latency_owed_ns_ += in.env.Leave();
  if (!s.ok()) return Failure("delete", s.IsCorruption(), s.ToString());
  return MaybeFlush(db_key.size());
}

Status RocksDbKeyedStateBackend::MaybeFlush(size_t bytes) {
  bytes_since_flush_ += static_cast<int64_t>(bytes);
  if (bytes_since_flush_ < options_.write_buffer_bytes) return Status::Ok();
  return Flush();
}

Status RocksDbKeyedStateBackend::Flush() {
  Instance& in = *instance_;
  bytes_since_flush_ = 0;
  ++flushes_;
  rocksdb::FlushOptions flush;
  flush.wait = false;               // nothing may wait: the job is queued ...
  flush.allow_write_stall = true;   // ... without waiting for room either
  in.env.Enter();
  rocksdb::Status s = in.db->Flush(flush);
  if (s.ok()) in.env.RunBackgroundWork();  // ... and runs now, with the compactions it triggers
  latency_owed_ns_ += in.env.Leave();
  if (!s.ok()) return Failure("flush", s.IsCorruption(), s.ToString());
  // A background job's failure is the DB's background error, which writes then report; check
  // it now so that the task fails at the flush that broke.
  in.env.Enter();
  std::string error;
  const bool has_error =
      in.db->GetProperty("rocksdb.background-errors", &error) && error != "0";
  latency_owed_ns_ += in.env.Leave();
  if (has_error) {
    return Failure("background flush or compaction", false, error + " background errors");
  }
  return Status::Ok();
}

void RocksDbKeyedStateBackend::PayLatency() {
  if (latency_owed_ns_ <= 0) return;
  const int64_t owed = latency_owed_ns_;
  latency_owed_ns_ = 0;
  host_.fibers.SleepFor(owed);
}

Status RocksDbKeyedStateBackend::Snapshot(std::string* out) {
  if (owner_ != nullptr && owner_->snapshot_incremental()) {
    return SnapshotIncremental(owner_->snapshot_checkpoint_id(), out);
  }
  Instance& in = *instance_;
  // Sections are buffered so that the section count (and each section's entry count) can lead.
  std::string body;
  ByteWriter w(&body);
  uint64_t sections = 0;
  std::string section;
  int section_group = -1;
  uint64_t entries = 0;
  auto end_section = [&] {
    if (entries == 0) return;
    ++sections;
    w.PutU32(static_cast<uint32_t>(section_group));
    w.PutVarint(entries);
    body.append(section);
    section.clear();
    entries = 0;
  };
  in.env.Enter();
  std::unique_ptr<rocksdb::Iterator> it(in.db->NewIterator(in.read));
  ByteWriter entry_writer(&section);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    const std::string_view db_key(key.data(), key.size());
    if (db_key.size() < static_cast<size_t>(prefix_bytes_)) {
      latency_owed_ns_ += in.env.Leave();
      return DataLossError("RocksDB snapshot in " + dir_ + ": a key has no key group");
    }
    const int key_group = KeyGroupOf(db_key);
    if (key_group != section_group) {
      end_section();
      section_group = key_group;
    }
    entry_writer.PutString(db_key.substr(static_cast<size_t>(prefix_bytes_)));
    section.append(it->value().data(), it->value().size());
    ++entries;
  }
  const rocksdb::Status s = it->status();
  it.reset();
  latency_owed_ns_ += in.env.Leave();
  if (!s.ok()) return Failure("snapshot iteration", s.IsCorruption(), s.ToString());
  end_section();
  const Stats now = stats();
  host_.log.Info("rocksdb.snapshot",
                 dir_ + ": " + std::to_string(sections) + " key groups, " +
                     std::to_string(now.sst_files) + " SST files of " +
                     std::to_string(now.sst_bytes) + " bytes, " + std::to_string(now.flushes) +
                     " flushes, " + std::to_string(now.background_jobs) + " background jobs");
  ByteWriter header(out);
  header.PutVarint(sections);
  out->append(body);
  PayLatency();
  return Status::Ok();
}

Status RocksDbKeyedStateBackend::RestoreFull(std::span<const std::string_view> snapshots,
                                             const std::string& what,
                                             const ValueReader& read_value) {
  Instance& in = *instance_;
  rocksdb::WriteBatch batch;
  Status status;
  auto write_batch = [&] {
    if (batch.Count() == 0) return Status::Ok();
    in.env.Enter();
    const rocksdb::Status s = in.db->Write(in.write, &batch);
    latency_owed_ns_ += in.env.Leave();
    const size_t bytes = batch.GetDataSize();
    batch.Clear();
    if (!s.ok()) return Failure("restore write", /*corruption=*/false, s.ToString());
    return MaybeFlush(bytes);
  };
  for (std::string_view data : snapshots) {
    if (data.empty()) continue;
    RETURN_IF_ERROR(ForEachSnapshotEntry(
        data, max_parallelism_, what,
        [&](uint32_t key_group, std::string_view key, ByteReader& r) -> Status {
          std::string_view value;
          if (!read_value(r, &value)) return SnapshotEntryError(what, key_group);
          if (!range_.Contains(static_cast<int>(key_group))) return Status::Ok();
          const std::string_view db_key = KeyOf(static_cast<int>(key_group), key);
          batch.Put(rocksdb::Slice(db_key.data(), db_key.size()),
                    rocksdb::Slice(value.data(), value.size()));
          return batch.GetDataSize() >= kRestoreBatchBytes ? write_batch() : Status::Ok();
        }));
  }
  status = write_batch();
  PayLatency();
  return status;
}

RocksDbKeyedStateBackend::Stats RocksDbKeyedStateBackend::stats() {
  Instance& in = *instance_;
  Stats stats;
  stats.flushes = flushes_;
  stats.background_jobs = in.env.jobs_run();
  in.env.Enter();
  std::vector<rocksdb::LiveFileMetaData> files;
  in.db->GetLiveFilesMetaData(&files);
  latency_owed_ns_ += in.env.Leave();
  for (const rocksdb::LiveFileMetaData& file : files) {
    ++stats.sst_files;
    stats.sst_bytes += static_cast<int64_t>(file.size);
  }
  return stats;
}

RocksDbStateBackend::~RocksDbStateBackend() {
  host_.fs.DeferLatency(true);
  (void)RemoveDirRecursively(host_.fs, root_);
  host_.fs.DeferLatency(false);
  (void)host_.fs.TakeDeferredLatencyNs();  // a destructor cannot wait for it
}

Result<std::unique_ptr<RocksDbKeyedStateBackend>> RocksDbStateBackend::Create(
    int max_parallelism, KeyGroupRange range) {
  const std::string dir = root_ + "/op-" + std::to_string(next_++);
  RETURN_IF_ERROR(host_.fs.CreateDir(root_));
  return RocksDbKeyedStateBackend::Open(host_, dir, max_parallelism, range, options_, this);
}

Status RemoveDirRecursively(FileSystem& fs, const std::string& dir) {
  Result<std::vector<std::string>> names = fs.List(dir);
  if (!names.ok()) {  // not a directory (a file lists as kNotFound or kIoError), or missing
    ASSIGN_OR_RETURN(const bool exists, fs.Exists(dir));
    return exists ? fs.Remove(dir) : Status::Ok();
  }
  Status first;
  for (const std::string& name : *names) {
    const Status removed = RemoveDirRecursively(fs, dir + "/" + name);
    if (first.ok() && !removed.ok()) first = removed;
  }
  const Status removed = fs.Remove(dir);
  if (first.ok() && !removed.ok() && removed.code() != StatusCode::kNotFound) first = removed;
  return first;
}

}  // namespace sluice
