// SimDisk: a simulated host's local disk (its sluice::FileSystem), enforcing the durability model
// of engine/runtime/file_system.h on a crash. It outlives crashes: it is what survives them.
//
// Model:
// - A file is an inode with current bytes and durable bytes. WritableFile::Sync copies current
//   to durable. Truncating (OpenAppendable with truncate) empties current bytes only.
// - The namespace (path -> inode) has a current and a durable version. SyncDir(dir) makes the
//   current entries directly in `dir` durable: creations, renames into or out of it, removals.
// - Crash(): the namespace reverts to the durable one, every file to its durable bytes; open
//   files become stale (their calls fail with kIoError). A file whose name was never made
//   durable is lost, synced bytes or not.
// - Simplification: directories are durable as soon as created, renamed or removed (no SyncDir
//   needed for the directory entry itself). Removing a directory requires it to be empty.
// - A file needs its parent directory to exist (kNotFound otherwise, as POSIX). Paths are
//   '/'-separated, relative to the host root ("." or ""); "a//b/" and "./a/b" name "a/b".
// Errors: kNotFound (missing file, directory or parent), kIoError (wrong type, directory not
// empty, stale or closed file; injected errors), kInvalidArgument (a ".." component),
// kResourceExhausted (disk full, injected).
// Latency: every FileSystem and WritableFile call made from a fiber first sleeps a drawn latency
// in [0, latency_max_ns] (times the slow factor), then takes effect at once (a crash during the
// sleep cancels it). So all of them may suspend, unless latency is deferred (DeferLatency): then
// the drawn latency is added to a debt instead of slept. The test helpers and fault switches below never
// suspend and are meant for world context (they work from fibers too).
//
// Faults (each switch and each injected effect is folded into the trace; all draws come from the
// disk's seeded PRNG, and none is made while the fault is off):
// - Torn writes (SetTornWrites): at a crash, each surviving file that was only appended to since
//   its last Sync keeps its durable bytes plus a seeded-random prefix of the unsynced bytes; the
//   rest of the write (Append) that prefix ends in is replaced by garbage (every byte differs from
//   the one written), and later writes are lost. Never longer than what was written.
//   (FoundationDB's AsyncFileNonDurable.) A file truncated since its last Sync reverts as usual.
// - Corruption (CorruptDurableByte, CorruptRandomDurableFile): one bit of a file's durable bytes
//   flips, and of its current bytes too where they are the same bytes; reads return it.
// - I/O errors (SetIoErrorProbability): each Append, Sync, SyncDir, ReadFile and ReadRange fails
//   with kIoError "... '<path>': injected I/O error" with that probability, with no effect (a
//   failed Append appends nothing, a failed Sync makes nothing durable). Metadata calls
//   (open, exists, size, list, rename, remove, create dir) never fail this way.
// - Full (SetFull): Append of non-empty data, OpenAppendable creating a file and CreateDir
//   creating a directory fail with kResourceExhausted "... no space left on device (injected)".
//   Everything else works (Remove, Rename, Sync, truncating an existing file, reads).
// - Slow (SetSlow): every drawn latency is multiplied by the factor.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/runtime/fibers.h"
#include "engine/runtime/file_system.h"
#include "engine/runtime/random.h"
#include "simnet/sim_core.h"

