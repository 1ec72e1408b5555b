// The table of fault kinds (scenarios/scenario.h).
#include <array>

#include "engine/base/assert.h"
#include "scenarios/scenario.h"

namespace sluice::scenarios {
namespace {

constexpr std::array<FaultKindInfo, 18> kFaultKinds = {{
    {FaultKind::kCrash, "crash", true, false, true},
    {FaultKind::kRestart, "restart", true, false, false},
    {FaultKind::kRebootWipe, "reboot_wipe", true, false, true},
    {FaultKind::kPause, "pause", true, false, true},
    {FaultKind::kPartition, "partition", true, true, true},
    {FaultKind::kPartitionOneWay, "partition_one_way", true, true, true},
    {FaultKind::kHeal, "heal", false, false, false},
    {FaultKind::kClog, "clog", true, false, true},
    {FaultKind::kUnclog, "unclog", true, false, false},
    {FaultKind::kConnectionReset, "connection_reset", true, false, true},
    {FaultKind::kLatencySpike, "latency_spike", true, true, true},
    {FaultKind::kDiskTornWrite, "disk_torn_write", true, false, true},
    {FaultKind::kDiskCorruption, "disk_corruption", true, false, true},
    {FaultKind::kDiskIoError, "disk_io_error", true, false, true},
    {FaultKind::kDiskFull, "disk_full", true, false, true},
    {FaultKind::kDiskSlow, "disk_slow", true, false, true},
    {FaultKind::kClockSkew, "clock_skew", true, false, true},
    {FaultKind::kRescale, "rescale", false, false, false},
}};

constexpr bool InEnumOrder() {
  for (size_t i = 0; i < kFaultKinds.size(); ++i) {
    if (static_cast<size_t>(kFaultKinds[i].kind) != i) return false;
  }
  return true;
}
static_assert(InEnumOrder(), "the fault kind table lists every FaultKind in enum order");

}  // namespace

std::span<const FaultKindInfo> FaultKinds() { return kFaultKinds; }

const FaultKindInfo& FaultKindOf(FaultKind kind) {
  const size_t index = static_cast<size_t>(kind);
  SLUICE_ASSERT(index < kFaultKinds.size(), "a FaultKind is one of the table's");
  return kFaultKinds[index];
}

std::string_view FaultKindName(FaultKind kind) { return FaultKindOf(kind).name; }

std::optional<FaultKind> FaultKindNamed(std::string_view name) {
  for (const FaultKindInfo& info : kFaultKinds) {
    if (info.name == name) return info.kind;
  }
  return std::nullopt;
}

}  // namespace sluice::scenarios
