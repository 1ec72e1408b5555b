#include "engine/base/checksum.h"

#include <xxhash.h>

#include "engine/base/bytes.h"

namespace sluice {

uint64_t Checksum64(std::string_view data) { return XXH64(data.data(), data.size(), 0); }

std::string SealBlob(uint32_t magic, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 16);
  ByteWriter w(&out);
  w.PutU32(magic);
  w.PutU32(static_cast<uint32_t>(payload.size()));
  w.PutRaw(payload);
  w.PutU64(Checksum64(payload));
  return out;
}

Result<std::string_view> UnsealBlob(uint32_t magic, std::string_view blob,
                                    const std::string& what) {
  ByteReader r(blob);
  uint32_t got_magic = 0, length = 0;
  if (!r.GetU32(&got_magic) || !r.GetU32(&length)) {
    return DataLossError(what + ": truncated header (" + std::to_string(blob.size()) + " bytes)");
  }
  if (got_magic != magic) return DataLossError(what + ": bad magic");
  if (r.remaining() != static_cast<size_t>(length) + 8) {
    return DataLossError(what + ": length " + std::to_string(length) + " does not match size " +
                         std::to_string(blob.size()));
  }
  std::string_view payload = r.rest().substr(0, length);
  ByteReader tail(r.rest().substr(length));
  uint64_t sum = 0;
  if (!tail.GetU64(&sum) || sum != Checksum64(payload)) {
    return DataLossError(what + ": checksum mismatch");
  }
  return payload;
}

}  // namespace sluice
