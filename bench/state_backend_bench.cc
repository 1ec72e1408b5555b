// Keyed-state backends on the real disk (a temporary directory under $TMPDIR):
//
// BM_StateAccess/backend:{0 heap,1 rocksdb}/keys:N
//     the per-record state access of a keyed operator: read a key's int64 value, add one, write
//     it back (HeapValueStateBackend::GetOrCreate; RocksDbKeyedStateBackend::Get + Put, with the
//     default 64 MB write buffer and 8 MB block cache), over N distinct keys in a seeded random
//     order. Items/s; for rocksdb, `ratio` = its accesses/s divided by the heap backend's over
//     the same keys, measured in the same process right after.
// BM_CheckpointSize/incremental:{0,1}/mb:M
//     a RocksDB instance holding M MB of state (random 100-byte values under 16-byte keys, the
//     default 64 MB write buffer), checkpointed once, then per iteration 1% of its keys updated
//     and a checkpoint: a full snapshot (key-group sections written out), or
//     an incremental one (flush, list the SST files, copy the new ones to a "checkpoint
//     storage" directory; the full snapshot's state file is written and synced there too).
//     Manual time = the checkpoint alone, flush and the compactions it triggers included (they
//     run on the task's fiber); counters `bytes` (what a checkpoint writes, averaged over the
//     iterations: an incremental one uploads the files compactions rewrote, which with uniformly
//     random updates is much of level 1 whenever level 0 is compacted) and `state_bytes` (the
//     live SST files' total).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/partition/key_group.h"
#include "engine/runtime/random.h"
#include "engine/runtime/real/real_runtime.h"
#include "engine/state/keyed_state.h"
#include "engine/state/rocksdb_keyed_state_backend.h"

