// SimDisk's fault model: wipe, torn writes, bit flips, injected I/O errors, full and slow disks
// (the model is in sim_disk.h).
#include <bit>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/checksum.h"
#include "simnet/sim_disk.h"

namespace sluice::sim {
namespace {

// Bound on the slow factor, far from overflowing a drawn latency.
constexpr double kSlowFactorMax = 1e6;

const char* OpName(uint8_t op) {
  switch (op) {
    case 1:
      return "append to";
    case 2:
      return "sync";
    case 3:
      return "sync directory";
    case 4:
      return "read";
    default:
      return "create";
  }
}

}  // namespace

void SimDisk::Wipe() {
  SLUICE_ASSERT(!core_.InFiber(), "a disk is wiped in world context");
  ++generation_;  // every open handle is stale
  const size_t dropped = inodes_.size();
  inodes_.clear();
  names_.clear();
  durable_names_.clear();
  dirs_.clear();
  dirs_.insert(".");
  core_.trace().Record(TraceKind::kDiskWipe, host_, dropped);
  SLUICE_ASSERT(inodes_.empty(), "a wiped disk has no inodes");
  SLUICE_ASSERT(names_.empty(), "a wiped disk has no names");
  SLUICE_ASSERT(dirs_.size() == 1, "a wiped disk has only its root");
}

void SimDisk::SetTornWrites(bool enabled) {
  torn_writes_ = enabled;
  core_.trace().Record(TraceKind::kDiskSetting, host_,
                       static_cast<uint64_t>(DiskSetting::kTornWrites), enabled ? 1 : 0);
}

void SimDisk::SetIoErrorProbability(double probability) {
  SLUICE_ASSERT(probability >= 0.0 && probability <= 1.0, "a probability is in [0, 1]");
  io_error_probability_ = probability;
  core_.trace().Record(TraceKind::kDiskSetting, host_,
                       static_cast<uint64_t>(DiskSetting::kIoErrorProbability),
                       std::bit_cast<uint64_t>(probability));
}

void SimDisk::SetFull(bool full) {
  full_ = full;
  core_.trace().Record(TraceKind::kDiskSetting, host_, static_cast<uint64_t>(DiskSetting::kFull),
                       full ? 1 : 0);
}

void SimDisk::SetSlow(double factor) {
  SLUICE_ASSERT(factor > 0.0 && factor <= kSlowFactorMax, "slow factor in (0, 1e6]");
  slow_factor_ = factor;
  core_.trace().Record(TraceKind::kDiskSetting, host_, static_cast<uint64_t>(DiskSetting::kSlow),
                       std::bit_cast<uint64_t>(factor));
}

Status SimDisk::MaybeInjectIoError(DiskOp op, const std::string& path) {
  // No draw while the fault is off: runs without it keep their PRNG stream.
  if (io_error_probability_ <= 0.0 || !random_.Bernoulli(io_error_probability_)) {
    return Status::Ok();
  }
  core_.trace().Record(TraceKind::kDiskInjectedError, host_, static_cast<uint64_t>(op),
                       Checksum64(path), static_cast<uint64_t>(StatusCode::kIoError));
  return IoError(std::string(OpName(static_cast<uint8_t>(op))) + " '" + path +
                 "': injected I/O error");
}

Status SimDisk::NoSpace(DiskOp op, std::string_view what, const std::string& path) {
  SLUICE_ASSERT(full_, "only a full disk runs out of space");
  core_.trace().Record(TraceKind::kDiskInjectedError, host_, static_cast<uint64_t>(op),
                       Checksum64(path), static_cast<uint64_t>(StatusCode::kResourceExhausted));
  return ResourceExhaustedError(std::string(what) + " '" + path +
                                "': no space left on device (injected)");
}

void SimDisk::TearUnsynced(uint64_t inode_id, Inode& inode) {
  if (inode.truncated_since_sync || inode.current.size() <= inode.durable.size()) return;
  const uint64_t durable_bytes = inode.durable.size();
  SLUICE_ASSERT(inode.current.compare(0, durable_bytes, inode.durable) == 0,
                "appended to only since the last sync: current extends durable");
  const uint64_t unsynced_bytes = inode.current.size() - durable_bytes;
  const uint64_t kept = random_.Uniform(unsynced_bytes + 1);
  const uint64_t tear_at = durable_bytes + kept;  // the first byte lost
  // Garbage runs to the end of the write holding the first lost byte; later writes are lost.
  uint64_t write_end = tear_at;
  for (uint64_t end : inode.unsynced_write_ends) {
    if (end > tear_at) {
      write_end = end;
      break;
    }
  }
  SLUICE_ASSERT(write_end <= inode.current.size(), "never more than was written");
  std::string torn = inode.current.substr(0, write_end);
  for (uint64_t i = tear_at; i < write_end; ++i) {
    torn[i] = static_cast<char>(torn[i] ^ static_cast<char>(1 + random_.Uniform(255)));
  }
  core_.trace().Record(TraceKind::kDiskTorn, host_, inode_id, kept, write_end - tear_at);
  inode.durable = std::move(torn);
}

void SimDisk::FlipDurableBit(uint64_t inode_id, Inode& inode, uint64_t* offset) {
  SLUICE_ASSERT(!inode.durable.empty(), "only a file with durable bytes can be corrupted");
  *offset = random_.Uniform(inode.durable.size());
  const uint64_t bit = random_.Uniform(8);
  const char mask = static_cast<char>(1u << bit);
  inode.durable[*offset] = static_cast<char>(inode.durable[*offset] ^ mask);
  // Unless truncated since the last sync, the current bytes begin with the durable ones: the
  // same storage, so reads see the flip too.
  if (!inode.truncated_since_sync && *offset < inode.current.size()) {
    inode.current[*offset] = static_cast<char>(inode.current[*offset] ^ mask);
  }
  core_.trace().Record(TraceKind::kDiskCorrupt, host_, inode_id, *offset, bit);
}

Result<uint64_t> SimDisk::CorruptDurableByte(const std::string& path) {
  std::string p;
  if (!NormalizePath(path, &p)) return InvalidArgumentError("corrupt '" + path + "': bad path");
  auto it = names_.find(p);
  if (it == names_.end()) return NotFoundError("corrupt '" + path + "': no such file");
  Inode& inode = inodes_.at(it->second);
  if (inode.durable.empty()) {
    return FailedPreconditionError("corrupt '" + path + "': no durable bytes");
  }
  uint64_t offset = 0;
  FlipDurableBit(it->second, inode, &offset);
  return offset;
}

Result<std::string> SimDisk::CorruptRandomDurableFile(const std::string& prefix) {
  std::vector<std::string> candidates;  // in path order: deterministic
  for (const auto& [path, inode_id] : names_) {
    if (path.starts_with(prefix) && !inodes_.at(inode_id).durable.empty()) {
      candidates.push_back(path);
    }
  }
  if (candidates.empty()) {
    return NotFoundError("corrupt: no file with durable bytes under '" + prefix + "'");
  }
  const std::string path = candidates[random_.Uniform(candidates.size())];
  uint64_t offset = 0;
  FlipDurableBit(names_.at(path), inodes_.at(names_.at(path)), &offset);
  return path;
}

}  // namespace sluice::sim
