// TraceRecorder: the run's 64-bit rolling trace hash. Every decision and effect of a simulated run
// (fiber switches, message deliveries, connects, resets, disk syncs, faults, EventLog records) is
// folded in as a record of integers, so two runs of one seed can be compared by one number, and a
// divergence found by writing the full trace of each (SetSink) and diffing.
//
// Records are canonical: integers and byte contents only, never pointers or unordered iteration.
// The hot path (Record) hashes integers directly; text is formatted only while a sink is set.
// Not thread-safe; never suspends.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace sluice::sim {

// What a trace record describes. Values are part of the hash: append new kinds, never renumber.
enum class TraceKind : uint8_t {
  kSwitch = 1,        // a: fiber id switched in
  kHostStart = 2,     // a: host, b: incarnation
  kHostCrash = 3,     // a: host, b: incarnation
  kPartition = 4,     // a, b: hosts
  kHeal = 5,          // a, b: hosts
  kLinkLatency = 6,   // a, b: hosts, c: min ns, d: max ns
  kConnect = 7,       // a: connection, b: client host, c: server host, d: server port
  kRefuse = 8,        // a: client host, b: server host, c: port, d: 1 refused / 2 timed out
  kDeliver = 9,       // a: connection, b: direction, c: byte count, d: content hash
  kFin = 10,          // a: connection, b: direction
  kReset = 11,        // a: connection, b: endpoint that saw the reset
  kDiskSync = 12,     // a: host, b: inode, c: durable byte count
  kDiskSyncDir = 13,  // a: host, b: hash of the directory, c: durable entries in it
  kDiskCrash = 14,    // a: host, b: surviving files
  kLog = 15,          // a: host, b: severity; text: category, message
  kUser = 16,         // text: kind, detail (World::Trace)
  kAccept = 17,       // a: connection, b: server host
  // Fault model (world.h, sim_network.h, sim_disk.h). Doubles are folded as their IEEE bits.
  kHostPause = 18,          // a: host, b: duration ns
  kHostResume = 19,         // a: host
  kDiskWipe = 20,           // a: host, b: files dropped
  kPartitionOneWay = 21,    // a: from host, b: to host
  kHealAll = 22,            //
  kClog = 23,               // a: host, b: factor (double bits)
  kUnclog = 24,             // a: host
  kResetConnections = 25,   // a: host, b: connections reset
  kLatencySpike = 26,       // a, b: hosts, c: extra ns, d: duration ns
  kDiskSetting = 27,        // a: host, b: DiskSetting, c: value (bool, or double bits)
  kDiskTorn = 28,           // a: host, b: inode, c: unsynced bytes kept, d: garbage bytes
  kDiskCorrupt = 29,        // a: host, b: inode, c: byte offset, d: bit
  kDiskInjectedError = 30,  // a: host, b: DiskOp, c: hash of the path, d: status code
  kClockSkew = 31,          // a: host, b: offset ns, c: drift in parts per billion
};

const char* TraceKindName(TraceKind kind);

class TraceRecorder {
 public:
  // `now_ns` is read on every record (the world's virtual clock); it must outlive the recorder.
  explicit TraceRecorder(const int64_t* now_ns) : now_ns_(now_ns) {}

  // Folds (kind, now, a, b, c, d) into the hash.
  void Record(TraceKind kind, uint64_t a = 0, uint64_t b = 0, uint64_t c = 0, uint64_t d = 0) {
    FoldHeader(kind);
    Fold(a);
    Fold(b);
    Fold(c);
    Fold(d);
    if (sink_) WriteLine(kind, a, b, c, d, {}, {});
  }
  // Folds (kind, now, a, b) and the bytes of two texts (each hashed with its length).
  void RecordText(TraceKind kind, uint64_t a, uint64_t b, std::string_view text1,
                  std::string_view text2);

  // The hash so far, finalized (a pure function of the records folded, in order).
  uint64_t hash() const;
  uint64_t record_count() const { return record_count_; }

  // While set, every record is also written as one line of text ("<ns> <kind> <fields...>").
  // Slow: for debugging a single run (e.g. diffing the traces of two runs of one seed).
  void SetSink(std::function<void(std::string_view line)> sink) { sink_ = std::move(sink); }

 private:
  // FxHash-style fold: cheap, order-sensitive; hash() applies a full avalanche at the end.
  void Fold(uint64_t word) {
    state_ = ((state_ << 5) | (state_ >> 59)) ^ word;
    state_ *= 0x517cc1b727220a95ULL;
  }
  void FoldHeader(TraceKind kind) {
    ++record_count_;
    Fold(static_cast<uint64_t>(kind));
    Fold(static_cast<uint64_t>(*now_ns_));
  }
  void WriteLine(TraceKind kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                 std::string_view text1, std::string_view text2);

  const int64_t* now_ns_;
  uint64_t state_ = 0xcbf29ce484222325ULL;
  uint64_t record_count_ = 0;
  std::function<void(std::string_view)> sink_;
};

}  // namespace sluice::sim
