// Completed checkpoints: their metadata files on checkpoint storage and their pointers on etcd.
// A checkpoint's metadata file
//   checkpoints/chk-<id>/_metadata-<epoch>   (in execution.checkpointing.dir, kept twice: replicated_file.h)
// is written atomically (tmp, fsync, rename, fsync dir: StorageDirectory) and sealed with a checksum
// (engine/base/checksum.h). It lists, for every subtask of the job, the path of the state file
// that subtask acknowledged, for every source its split enumerator's state (Flink keeps operator
// coordinators' state in the metadata file too), and the job graph it was taken of
// (CheckpointedGraph: each operator's name and parallelism, the max parallelism), so that a
// restore into another graph is refused (engine/jobmanager/checkpoint_compatibility.h). The
// epoch in its name (the leadership that wrote it) keeps a deposed leader, which may still be
// completing a checkpoint of the same id, from ever overwriting the file a newer leader's pointer
// names.
//
// A checkpoint is complete once its pointer exists: the etcd key
//   <key prefix>checkpoints/<id, 20 digits>  ->  the metadata file's path
// written after both metadata copies are durable, in a transaction fenced by the leader key's
// revision (engine/ha/leader_election.h), as Flink keeps its completed-checkpoint handles in
// ZooKeeper or a Kubernetes ConfigMap under the leader's lock. A deposed leader can therefore
// never complete a checkpoint, and metadata files without a pointer are leftovers (never
// notified, never restored).
//
// The fall-back rule (Flink's notifyCheckpointComplete contract: a lower checkpoint is never
// committed after a higher one). Sinks commit a checkpoint's transactions when it is notified or
// restored, so restoring an older checkpoint once a newer one may have been committed would
// commit the newer one's output a second time. A checkpoint is notified or restored only once
// its pointer exists, so at recovery the newest pointer's checkpoint is the one: with at least
// one intact metadata copy it is used (and the other repaired); with none, it may have been
// committed: kDataLoss, the job fails.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/status.h"
#include "engine/runtime/storage_directory.h"
#include "engine/ha/etcd_client.h"
#include "engine/ha/leader_election.h"

namespace sluice {

// The job graph a checkpoint was taken of, as Flink's checkpoint metadata records each
// operator's id, parallelism and max parallelism.
struct CheckpointedOperator {
  std::string name;
  int parallelism = 0;
  // The chain (task) whose state files hold the operator's state; -1 in metadata written before
  // Sluice recorded it.
  int chain = -1;
  bool operator==(const CheckpointedOperator&) const = default;
};
struct CheckpointedGraph {
  int max_parallelism = 0;                    // pipeline.max-parallelism: the key groups
  std::vector<CheckpointedOperator> operators;  // by operator (node) id; empty: not recorded
  bool operator==(const CheckpointedGraph&) const = default;
};

// The magic every task state file is sealed under (engine/checkpoint/replicated_file.h).
inline constexpr uint32_t kTaskStateMagic = 0x53545445;  // "ETTS"

// Where savepoints are written in execution.checkpointing.dir: <kSavepointsDir>/savepoint-<id>/, holding
// a copy of each state file the savepoint names and its _metadata (which names those copies),
// so that it outlives the checkpoints it was taken with (retention never deletes it).
inline constexpr char kSavepointsDir[] = "savepoints";

struct CompletedCheckpoint {
  int64_t id = 0;
  std::map<std::pair<int, int>, std::string> state_paths;  // (chain, subtask) → state file
  // Source chain → its SplitEnumerator's state when the checkpoint triggered (the splits no
  // subtask had been assigned; engine/jobmanager/source_coordinator.h).
  std::map<int, std::string> enumerator_states;
  // Absent (empty) in metadata written before Sluice recorded it.
  CheckpointedGraph graph;
  // Sizes in bytes (Flink's checkpointed data size and full state size), known to the JobManager
  // that completed it (not kept in the metadata: 0 after a recovery). full: every state file it
  // names; incremental: the files written for it (a finished task's final state, written for an
  // earlier checkpoint and named again, counts in full only).
  int64_t full_bytes = 0;
  int64_t incremental_bytes = 0;
  bool is_savepoint = false;  // triggered as a savepoint (in memory, as the sizes)
  // An unaligned checkpoint some task wrote in-flight data for (recorded in the metadata; false
  // in metadata written before): it restores only at the parallelism it was taken at.
  bool has_in_flight_data = false;
  // The shared files (incremental RocksDB SSTs under checkpoints/shared/, store paths of copy 0)
  // its state files name (recorded in the metadata; empty in metadata written before), so that a
  // JobManager that takes over registers them (SharedStateRegistry) before deleting any.
  std::set<std::string> shared_files;

