// RocksDbKeyedStateBackend: the keyed state of one keyed operator subtask in an embedded RocksDB
// instance on the host's local disk (Flink's EmbeddedRocksDBStateBackend /
// RocksDBKeyedStateBackend, state.backend.type: rocksdb), so that state may be several times
// larger than memory.
//
// Layout: one column family; a key's RocksDB key is its key group, big-endian on 1 byte when
// max parallelism <= 128 and 2 bytes above (Flink's key-group prefix), then the key's bytes
// (KeyBytes); its value is the operator's value bytes for that key, exactly as the heap
// backend's snapshot writes them (keyed_state.h). So a key-group range is one contiguous key
// range, and a full snapshot (Snapshot) is byte for byte the heap backend's format: sections per
// key group in ascending order, keys sorted bytewise within each. Checkpoints and savepoints of
// either backend restore into the other, at any parallelism (Flink's unified savepoint format,
// FLIP-41). Departure from Flink: one RocksDB value per key holds every state of the key (Flink
// keeps a column family per state and a RocksDB entry per map entry), so a key's map state is
// read and written whole.
//
// Determinism (rocksdb_env.h): files, clock, ids and background work go through the host's seam;
// no RocksDB thread does work (the one timer thread RocksDB keeps flushes a discarding info log:
// rocksdb_env.h). The WAL is off (as Flink: checkpoints are the durability). Flushes are
// Sluice's decision, on its own count of bytes put (state.backend.rocksdb.writebuffer.size), not
// on the memtable's memory use (skiplist node heights come from a thread-local generator, so that
// use varies from run to run); the flush and the compactions it triggers then run at once, on
// the calling fiber. Nothing waits on background work: none runs elsewhere.
//
// Errors: a RocksDB failure is the file system's typed error where there was one (kIoError,
// kResourceExhausted, with the path), kDataLoss for corruption, else kInternal with RocksDB's
// message; after one, the instance is unusable (the task fails and restores elsewhere).
// Get, Put and Delete never suspend: the disk latency they owe accumulates until PayLatency.
// Not thread-safe: one task fiber.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/base/status.h"
#include "engine/partition/key_group.h"
#include "engine/runtime/host.h"

namespace sluice {

// The RocksDB settings a job may give (Flink's keys and defaults; sizes in bytes).
struct RocksDbOptions {
  // state.backend.rocksdb.writebuffer.size: bytes of keys and values put between two flushes.
  int64_t write_buffer_bytes = int64_t{64} << 20;
  // state.backend.rocksdb.block.cache-size: the instance's LRU block cache.
  int64_t block_cache_bytes = int64_t{8} << 20;
  // state.backend.rocksdb.compaction.level.target-file-size-base: SST file size at level 1.
  int64_t target_file_size_base = int64_t{64} << 20;
  // state.backend.rocksdb.compaction.level.max-size-level-base: bytes of level 1.
  int64_t max_bytes_for_level_base = int64_t{256} << 20;
  // execution.checkpointing.incremental: checkpoints upload only new SST files (savepoints stay
  // full snapshots).
  bool incremental = false;
};

class RocksDbStateBackend;

class RocksDbKeyedStateBackend {
 public:
  // Opens a new, empty instance in `dir` on host.fs (whatever was there is removed first).
  // Errors as above. May suspend.
  // `owner` (may be null): the task's backends, which incremental snapshots report their files
  // to and restores read shared files through.
  static Result<std::unique_ptr<RocksDbKeyedStateBackend>> Open(
      Host& host, std::string dir, int max_parallelism, KeyGroupRange range,
      const RocksDbOptions& options, RocksDbStateBackend* owner = nullptr);
  // Closes the instance and removes its directory (without waiting on the disk: the latency is
  // not paid, errors are ignored). Never suspends.
  ~RocksDbKeyedStateBackend();
  RocksDbKeyedStateBackend(const RocksDbKeyedStateBackend&) = delete;
  RocksDbKeyedStateBackend& operator=(const RocksDbKeyedStateBackend&) = delete;

  // The value of `key` (in `key_group`, which must be in the range) into *value; false if absent.
  // Never suspends.
  Result<bool> Get(int key_group, std::string_view key, std::string* value);
  // Never suspend; a Put may flush (write_buffer_bytes) and compact.
  Status Put(int key_group, std::string_view key, std::string_view value);
  Status Delete(int key_group, std::string_view key);
  // Sleeps the disk latency the calls since the last PayLatency owe. May suspend.
  void PayLatency();

