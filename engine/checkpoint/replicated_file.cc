#include "engine/checkpoint/replicated_file.h"


#include "engine/base/assert.h"
#include "engine/base/checksum.h"

namespace sluice {

std::string CopyPath(const std::string& path, int copy) {
  SLUICE_ASSERT(copy >= 0 && copy < kCopies, "a checkpoint file has two copies");
  return copy == 0 ? path : std::string(kReplicaDir) + "/" + path;
}

Status WriteCopy(StorageDirectory& store, const std::string& path, int copy, uint32_t magic,
                 std::string_view payload, bool sealed) {
  const std::string bytes = sealed ? SealBlob(magic, payload) : std::string(payload);
  return store.WriteAtomic(CopyPath(path, copy), bytes);
}

Status WriteReplicated(StorageDirectory& store, const std::string& path, uint32_t magic,
                       std::string_view payload, bool sealed) {
  for (int copy = 0; copy < kCopies; ++copy) {
    RETURN_IF_ERROR(WriteCopy(store, path, copy, magic, payload, sealed));
  }
  return Status::Ok();
}

namespace {

// Reads and verifies copy `copy`; a read error other than kNotFound is returned as the error.
Result<CopyReadout> ReadCopy(StorageDirectory& store, const std::string& path, int copy,
                             uint32_t magic, bool sealed) {
  const std::string copy_path = CopyPath(path, copy);
  auto blob = store.ReadFile(copy_path);
  CopyReadout readout;
  if (!blob.ok()) {
    if (blob.status().code() != StatusCode::kNotFound) return blob.status();
    return readout;  // kMissing
  }
  if (!sealed) {
    readout.state = CopyReadout::State::kIntact;
    readout.payload = std::move(blob).value();
    return readout;
  }
  auto payload = UnsealBlob(magic, blob.value(), copy_path);
  if (payload.ok()) {
    readout.state = CopyReadout::State::kIntact;
    readout.payload = std::string(payload.value());
  } else {
    readout.state = CopyReadout::State::kDamaged;
    readout.problem = payload.status();
  }
  return readout;
}

}  // namespace

Result<std::array<CopyReadout, kCopies>> ReadCopies(StorageDirectory& store, const std::string& path,
                                                    uint32_t magic, bool sealed) {
  std::array<CopyReadout, kCopies> copies;
  for (int copy = 0; copy < kCopies; ++copy) {
    ASSIGN_OR_RETURN(copies[copy], ReadCopy(store, path, copy, magic, sealed));
  }
  return copies;
}

Result<std::string> ReadReplicated(StorageDirectory& store, const std::string& path, uint32_t magic,
                                   bool sealed, std::string* damaged) {
  std::string problems;
  for (int copy = 0; copy < kCopies; ++copy) {
    ASSIGN_OR_RETURN(CopyReadout readout, ReadCopy(store, path, copy, magic, sealed));
    if (readout.state == CopyReadout::State::kIntact) {
      if (damaged != nullptr) *damaged = problems;
      return std::move(readout.payload);
    }
    if (readout.state == CopyReadout::State::kDamaged) {
      problems += (problems.empty() ? "" : "; ") + readout.problem.message();
    }
  }
  if (problems.empty()) return NotFoundError(path + ": no copy exists");
  return DataLossError(path + ": no intact copy (" + problems + ")");
}

}  // namespace sluice
