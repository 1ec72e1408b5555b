// Checksums for durable and wire data: XXH64 (xxHash, seed 0) from the xxhash library.
// Sealed blobs carry an 8-byte magic+length header and an 8-byte XXH64 trailer, so that a torn,
// truncated or bit-flipped file reads back as kDataLoss rather than as wrong data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/status.h"

namespace sluice {

uint64_t Checksum64(std::string_view data);

// Returns `payload` framed as [u32 magic][u32 length][payload][u64 xxh64(payload)].
std::string SealBlob(uint32_t magic, std::string_view payload);
// Verifies a sealed blob: magic, exact length and checksum. `what` names the blob in errors.
Result<std::string_view> UnsealBlob(uint32_t magic, std::string_view blob, const std::string& what);

}  // namespace sluice
