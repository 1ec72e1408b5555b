#include "engine/checkpoint/replicated_file.h"

#include "engine/base/checksum.h"

namespace sluice {

Status WriteReplicated(StoreClient& store, const std::string& path, uint32_t magic,
                       std::string_view payload, bool sealed, const StoreFence* fence) {
  const std::string bytes = sealed ? SealBlob(magic, payload) : std::string(payload);
  for (const std::string& copy : {path, path + kReplicaSuffix}) {
    RETURN_IF_ERROR(fence != nullptr ? store.WriteAtomic(copy, bytes, *fence)
                                     : store.WriteAtomic(copy, bytes));
  }
  return Status::Ok();
}

Result<std::string> ReadReplicated(StoreClient& store, const std::string& path, uint32_t magic,
                                   bool sealed) {
  Status first_problem;
  for (const std::string& copy : {path, path + kReplicaSuffix}) {
    auto blob = store.ReadFile(copy);
    if (!blob.ok()) {
      if (blob.status().code() != StatusCode::kNotFound) return blob.status();
      if (first_problem.ok()) first_problem = blob.status();
      continue;
    }
    if (!sealed) return std::move(blob).value();
    auto payload = UnsealBlob(magic, blob.value(), copy);
    if (payload.ok()) return std::string(payload.value());
    if (first_problem.ok() || first_problem.code() == StatusCode::kNotFound) {
      first_problem = payload.status();
    }
  }
  return first_problem;
}

}  // namespace sluice
