#include "simnet/trace.h"

#include <cinttypes>
#include <cstdio>
#include <string>

#include "engine/base/checksum.h"

namespace sluice::sim {

const char* TraceKindName(TraceKind kind) {
  switch (kind) {
    case TraceKind::kSwitch:
      return "switch";
    case TraceKind::kHostStart:
      return "host.start";
    case TraceKind::kHostCrash:
      return "host.crash";
    case TraceKind::kPartition:
      return "net.partition";
    case TraceKind::kHeal:
      return "net.heal";
    case TraceKind::kLinkLatency:
      return "net.latency";
    case TraceKind::kConnect:
      return "net.connect";
    case TraceKind::kRefuse:
      return "net.refuse";
    case TraceKind::kDeliver:
      return "net.deliver";
    case TraceKind::kFin:
      return "net.fin";
    case TraceKind::kReset:
      return "net.reset";
    case TraceKind::kDiskSync:
      return "disk.sync";
    case TraceKind::kDiskSyncDir:
      return "disk.syncdir";
    case TraceKind::kDiskCrash:
      return "disk.crash";
    case TraceKind::kLog:
      return "log";
    case TraceKind::kUser:
      return "user";
    case TraceKind::kAccept:
      return "net.accept";
    case TraceKind::kHostPause:
      return "host.pause";
    case TraceKind::kHostResume:
      return "host.resume";
    case TraceKind::kDiskWipe:
      return "disk.wipe";
    case TraceKind::kPartitionOneWay:
      return "net.partition1";
    case TraceKind::kHealAll:
      return "net.healall";
    case TraceKind::kClog:
      return "net.clog";
    case TraceKind::kUnclog:
      return "net.unclog";
    case TraceKind::kResetConnections:
      return "net.resetall";
    case TraceKind::kLatencySpike:
      return "net.spike";
    case TraceKind::kDiskSetting:
      return "disk.setting";
    case TraceKind::kDiskTorn:
      return "disk.torn";
    case TraceKind::kDiskCorrupt:
      return "disk.corrupt";
    case TraceKind::kDiskInjectedError:
      return "disk.error";
    case TraceKind::kClockSkew:
      return "clock.skew";
  }
  return "unknown";
}

void TraceRecorder::RecordText(TraceKind kind, uint64_t a, uint64_t b, std::string_view text1,
                               std::string_view text2) {
  FoldHeader(kind);
  Fold(a);
  Fold(b);
  // Lengths are folded too, so that ("ab", "c") and ("a", "bc") differ.
  Fold(text1.size());
  Fold(Checksum64(text1));
  Fold(text2.size());
  Fold(Checksum64(text2));
  if (sink_) WriteLine(kind, a, b, 0, 0, text1, text2);
}

uint64_t TraceRecorder::hash() const {
  // SplitMix64 finalizer: every bit of the state affects every bit of the result.
  uint64_t z = state_ ^ record_count_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void TraceRecorder::WriteLine(TraceKind kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                              std::string_view text1, std::string_view text2) {
  char head[160];
  std::snprintf(head, sizeof(head), "%" PRId64 " %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64,
                *now_ns_, TraceKindName(kind), a, b, c, d);
  std::string line(head);
  if (!text1.empty() || !text2.empty()) {
    line.append(" [").append(text1).append("] [").append(text2).append("]");
  }
  sink_(line);
}

}  // namespace sluice::sim
