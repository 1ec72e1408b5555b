// The RocksDB objects behind one RocksDbKeyedStateBackend, shared by its two source files
// (rocksdb_keyed_state_backend.cc: open, reads and writes, full snapshots and restores;
// rocksdb_incremental.cc: incremental snapshots and their restores). Not for other code.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <cstddef>
#include <memory>

#include "engine/runtime/host.h"
#include "engine/state/rocksdb_env.h"
#include "engine/state/rocksdb_keyed_state_backend.h"

namespace sluice {

struct RocksDbKeyedStateBackend::Instance {
  explicit Instance(Host& host) : env(host) {}
  RocksDbEnv env;
  rocksdb::Options options;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions write;
  rocksdb::ReadOptions read;
};

// Restores write batches of about this many bytes.
inline constexpr size_t kRestoreBatchBytes = size_t{1} << 20;

}  // namespace sluice
