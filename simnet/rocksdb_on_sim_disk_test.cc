// RocksDB (the rocksdb state backend, engine/state/rocksdb_keyed_state_backend.h) on a simulated
// host: the same seed gives the same run bit for bit (every file's bytes, flushes, compactions,
// virtual time, trace), its disk latency is paid in virtual time, disk faults surface as typed errors, and a
// crash while an instance is open unwinds cleanly and leaves a directory the TaskManager clears.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "engine/base/bytes.h"
#include "engine/base/status.h"
#include "engine/state/rocksdb_keyed_state_backend.h"
#include "simnet/sim_disk.h"
#include "simnet/sim_test_util.h"
#include "simnet/world.h"

namespace sluice::sim {
namespace {
namespace rocksdb_on_sim_disk_test {

using testing::RunFor;
using testing::SeededOptions;

constexpr int kMaxParallelism = 128;
const KeyGroupRange kAll{0, kMaxParallelism - 1};

RocksDbOptions SmallOptions() {
  RocksDbOptions options;
  options.write_buffer_bytes = 8 * 1024;
  options.target_file_size_base = 16 * 1024;
  options.max_bytes_for_level_base = 64 * 1024;
  options.block_cache_bytes = 16 * 1024;
  return options;
}

// Puts, overwrites and deletes random keys (the host's PRNG), reading some back, then snapshots.
Status Workload(Host& host, RocksDbKeyedStateBackend& db, int operations, std::string* snapshot) {
  std::string value;
  for (int i = 0; i < operations; ++i) {
    const std::string key = "key-" + std::to_string(host.random.Uniform(3000));
    const int key_group = KeyGroupForKey(key, kMaxParallelism);
    const uint64_t action = host.random.Uniform(10);
    if (action < 7) {
      RETURN_IF_ERROR(db.Put(key_group, key, std::string(host.random.Uniform(64) + 1, 'v')));
    } else if (action < 8) {
      RETURN_IF_ERROR(db.Delete(key_group, key));
    } else {
      RETURN_IF_ERROR(db.Get(key_group, key, &value).status());
    }
    if (i % 100 == 99) db.PayLatency();
  }
  db.PayLatency();
  return db.Snapshot(snapshot);
}

struct RunResult {
  uint64_t trace_hash = 0;
  int64_t end_ns = 0;
  std::string snapshot;
  std::string files;  // every file of the instance directory: name, size, bytes
  RocksDbKeyedStateBackend::Stats stats;
  Status status;
};

RunResult RunOnce(uint64_t seed) {
  World world(SeededOptions(seed));
  RunResult result;
  world.AddHost("taskmanager-1", [&](Host& host) {
    auto db = RocksDbKeyedStateBackend::Open(host, "rocksdb/op-0", kMaxParallelism, kAll,
                                             SmallOptions());
    if (!db.ok()) {
      result.status = db.status();
      return;
    }
    result.status = Workload(host, **db, 6000, &result.snapshot);
    result.stats = (*db)->stats();
    for (const std::string& name : host.fs.List("rocksdb/op-0").value_or({})) {
      const std::string bytes = host.fs.ReadFile("rocksdb/op-0/" + name).value_or("");
      result.files += name + " " + std::to_string(bytes.size()) + "\n" + bytes;
    }
  });
  EXPECT_EQ(RunFor(world, nullptr), World::RunOutcome::kQuiescent);
  result.trace_hash = world.trace_hash();
  result.end_ns = world.now_ns();
  return result;
}

TEST(RocksDbOnSimDiskTest, TheSameSeedRunsBitForBitTheSame) {
  const RunResult a = RunOnce(11);
  const RunResult b = RunOnce(11);
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  ASSERT_TRUE(b.status.ok()) << b.status.ToString();
  EXPECT_GT(a.stats.flushes, 5);
  EXPECT_GT(a.stats.background_jobs, a.stats.flushes) << "compactions ran too";
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.end_ns, b.end_ns);
  EXPECT_EQ(a.snapshot, b.snapshot);
  // Every byte RocksDB wrote (SST properties with the db_session_id, MANIFEST, OPTIONS,
  // IDENTITY), as incremental checkpoints upload SST files and the trace hashes what travels.
  EXPECT_FALSE(a.files.empty());
  EXPECT_TRUE(a.files == b.files) << "the instance's files differ between two runs of a seed";
  EXPECT_EQ(a.stats.sst_files, b.stats.sst_files);
  EXPECT_EQ(a.stats.sst_bytes, b.stats.sst_bytes);
  EXPECT_EQ(a.stats.background_jobs, b.stats.background_jobs);
  // The disk's latency was paid in virtual time, and another seed draws other latencies.
  EXPECT_GT(a.end_ns, 0);
  const RunResult c = RunOnce(12);
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_NE(a.end_ns, c.end_ns);
}

// A fault switched on mid-run surfaces as the disk's own typed error, naming the instance.
Status RunUntilFault(uint64_t seed, const std::function<void(SimDisk&)>& fault) {
  World world(SeededOptions(seed));
  Status status;
  const HostId id = world.AddHost("taskmanager-1", [&](Host& host) {
    auto db = RocksDbKeyedStateBackend::Open(host, "rocksdb/op-0", kMaxParallelism, kAll,
                                             SmallOptions());
    if (!db.ok()) {
      status = db.status();
      return;
    }
    std::string snapshot;
    status = Workload(host, **db, 20000, &snapshot);
  });
  world.Schedule(5 * kNanosPerMilli, [&world, id, &fault] { fault(world.disk(id)); });
  EXPECT_EQ(RunFor(world, nullptr), World::RunOutcome::kQuiescent);
  return status;
}

TEST(RocksDbOnSimDiskTest, AFullDiskIsResourceExhaustedAndAnIoErrorIsAnIoError) {
  const Status full = RunUntilFault(21, [](SimDisk& disk) { disk.SetFull(true); });
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted) << full.ToString();
  EXPECT_NE(full.message().find("rocksdb/op-0"), std::string::npos) << full.ToString();
  const Status io = RunUntilFault(22, [](SimDisk& disk) { disk.SetIoErrorProbability(1.0); });
  EXPECT_EQ(io.code(), StatusCode::kIoError) << io.ToString();
  EXPECT_NE(io.message().find("injected"), std::string::npos) << io.ToString();
}

// The instance is open (its fiber asleep) when the host crashes: the fiber unwinds through the
// backend's destructor, which must not suspend (a suspension there would throw out of a
// destructor and abort). A real process killed outright runs no destructor, so the TaskManager
// also clears RocksDbStateBackend::kTaskManagerRoot when it starts.
TEST(RocksDbOnSimDiskTest, ACrashWithAnOpenInstanceUnwindsAndTheRestartClearsIt) {
  World world(SeededOptions(31));
  bool restarted = false;
  bool existed = false;
  bool cleared = false;
  const HostId id = world.AddHost("taskmanager-1", [&](Host& host) {
    if (restarted) {
      const Status removed = RemoveDirRecursively(host.fs, RocksDbStateBackend::kTaskManagerRoot);
      EXPECT_TRUE(removed.ok()) << removed.ToString();
      cleared = !host.fs.Exists(RocksDbStateBackend::kTaskManagerRoot).value_or(true);
      return;
    }
    auto db = RocksDbKeyedStateBackend::Open(host, "rocksdb/op-0", kMaxParallelism, kAll,
                                             SmallOptions());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    std::string snapshot;
    ASSERT_TRUE(Workload(host, **db, 3000, &snapshot).ok());
    existed = host.fs.Exists("rocksdb/op-0/CURRENT").value_or(false);
    host.fibers.SleepFor(3600 * kNanosPerSecond);
  });
  RunFor(world, nullptr, 10 * kNanosPerSecond);
  world.Crash(id);
  restarted = true;
  world.Restart(id);
  EXPECT_EQ(RunFor(world, nullptr), World::RunOutcome::kQuiescent);
  EXPECT_TRUE(existed);
  EXPECT_TRUE(cleared);
}

// An incremental snapshot after a few updates uploads only the SST files written since the last
// one. Regression: RocksDB's TTL compaction compared file times with the clock minus 30 days,
// which wrapped below zero on the seam's clock (virtual time starts at 0), so every compaction
// rewrote every file and every checkpoint uploaded the whole state.
TEST(RocksDbOnSimDiskTest, AnIncrementalSnapshotUploadsOnlyNewFiles) {
  World world(SeededOptions(41));
  RocksDbStateBackend::SnapshotFiles first, second;
  Status status;
  world.AddHost("taskmanager-1", [&](Host& host) {
    // Some seconds in, as a task is: RocksDB records file times in whole seconds and skips the
    // TTL check for files of time 0.
    host.fibers.SleepFor(60 * kNanosPerSecond);
    RocksDbOptions options = SmallOptions();
    options.incremental = true;
    options.target_file_size_base = 8 * 1024;  // many files per level
    RocksDbStateBackend backends(host, "rocksdb/task", options, "checkpoints", "checkpoints",
                                 [](const std::string&) -> Result<std::string> {
                                   return NotFoundError("nothing is restored here");
                                 });
    auto db = backends.Create(kMaxParallelism, kAll);
    if (!db.ok()) {
      status = db.status();
      return;
    }
    auto snapshot = [&](int64_t id, RocksDbStateBackend::SnapshotFiles* files) {
      backends.BeginSnapshot(id, /*full=*/false);
      std::string out;
      status = (*db)->Snapshot(&out);
      *files = backends.TakeSnapshotFiles(id);
      backends.SnapshotFilesUploaded(id);
    };
    for (int i = 0; i < 4000 && status.ok(); ++i) {
      const std::string key = "key-" + std::to_string(i);
      status = (*db)->Put(KeyGroupForKey(key, kMaxParallelism), key, std::string(40, 'v'));
    }
    if (status.ok()) snapshot(1, &first);
    for (int i = 0; i < 20 && status.ok(); ++i) {
      const std::string key = "key-" + std::to_string(i * 7);
      status = (*db)->Put(KeyGroupForKey(key, kMaxParallelism), key, std::string(40, 'w'));
    }
    if (status.ok()) snapshot(2, &second);
  });
  EXPECT_EQ(RunFor(world, nullptr), World::RunOutcome::kQuiescent);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_GE(first.referenced.size(), 4u) << "the state spans several SST files";
  EXPECT_EQ(first.uploads.size(), first.referenced.size()) << "the first uploads everything";
  EXPECT_LT(second.uploads.size(), second.referenced.size() / 2)
      << "the second uploads the new flush and little else";
  EXPECT_LT(second.uploaded_bytes, second.referenced_bytes / 2);
}

}  // namespace rocksdb_on_sim_disk_test
}  // namespace
}  // namespace sluice::sim
