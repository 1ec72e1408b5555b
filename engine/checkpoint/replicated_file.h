// Checkpoint files are kept twice on checkpoint storage, each copy sealed with its own checksum:
// copy 0 at `path`, copy 1 at kReplicaDir/`path`, both under execution.checkpointing.dir. Keep
// kReplicaDir on a second disk (the simulator's checkpoint store host mounts one there; on real
// hosts, mount one at <execution.checkpointing.dir>/replica on the file server), so that the copies
// fail independently and one disk's damage (a flipped bit, a lost write) never loses a completed
// checkpoint: readers verify one copy and fall back to the other. The simulator's fault budget
// damages at most one of the two disks in a run; a checkpoint with no intact copy left is data
// loss, never a reason to restore an older checkpoint (docs/architecture.md, "Fall-back rule").
// Every call may suspend.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "engine/base/status.h"
#include "engine/runtime/storage_directory.h"

namespace sluice {

inline constexpr char kReplicaDir[] = "replica";
inline constexpr int kCopies = 2;

// The store path of copy `copy` (0 or 1) of `path`.
std::string CopyPath(const std::string& path, int copy);

// Writes `payload` sealed under `magic` to copy 0, then to copy 1 (each durable before the next
// starts), so that a copy 1 in storage implies a durable copy 0. `sealed` = false writes the
// bare payload (exists only for a planted bug).
Status WriteReplicated(StorageDirectory& store, const std::string& path, uint32_t magic,
                       std::string_view payload, bool sealed = true);
// Writes only copy `copy` (repairing a missing or damaged one), like WriteReplicated.
Status WriteCopy(StorageDirectory& store, const std::string& path, int copy, uint32_t magic,
                 std::string_view payload, bool sealed = true);

// One copy as read back.
struct CopyReadout {
  enum class State { kIntact, kMissing, kDamaged } state = State::kMissing;
  std::string payload;  // kIntact: the verified payload
  Status problem;       // kDamaged: why it does not verify (kDataLoss naming the copy's path)
};
// Reads and verifies both copies. Errors: whatever a read returns other than kNotFound (the store
// unavailable, an I/O error): the copies' state is unknown then, so it is not guessed.
// `sealed` = false takes each present copy unchecked (planted bug only).
Result<std::array<CopyReadout, kCopies>> ReadCopies(StorageDirectory& store, const std::string& path,
                                                    uint32_t magic, bool sealed = true);
// The payload of the first copy that verifies. kDataLoss when copies exist but none verifies
// (naming every problem), kNotFound when neither exists, other errors as ReadCopies. Reads copy 1
// only when copy 0 does not verify; then, with `damaged`, describes copy 0's problem there (for
// the caller to log: a damaged disk).
Result<std::string> ReadReplicated(StorageDirectory& store, const std::string& path, uint32_t magic,
                                   bool sealed = true, std::string* damaged = nullptr);

}  // namespace sluice
