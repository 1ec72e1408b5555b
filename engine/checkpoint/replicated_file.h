// Checkpoint files are kept twice on checkpoint storage: `path` and `path` + kReplicaSuffix, each
// sealed with its own checksum, so that one damaged copy (a flipped bit, a torn or lost write)
// never loses a completed checkpoint: readers verify the first copy and fall back to the second.
// (The simulator's fault budget never damages both copies of a file; when both are damaged the
// JobManager falls back to the previous completed checkpoint.) Both calls may suspend.
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/status.h"
#include "engine/connectors/store.h"

namespace sluice {

inline constexpr char kReplicaSuffix[] = ".replica";

// Writes `payload` sealed under `magic` to both copies (each durable before this returns).
// `sealed` = false writes the bare payload (exists only for a planted bug). With a `fence`, each
// copy is a fenced write (kFailedPrecondition once the writer is fenced off; see StoreFence).
Status WriteReplicated(StoreClient& store, const std::string& path, uint32_t magic,
                       std::string_view payload, bool sealed = true,
                       const StoreFence* fence = nullptr);
// Reads and verifies the first copy, then the second. kDataLoss when neither verifies (naming
// both problems), kNotFound when neither exists. `sealed` = false returns the first copy unchecked.
Result<std::string> ReadReplicated(StoreClient& store, const std::string& path, uint32_t magic,
                                   bool sealed = true);

}  // namespace sluice