namespace sluice::sim {

class SimDisk final : public FileSystem {
 public:
  // `fibers` are the owning host's (latency sleeps); `random` draws the latencies.
  SimDisk(SimCore& core, HostId host, Fibers& fibers, Random random, int64_t latency_max_ns);
  ~SimDisk() override;
  SimDisk(const SimDisk&) = delete;
  SimDisk& operator=(const SimDisk&) = delete;

  Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path,
                                                       bool truncate) override;
  Result<std::string> ReadFile(const std::string& path) override;
  Result<std::string> ReadRange(const std::string& path, uint64_t offset,
                                uint64_t max_bytes) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Result<bool> Exists(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  Status CreateDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  // While on, Delay adds the drawn latency to a debt instead of sleeping (file_system.h).
  void DeferLatency(bool on) override { defer_latency_ = on; }
  int64_t TakeDeferredLatencyNs() override {
    const int64_t debt = latency_debt_ns_;
    latency_debt_ns_ = 0;
    return debt;
  }

  // Drops everything volatile (see the model above; with torn writes, tears them). World
  // context, after the host's fibers have been unwound. Never suspends.
  void Crash();
  // Drops everything, durable or not: the disk comes back empty (only the root directory), as
  // after RebootWipe. Open handles become stale. Fault switches are kept. World context, after
  // the host's fibers have been unwound. Never suspends.
  void Wipe();

  // --- Fault switches (see the model above). Never suspend. ---
  void SetTornWrites(bool enabled);
  // probability in [0, 1]; 0 (the default) turns injected errors off.
  void SetIoErrorProbability(double probability);
  void SetFull(bool full);
  // factor > 0; 1 (the default) is the normal speed.
  void SetSlow(double factor);
  bool full() const { return full_; }
  // Flips one seeded-random bit of the durable bytes of the file `path` (current namespace).
  // Returns the byte offset. kNotFound if there is no such file, kFailedPrecondition if it has no
  // durable bytes.
  Result<uint64_t> CorruptDurableByte(const std::string& path);
  // CorruptDurableByte on a seeded-random file, among those whose normalized path (e.g.
  // "data/log") starts with `prefix` ("" for all) and that have durable bytes. Returns its path;
  // kNotFound if there is none.
  Result<std::string> CorruptRandomDurableFile(const std::string& prefix);

  // The canonical form of `path` every call uses: components joined by '/', no empty or "."
  // components, the root is "."; false on a ".." component. (Mount tables route by it.)
  static bool NormalizePath(std::string_view path, std::string* normalized);

  // --- Test and scenario helpers: world context, no latency, never suspend. ---
  // Creates (or replaces the contents of) `path` as a durable file with a durable name, creating
  // missing parent directories.
  void WriteDurable(const std::string& path, std::string_view bytes);
  // Current bytes of a file; kNotFound if missing (or a directory).
  Result<std::string> ReadCurrent(const std::string& path) const;
  // Durable bytes of a file (what a crash would keep, torn writes aside); kNotFound if missing.
  Result<std::string> ReadDurable(const std::string& path) const;
  // Current entry names directly under `dir`, sorted; empty if `dir` is missing.
  std::vector<std::string> ListCurrent(const std::string& dir) const;
  // Whether `path` currently names a file or a directory.
  bool ExistsCurrent(const std::string& path) const;
  // Files (inodes) held, including unlinked ones kept for open handles or the durable namespace.
  size_t inode_count() const { return inodes_.size(); }

 private:
  friend class SimWritableFile;
  friend class MountedFileSystem;  // creates the mount point directory (CreateDirs)
  struct Inode {
    std::string current;
    std::string durable;
    int current_links = 0;  // names in the current namespace
    int durable_links = 0;  // names in the durable namespace
    int open_handles = 0;
    // Since the last Sync: whether it was truncated (current no longer extends durable), and the
    // end offsets of the appends (where a torn write may end its garbage).
    bool truncated_since_sync = false;
    std::vector<uint64_t> unsynced_write_ends;
    void MarkSynced() {
      truncated_since_sync = false;
      unsynced_write_ends.clear();
    }
  };
  // Operations that can fail with an injected I/O error (values are folded into the trace).
  enum class DiskOp : uint8_t { kAppend = 1, kSync = 2, kSyncDir = 3, kRead = 4, kCreate = 5 };
  // Switches, as folded into the trace.
  enum class DiskSetting : uint8_t {
    kTornWrites = 1,
    kIoErrorProbability = 2,
    kFull = 3,
    kSlow = 4
  };
  using Names = std::map<std::string, uint64_t>;  // path -> inode id

  void Delay();
  // An injected kIoError for `op` on `path`, drawn with io_error_probability_; else Ok.
  Status MaybeInjectIoError(DiskOp op, const std::string& path);
  // A kResourceExhausted for a `what` ("append to", ...) on `path` while the disk is full.
  Status NoSpace(DiskOp op, std::string_view what, const std::string& path);
  void TearUnsynced(uint64_t inode_id, Inode& inode);
  void FlipDurableBit(uint64_t inode_id, Inode& inode, uint64_t* offset);
  Inode* FindFile(const std::string& normalized_path);
  const Inode* FindFile(const std::string& normalized_path) const;
  uint64_t NewInode();
  void LinkCurrent(const std::string& path, uint64_t inode_id);
  void UnlinkCurrent(const std::string& path);
  void SetDurableName(const std::string& path, uint64_t inode_id);  // 0 removes the name
  void MaybeFree(uint64_t inode_id);
  void CreateDirs(const std::string& normalized_dir);
  Status RenameDir(const std::string& from, const std::string& to);
  Status RemoveDir(const std::string& dir);
  std::vector<std::string> ChildPaths(const Names& names, const std::string& dir) const;

  // WritableFile operations (the handle holds inode id + the generation it was opened in, and
  // the path it was opened as, for error messages).
  Status Append(uint64_t inode_id, uint64_t generation, const std::string& path,
                std::string_view data);
  Status Sync(uint64_t inode_id, uint64_t generation, const std::string& path);
  void Release(uint64_t inode_id, uint64_t generation);

  SimCore& core_;
  const HostId host_;
  Fibers& fibers_;
  Random random_;
  const int64_t latency_max_ns_;
  std::map<uint64_t, Inode> inodes_;
  Names names_;                 // current namespace
  Names durable_names_;         // durable namespace
  std::set<std::string> dirs_;  // always contains "." (the root)
  uint64_t next_inode_id_ = 1;
  uint64_t generation_ = 0;  // bumped by Crash and Wipe: older handles are stale
  // Fault switches.
  bool torn_writes_ = false;
  double io_error_probability_ = 0.0;
  bool full_ = false;
  double slow_factor_ = 1.0;
  bool defer_latency_ = false;
  int64_t latency_debt_ns_ = 0;
};

}  // namespace sluice::sim
