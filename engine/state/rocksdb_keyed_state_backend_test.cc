// The RocksDB keyed-state backend on a real host's disk (a temporary directory): reads and
// writes, flushes and compactions on Sluice's byte count, full snapshots in the heap backend's
// exact format, restores of a key-group range. Its determinism and fault behaviour on a
// simulated disk are tested in simnet/rocksdb_on_sim_disk_test.cc.
#include "engine/state/rocksdb_keyed_state_backend.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/base/serializer.h"
#include "engine/partition/key_group.h"
#include "engine/runtime/real/real_runtime.h"
#include "engine/state/keyed_state.h"

namespace sluice {
namespace {
namespace rocksdb_keyed_state_backend_test {

std::string Value(int64_t v) {
  std::string bytes;
  ByteWriter w(&bytes);
  Serializer<int64_t>::Write(w, v);
  return bytes;
}

// A fresh directory for one test's real runtime.
std::string TestRoot() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path root = std::filesystem::path(::testing::TempDir()) /
                                     (std::string("sluice-rocksdb-") + info->name());
  std::filesystem::remove_all(root);
  return root.string();
}

// Runs `body` on a real host rooted at TestRoot(); fails the test on an error.
void OnRealHost(const std::function<Status(Host&)>& body) {
  real::RealRuntime runtime("tm", TestRoot(), /*seed=*/7);
  const Status status = runtime.Run(body);
  EXPECT_TRUE(status.ok()) << status.ToString();
}

const RocksDbKeyedStateBackend::ValueReader kInt64Values = [](ByteReader& r,
                                                                std::string_view* value) {
  const std::string_view before = r.rest();
  int64_t v = 0;
  if (!Serializer<int64_t>::Read(r, &v)) return false;
  *value = before.substr(0, before.size() - r.rest().size());
  return true;
};

TEST(RocksDbKeyedStateBackendTest, PutGetDeleteAndTheDirectoryGoesWithTheInstance) {
  OnRealHost([](Host& host) -> Status {
    const KeyGroupRange all{0, 127};
    {
      ASSIGN_OR_RETURN(auto backend,
                       RocksDbKeyedStateBackend::Open(host, "db", 128, all, RocksDbOptions{}));
      std::string value;
      ASSIGN_OR_RETURN(bool found, backend->Get(3, "a", &value));
      EXPECT_FALSE(found);
      RETURN_IF_ERROR(backend->Put(3, "a", Value(1)));
      RETURN_IF_ERROR(backend->Put(4, "a", Value(2)));  // same key bytes, another key group
      ASSIGN_OR_RETURN(found, backend->Get(3, "a", &value));
      EXPECT_TRUE(found);
      EXPECT_EQ(value, Value(1));
      RETURN_IF_ERROR(backend->Delete(3, "a"));
      ASSIGN_OR_RETURN(found, backend->Get(3, "a", &value));
      EXPECT_FALSE(found);
      ASSIGN_OR_RETURN(found, backend->Get(4, "a", &value));
      EXPECT_TRUE(found);
      ASSIGN_OR_RETURN(bool exists, host.fs.Exists("db"));
      EXPECT_TRUE(exists);
    }
    ASSIGN_OR_RETURN(bool exists, host.fs.Exists("db"));
    EXPECT_FALSE(exists) << "an instance's directory is removed when it closes";
    return Status::Ok();
  });
}

// The same keys and values in the heap backend and in RocksDB snapshot to the same bytes, at
// both key-group prefix widths (1 byte up to max parallelism 128, 2 above).
TEST(RocksDbKeyedStateBackendTest, AFullSnapshotIsByteForByteTheHeapBackends) {
  for (const int max_parallelism : {128, 4096}) {
    SCOPED_TRACE("max parallelism " + std::to_string(max_parallelism));
    OnRealHost([max_parallelism](Host& host) -> Status {
      const KeyGroupRange all{0, max_parallelism - 1};
      HeapValueStateBackend<int64_t> heap(max_parallelism, all);
      RocksDbOptions options;
      options.write_buffer_bytes = 4096;  // several flushes: the snapshot reads SSTs too
      ASSIGN_OR_RETURN(auto rocks,
                       RocksDbKeyedStateBackend::Open(host, "db", max_parallelism, all, options));
      for (int i = 0; i < 3000; ++i) {
        const std::string key = "key-" + std::to_string(i * 7919 % 1000);
        const int key_group = KeyGroupForKey(key, max_parallelism);
        heap.GetOrCreate(key) += i;
        RETURN_IF_ERROR(rocks->Put(key_group, key, Value(heap.GetOrCreate(key))));
      }
      std::string from_heap, from_rocks;
      heap.Snapshot(&from_heap);
      RETURN_IF_ERROR(rocks->Snapshot(&from_rocks));
      EXPECT_EQ(from_rocks, from_heap);
      EXPECT_GT(rocks->stats().flushes, 0);
      EXPECT_GT(rocks->stats().sst_files, 0);
      return Status::Ok();
    });
  }
}

// A restore keeps the key groups of the new range only, from each old subtask's snapshot (a
// rescale), and the result is readable after flushes and compactions.
TEST(RocksDbKeyedStateBackendTest, RestoreKeepsOnlyItsKeyGroupsAcrossSnapshots) {
  OnRealHost([](Host& host) -> Status {
    constexpr int kMax = 128;
    const KeyGroupRange left{0, 63}, right{64, 127}, middle{32, 95};
    HeapValueStateBackend<int64_t> a(kMax, left), b(kMax, right);
    std::vector<std::string> keys;
    for (int i = 0; i < 2000; ++i) keys.push_back("k" + std::to_string(i));
    for (const std::string& key : keys) {
      const int key_group = KeyGroupForKey(key, kMax);
      (left.Contains(key_group) ? a : b).GetOrCreate(key) = key_group * 1000 + 1;
    }
    std::string snapshot_a, snapshot_b;
    a.Snapshot(&snapshot_a);
    b.Snapshot(&snapshot_b);
    RocksDbOptions options;
    options.write_buffer_bytes = 2048;
    options.target_file_size_base = 4096;
    options.max_bytes_for_level_base = 16384;
    ASSIGN_OR_RETURN(auto rocks, RocksDbKeyedStateBackend::Open(host, "db", kMax, middle, options));
    const std::vector<std::string_view> snapshots{snapshot_a, snapshot_b};
    RETURN_IF_ERROR(rocks->Restore(snapshots, "test", kInt64Values));
    // Updates of other keys after the restore: flushes and the compactions they trigger rewrite
    // the restored entries' files, which must stay readable.
    for (int i = 0; i < 3000; ++i) {
      const std::string key = "extra-" + std::to_string(i);
      const int key_group = KeyGroupForKey(key, kMax);
      if (middle.Contains(key_group)) RETURN_IF_ERROR(rocks->Put(key_group, key, Value(i)));
    }
    const RocksDbKeyedStateBackend::Stats stats = rocks->stats();
    EXPECT_GT(stats.background_jobs, stats.flushes) << "compactions ran after the flushes";
    for (int i = 0; i < 3000; ++i) {
      const std::string key = "extra-" + std::to_string(i);
      const int key_group = KeyGroupForKey(key, kMax);
      if (middle.Contains(key_group)) RETURN_IF_ERROR(rocks->Delete(key_group, key));
    }
    int kept = 0;
    for (const std::string& key : keys) {
      const int key_group = KeyGroupForKey(key, kMax);
      if (!middle.Contains(key_group)) continue;
      std::string value;
      ASSIGN_OR_RETURN(bool found, rocks->Get(key_group, key, &value));
      EXPECT_TRUE(found) << key;
      EXPECT_EQ(value, Value(key_group * 1000 + 1)) << key;
      ++kept;
    }
    EXPECT_GT(kept, 500);
    // Its own snapshot holds exactly the middle range's entries.
    std::string again;
    RETURN_IF_ERROR(rocks->Snapshot(&again));
    HeapValueStateBackend<int64_t> expected(kMax, middle);
    RETURN_IF_ERROR(expected.Restore(snapshots, "test"));
    std::string expected_bytes;
    expected.Snapshot(&expected_bytes);
    EXPECT_EQ(again, expected_bytes);
    return Status::Ok();
  });
}

TEST(RocksDbKeyedStateBackendTest, MalformedSnapshotsAreDataLossNamingTheSource) {
  OnRealHost([](Host& host) -> Status {
    ASSIGN_OR_RETURN(auto rocks, RocksDbKeyedStateBackend::Open(host, "db", 128, KeyGroupRange{0, 127},
                                                                RocksDbOptions{}));
    const std::string truncated("\x01\x00\x00\x00", 4);
    const std::vector<std::string_view> snapshots{truncated};
    const Status status = rocks->Restore(snapshots, "Count (1/2)", kInt64Values);
    EXPECT_EQ(status.code(), StatusCode::kDataLoss);
    EXPECT_NE(status.message().find("Count (1/2)"), std::string::npos) << status.ToString();
    return Status::Ok();
  });
}

}  // namespace rocksdb_keyed_state_backend_test
}  // namespace
}  // namespace sluice