  static constexpr uint32_t kMetadataMagic = 0x4154454d;  // "META"
  // The metadata file of checkpoint `id` as the leadership of `epoch` writes it.
  static std::string MetadataPath(int64_t id, int64_t epoch);
  // The metadata payload; StoreCompletedCheckpoint seals it and writes both copies
  // (engine/checkpoint/replicated_file.h).
  std::string EncodeMetadata() const;
  static Result<CompletedCheckpoint> DecodeMetadata(std::string_view payload, const std::string& what);
};

// Where a job's completed checkpoints are recorded: the etcd keys under `prefix`, written and
// deleted only under `fence`. Each fiber uses its own client.
struct CheckpointPointers {
  EtcdClient& etcd;
  std::string prefix;  // "<high-availability key prefix>checkpoints/"
  LeaderFence fence;
  // The key of checkpoint `id` (ids zero-padded, so keys sort as ids do).
  std::string KeyOf(int64_t id) const;
};

// Completes `checkpoint`: writes its metadata file (both copies, sealed unless `checksummed` is
// false, which exists only for a planted bug) at MetadataPath(id, pointers.fence.revision), then
// its pointer, fenced: kFailedPrecondition when a newer leader has taken over, kUnavailable (the
// pointer's outcome unknown) when etcd did not answer, store errors as they come. May suspend.
Status StoreCompletedCheckpoint(StorageDirectory& store, const CheckpointPointers& pointers,
                                const CompletedCheckpoint& checkpoint, bool checksummed = true);

struct RecoveredCheckpoints {
  std::optional<CompletedCheckpoint> latest;  // the newest completed checkpoint (the fall-back rule)
  std::string latest_metadata_path;  // where latest's metadata is (its pointer's value)
  std::vector<int> copies_to_repair;  // copies of latest's metadata that are missing or damaged
  int64_t highest_id_seen = 0;  // for numbering new checkpoints past all old ones (pointers and
                                // checkpoint directories alike)
};
// Reads the pointers and the newest one's metadata and applies the fall-back rule above.
// Errors: kDataLoss naming the checkpoint and both copies' problems when the newest completed
// checkpoint has no intact metadata copy (confirmed under the fence: its pointer is still there),
// or naming a pointer that is not one; kFailedPrecondition when the fence no longer holds (a
// newer leader may have subsumed the checkpoint and deleted its files); kUnavailable when the
// pointer changed meanwhile; etcd and store errors (unavailable, I/O) as they come, so the
// caller retries. May suspend.
Result<RecoveredCheckpoints> RecoverCheckpoints(StorageDirectory& store,
                                                const CheckpointPointers& pointers,
                                                bool checksummed = true);
// Rewrites copy `copy` of `checkpoint`'s metadata at `path` (what its pointer names). Unfenced:
// it writes the very bytes the other copy holds. May suspend.
Status RepairMetadataCopy(StorageDirectory& store, const CompletedCheckpoint& checkpoint,
                          const std::string& path, int copy, bool checksummed = true);

// Writes the self-contained copy of savepoint `checkpoint` (stored already in `checkpoints`) to
// directory `dir` of `target` (savepoint-<id> under the savepoint's target directory; target may
// be `checkpoints` itself, dir <kSavepointsDir>/savepoint-<id>, the default): every state file it
// names (a finished task's final state may live in an older checkpoint's directory), every shared
// file it names (a finished task's incremental RocksDB state: copied to shared/... below the
// savepoint's directory, where a restore from it resolves them), then a _metadata naming the
// copies by their paths in `target`, both copies of each (a savepoint without its _metadata is
// not one). Returns `dir`; storage errors as they come. May suspend.
Result<std::string> WriteSavepoint(StorageDirectory& checkpoints,
                                   const CompletedCheckpoint& checkpoint, StorageDirectory& target,
                                   const std::string& dir);
// The savepoint in directory `path` (its _metadata); kNotFound if there is none, kDataLoss if it
// does not verify, other store errors as they come, each naming the path. May suspend.
Result<CompletedCheckpoint> ReadSavepoint(StorageDirectory& store, const std::string& path);
// Copies the savepoint in directory `path` of `source` (outside execution.checkpointing.dir) into
// directory `dir` of `checkpoints` (a savepoint there too: every file, then its _metadata), so
// that tasks restore it from checkpoint storage as any other; returns it as read there.
// Idempotent (a copy cut short is redone whole). Errors as ReadSavepoint's and the writes'. May
// suspend.
Result<CompletedCheckpoint> ImportSavepoint(StorageDirectory& source, const std::string& path,
                                            StorageDirectory& checkpoints, const std::string& dir);

// The id of a checkpoint directory name "chk-<id>"; -1 for any other name.
int64_t CheckpointIdOfDirectory(std::string_view name);

// Deletes the pointers of every checkpoint with id < `below` (fenced: kFailedPrecondition once a
// newer leader exists, and nothing is deleted), then, on both copies, every checkpoint directory
// checkpoints/chk-<id> with id < `below` (completed or not), except the files named in `keep`
// (store paths of copy 0, as CompletedCheckpoint::state_paths names them; a retained checkpoint
// still uses them). The pointers go first, so that a checkpoint half deleted is no longer
// complete; a directory is removed once empty. Then, on both copies, every shared
// file under checkpoints/shared/ uploaded for a checkpoint below `shared_below`
// (SharedFileCheckpointId) that is not in `keep_shared` (the shared-state registry's live
// files), and each instance directory left empty (none with `shared_below` 0). Idempotent: a call cut short by a store error
// is finished by the next. Returns the number of files deleted; store errors as they come. May
// suspend.
Result<int64_t> DiscardCheckpointsBelow(StorageDirectory& store, const CheckpointPointers& pointers,
                                        int64_t below,
                                        const std::set<std::string>& keep,
                                        const std::set<std::string>& keep_shared = {},
                                        int64_t shared_below = 0);

}  // namespace sluice