namespace sluice::bench {
namespace {

constexpr int kMaxParallelism = 128;
const KeyGroupRange kAllKeyGroups{0, kMaxParallelism - 1};

// A fresh directory for one benchmark's real runtime.
std::string BenchDir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("sluice-bench-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string KeyName(uint64_t i) {
  std::string key = "key-" + std::to_string(i);
  key.resize(16, '.');
  return key;
}

std::string Encode(int64_t value) {
  std::string bytes;
  ByteWriter w(&bytes);
  Serializer<int64_t>::Write(w, value);
  return bytes;
}

// Heap accesses per second over `names` in a seeded random order (the baseline of the ratio).
double HeapAccessesPerSecond(const std::vector<std::string>& names, int64_t accesses) {
  HeapValueStateBackend<int64_t> heap(kMaxParallelism, kAllKeyGroups);
  Random order(42);
  const auto start = std::chrono::steady_clock::now();
  for (int64_t n = 0; n < accesses; ++n) ++heap.GetOrCreate(names[order.Uniform(names.size())]);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  benchmark::DoNotOptimize(heap.size());
  return static_cast<double>(accesses) / seconds;
}

void BM_StateAccess(benchmark::State& state) {
  const bool rocksdb = state.range(0) == 1;
  const uint64_t keys = static_cast<uint64_t>(state.range(1));
  std::vector<std::string> names;
  std::vector<int> groups;
  for (uint64_t i = 0; i < keys; ++i) {
    names.push_back(KeyName(i));
    groups.push_back(KeyGroupForKey(names.back(), kMaxParallelism));
  }
  real::RealRuntime runtime("bench", BenchDir("state-access"), /*seed=*/1);
  HeapValueStateBackend<int64_t> heap(kMaxParallelism, kAllKeyGroups);
  std::unique_ptr<RocksDbKeyedStateBackend> db;
  if (rocksdb) {
    auto opened = RocksDbKeyedStateBackend::Open(runtime.host(), "db", kMaxParallelism,
                                                 kAllKeyGroups, RocksDbOptions{});
    if (!opened.ok()) {
      state.SkipWithError(opened.status().ToString().c_str());
      return;
    }
    db = std::move(*opened);
  }
  Random order(42);
  std::string value;
  int64_t accesses = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const uint64_t i = order.Uniform(keys);
    if (!rocksdb) {
      ++heap.GetOrCreate(names[i]);
    } else {
      auto found = db->Get(groups[i], names[i], &value);
      int64_t count = 0;
      if (found.ok() && *found) {
        ByteReader r(value);
        (void)Serializer<int64_t>::Read(r, &count);
      }
      if (!db->Put(groups[i], names[i], Encode(count + 1)).ok()) {
        state.SkipWithError("RocksDB put failed");
        return;
      }
    }
    ++accesses;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.SetItemsProcessed(accesses);
  if (rocksdb) {
    const double heap_rate = HeapAccessesPerSecond(names, std::max<int64_t>(accesses, 1000000));
    state.counters["ratio"] = (static_cast<double>(accesses) / seconds) / heap_rate;
  }
}

BENCHMARK(BM_StateAccess)
    ->ArgNames({"backend", "keys"})
    ->Args({0, 100000})
    ->Args({1, 100000})
    ->Args({0, 1000000})
    ->Args({1, 1000000});

void BM_CheckpointSize(benchmark::State& state) {
  const bool incremental = state.range(0) == 1;
  const int64_t megabytes = state.range(1);
  const uint64_t keys = static_cast<uint64_t>(megabytes) * 1024 * 1024 / 116;
  // Incompressible values (RocksDB compresses SST blocks with snappy): 100 seeded random bytes.
  Random bytes(3);
  auto random_value = [&bytes] {
    std::string value(100, '\0');
    for (size_t i = 0; i < value.size(); i += 8) {
      const uint64_t word = bytes.NextU64();
      for (size_t b = 0; b < 8 && i + b < value.size(); ++b) {
        value[i + b] = static_cast<char>(word >> (8 * b));
      }
    }
    return value;
  };
  real::RealRuntime runtime("bench", BenchDir("checkpoint-size"), /*seed=*/1);
  Host& host = runtime.host();
  RocksDbOptions options;
  options.incremental = incremental;
  RocksDbStateBackend backends(host, "rocksdb", options, "checkpoints", "checkpoints",
                               [](const std::string&) -> Result<std::string> {
                                 return FailedPreconditionError("the benchmark restores nothing");
                               });
  auto created = backends.Create(kMaxParallelism, kAllKeyGroups);
  if (!created.ok()) {
    state.SkipWithError(created.status().ToString().c_str());
    return;
  }
  RocksDbKeyedStateBackend& db = **created;
  for (uint64_t i = 0; i < keys; ++i) {
    const std::string key = KeyName(i);
    if (!db.Put(KeyGroupForKey(key, kMaxParallelism), key, random_value()).ok()) {
      state.SkipWithError("RocksDB put failed");
      return;
    }
  }
  Random random(7);
  int64_t checkpoint = 0;
  int64_t written = 0;
  auto take_checkpoint = [&]() -> bool {
    ++checkpoint;
    backends.BeginSnapshot(checkpoint, /*full=*/false);
    std::string out;
    if (!db.Snapshot(&out).ok()) return false;
    // The state file goes to checkpoint storage (here a directory on the same disk), synced.
    auto state_file = host.fs.OpenAppendable("state-" + std::to_string(checkpoint), true);
    if (!state_file.ok() || !(*state_file)->Append(out).ok() || !(*state_file)->Sync().ok()) {
      return false;
    }
    (void)host.fs.Remove("state-" + std::to_string(checkpoint));
    written = static_cast<int64_t>(out.size());
    const auto files = backends.TakeSnapshotFiles(checkpoint);
    for (const auto& upload : files.uploads) {
      auto bytes = host.fs.ReadFile(upload.local_path);
      if (!bytes.ok()) return false;
      if (!host.fs.CreateDir(ParentDir(upload.store_path)).ok()) return false;
      auto file = host.fs.OpenAppendable(upload.store_path, /*truncate=*/true);
      if (!file.ok() || !(*file)->Append(*bytes).ok() || !(*file)->Sync().ok()) return false;
      written += static_cast<int64_t>(bytes->size());
    }
    backends.SnapshotFilesUploaded(checkpoint);
    return true;
  };
  if (!take_checkpoint()) {  // the first checkpoint uploads everything either way
    state.SkipWithError("first checkpoint failed");
    return;
  }
  int64_t state_bytes = 0;
  int64_t written_total = 0;
  int64_t checkpoints_timed = 0;
  for (auto _ : state) {
    for (uint64_t n = 0; n < keys / 100; ++n) {
      const std::string key = KeyName(random.Uniform(keys));
      (void)db.Put(KeyGroupForKey(key, kMaxParallelism), key, random_value());
    }
    const auto start = std::chrono::steady_clock::now();
    if (!take_checkpoint()) {
      state.SkipWithError("checkpoint failed");
      return;
    }
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    state_bytes = db.stats().sst_bytes;
    written_total += written;
    ++checkpoints_timed;
  }
  state.counters["bytes"] =
      static_cast<double>(written_total) / static_cast<double>(std::max<int64_t>(checkpoints_timed, 1));
  state.counters["state_bytes"] = static_cast<double>(state_bytes);
}

BENCHMARK(BM_CheckpointSize)
    ->ArgNames({"incremental", "mb"})
    ->Args({0, 256})
    ->Args({1, 256})
    ->Args({0, 1024})
    ->Args({1, 1024})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(6);

}  // namespace
}  // namespace sluice::bench