  // A snapshot appended to *out: a full one in the heap backend's format (above), or, when the
  // owner's snapshot in progress is incremental (RocksDbStateBackend::BeginSnapshot), an
  // incremental one: [varint kIncrementalSnapshotMarker][varint 1][u32 first key group]
  // [u32 last key group][string instance][varint SST count]([string file name][string store
  // path, relative to the checkpoint directory][varint bytes])*[string MANIFEST name][string
// MANIFEST bytes]. It flushes, lists the
  // live SST files, names the ones uploaded before by their store paths and reports the others
  // to the owner for upload (file deletions stay off until they are: SnapshotFilesUploaded).
  // May suspend.
  Status Snapshot(std::string* out);
  // Replaces the state with this range's key groups from `snapshots`, each a full snapshot (the
  // heap format: read_value(r, &value) parses one entry's value from r and gives its bytes;
  // false: malformed) or an incremental one. A single incremental snapshot of exactly this range
  // is restored natively: its SST files downloaded into the instance directory and opened (and
  // reused by the next incremental snapshot, not uploaded again); any other incremental snapshot
  // (a rescale) is downloaded into a temporary instance whose keys of this range are copied in.
  // Errors: kDataLoss naming `what` for malformed bytes and for a shared file with no copy left
  // (or none that verifies: the restored state is lost for good), the storage's other errors as
  // they come (kUnavailable: retry), kFailedPrecondition for an incremental snapshot without an
  // owner to read it through. May suspend.
  using ValueReader = std::function<bool(ByteReader& r, std::string_view* value)>;
  Status Restore(std::span<const std::string_view> snapshots, const std::string& what,
                 const ValueReader& read_value);

  struct IncrementalHandle;  // a parsed incremental snapshot (rocksdb_incremental.cc)

  // The owner uploaded (uploaded = true) or dropped the files an incremental snapshot reported:
  // uploaded ones are named by store path from now on; file deletions resume. Never suspends.
  void OnSnapshotFilesDone(bool uploaded);

  struct Stats {
    int64_t flushes = 0;          // flushes Sluice asked for
    int64_t background_jobs = 0;  // flush and compaction jobs run
    int64_t sst_files = 0;        // live SST files now
    int64_t sst_bytes = 0;        // their total size
  };
  Stats stats();
  const std::string& dir() const { return dir_; }
  const KeyGroupRange& range() const { return range_; }

 private:
  struct Instance;  // the RocksDB objects (rocksdb_instance.h)
  RocksDbKeyedStateBackend(Host& host, std::string dir, int max_parallelism, KeyGroupRange range,
                           const RocksDbOptions& options, RocksDbStateBackend* owner);
  // Opens the RocksDB instance in dir_: a fresh one (removing whatever is there), or, with
  // `existing`, the files already placed there.
  Status OpenInstance(bool existing = false);
  Status CloseInstance();
  Status SnapshotIncremental(int64_t checkpoint_id, std::string* out);
  Status RestoreFull(std::span<const std::string_view> snapshots, const std::string& what,
                     const ValueReader& read_value);
  // Writes an incremental snapshot's files (downloaded) into `dir`, ready to open.
  Status PlaceFiles(const IncrementalHandle& handle, const std::string& dir,
                    const std::string& what);
  Status RestoreNative(const IncrementalHandle& handle, const std::string& what);
  Status RestoreByCopy(const IncrementalHandle& handle, int index, const std::string& what);
  // The RocksDB key of `key` in `key_group`, in key_scratch_.
  std::string_view KeyOf(int key_group, std::string_view key);
  int KeyGroupOf(std::string_view db_key) const;
  // After a write of `bytes`: flushes once write_buffer_bytes have been put since the last.
  Status MaybeFlush(size_t bytes);
  Status Flush();
  // Converts a failed RocksDB status (as an int code and message, to keep rocksdb/ out of this
  // header) into the typed error described above.
  Status Failure(const std::string& operation, bool corruption, const std::string& message);
  void RemoveDir();

  Host& host_;
  std::string dir_;
  int max_parallelism_;
  KeyGroupRange range_;
  RocksDbOptions options_;
  int prefix_bytes_;
  std::unique_ptr<Instance> instance_;
  std::string key_scratch_;
  int64_t bytes_since_flush_ = 0;
  int64_t latency_owed_ns_ = 0;
  int64_t flushes_ = 0;
  RocksDbStateBackend* owner_;
  std::string instance_id_;  // names this instance's shared files: dir_ with '/' as '-'
  struct SharedSst {
    std::string path;  // relative to the checkpoint directory: "shared/..."
    int64_t bytes = 0;
  };
  // SST file name ("000012.sst") → where it is on checkpoint storage: uploaded by an earlier
  // incremental snapshot of this instance, or restored natively from the checkpoint directory.
  std::map<std::string, SharedSst> uploaded_;
  std::map<std::string, SharedSst> uploading_;  // the snapshot in progress reported these
  bool deletions_disabled_ = false;
};


// The RocksDB backends of one task (Flink's EmbeddedRocksDBStateBackend, the factory): each
// keyed operator of the chain gets its own instance, in its own directory under `root`. Not
// thread-safe.
class RocksDbStateBackend {
 public:
  // Where a TaskManager keeps its tasks' instances; it empties it when it starts (what a crash
  // left there belongs to no task).
  static constexpr char kTaskManagerRoot[] = "rocksdb";
  // Reads a shared file (an SST an incremental snapshot names) from checkpoint storage by its
  // store path. May suspend.
  using SharedFileReader = std::function<Result<std::string>(const std::string& store_path)>;
  // Incremental snapshots name their SST files by paths relative to a checkpoint storage
  // directory ("shared/<instance>/<checkpoint id>-<file>"): uploads go under `checkpoint_dir`
  // ("checkpoints"), restores read them under `restore_dir` (the same, or the savepoint directory
  // a job restores from, which holds copies); `read_shared` reads them (without it, snapshots
  // are always full).
  RocksDbStateBackend(Host& host, std::string root, RocksDbOptions options,
                      std::string checkpoint_dir = "", std::string restore_dir = "",
                      SharedFileReader read_shared = nullptr)
      : host_(host),
        root_(std::move(root)),
        options_(options),
        checkpoint_dir_(std::move(checkpoint_dir)),
        restore_dir_(std::move(restore_dir)),
        read_shared_(std::move(read_shared)) {}
  // Removes `root` (after the instances are gone). Never suspends.
  ~RocksDbStateBackend();
  // A new instance for the next keyed operator. May suspend.
  Result<std::unique_ptr<RocksDbKeyedStateBackend>> Create(int max_parallelism,
                                                           KeyGroupRange range);
  const std::string& root() const { return root_; }

  // --- The task's checkpoint, around its operators' snapshots (never suspend) ---
  // Checkpoint `checkpoint_id` begins: its snapshots are incremental if the options say so and
  // it is not `full` (a savepoint). Drops what an abandoned earlier snapshot reported.
  void BeginSnapshot(int64_t checkpoint_id, bool full);
  struct Upload {
    std::string local_path;  // on the host's disk
    std::string store_path;  // under checkpoint_dir
    int64_t bytes = 0;
  };
  struct SnapshotFiles {
    std::vector<Upload> uploads;          // to upload before the state file
    std::vector<std::string> referenced;  // every shared file the snapshot names (store paths)
    int64_t referenced_bytes = 0;
    int64_t uploaded_bytes = 0;  // of `uploads`
  };
  // What checkpoint `checkpoint_id`'s snapshots reported (empty for another id).
  SnapshotFiles TakeSnapshotFiles(int64_t checkpoint_id);
  // Every upload of checkpoint `checkpoint_id` is durable: the instances reuse those files.
  void SnapshotFilesUploaded(int64_t checkpoint_id);

  // --- For the keyed backends ---
  bool snapshot_incremental() const { return snapshot_incremental_; }
  int64_t snapshot_checkpoint_id() const { return snapshot_checkpoint_id_; }
  const std::string& checkpoint_dir() const { return checkpoint_dir_; }
  const std::string& restore_dir() const { return restore_dir_; }
  const SharedFileReader& read_shared() const { return read_shared_; }
  void Report(RocksDbKeyedStateBackend* instance, std::vector<Upload> uploads,
              std::vector<std::string> referenced, int64_t referenced_bytes);

 private:
  Host& host_;
  std::string root_;
  RocksDbOptions options_;
  std::string checkpoint_dir_;
  std::string restore_dir_;
  SharedFileReader read_shared_;
  int next_ = 0;
  int64_t snapshot_checkpoint_id_ = 0;
  bool snapshot_incremental_ = false;
  SnapshotFiles reported_;
  std::vector<RocksDbKeyedStateBackend*> reporters_;  // whose files reported_ holds
};

// Removes the directory `dir` on `fs` and everything below it; Ok if it is missing. Never
// suspends when the file system's latency is deferred; may suspend otherwise.
Status RemoveDirRecursively(FileSystem& fs, const std::string& dir);

}  // namespace sluice
