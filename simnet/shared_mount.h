// SharedMount: a simulated host's NFS client. A FileSystem whose files live on a store host
// (simnet/store_server.h), mounted into each host's MountedFileSystem at the same path
// (World::MountShared), so that every JobManager and TaskManager sees one directory: the
// simulator's execution.checkpointing.dir and a job's input and output. The nemesis reaches it
// through the store host: crashed (calls fail with kUnavailable, or kDeadlineExceeded while it
// does not accept), cut off from a client (the same, for that client), its disk filled
// (kResourceExhausted) or failing (kIoError).
//
// Semantics, NFSv3's where they matter (RFC 1813: the server commits a namespace change or a
// stable write to disk before it replies):
//   - every mutation is durable on the server when it is answered, so SyncDir has nothing left
//     to do (it returns at once) and Sync is where a file's data is written;
//   - a WritableFile writes back on Sync and Close: the whole file, replaced atomically on the
//     server (close-to-open consistency: other hosts see a file's data once its writer synced or
//     closed it; a new file appears then, not at open);
//   - WriteAtomically is one request (the server writes, syncs and renames);
//   - an answer lost to a crash or a partition leaves the mutation's outcome unknown: it may
//     have happened.
// Missing parent directories are created by the server on writes and renames. Calls take one
// round trip each over a pooled connection (one per concurrent caller), so they suspend; while
// latency is deferred (FileSystem::DeferLatency) they cannot, and fail with kFailedPrecondition
// (RocksDB never runs on a shared mount). One host's fibers; the pool is dropped when the host
// crashes (DropConnections).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/runtime/file_system.h"
#include "engine/runtime/host.h"
#include "simnet/store_server.h"

namespace sluice::sim {

class SharedMount final : public FileSystem {
 public:
  // `server`: the store host's address. `host`: the client host (its network), which outlives
  // this object.
  SharedMount(Host& host, Address server) : host_(host), server_(std::move(server)) {}

  Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path,
                                                       bool truncate) override;
  Result<std::string> ReadFile(const std::string& path) override;
  Result<std::string> ReadRange(const std::string& path, uint64_t offset,
                                uint64_t max_bytes) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Result<bool> Exists(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  Status CreateDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Status WriteAtomically(const std::string& path, std::string_view data) override;
  void DeferLatency(bool on) override { deferred_ = on; }
  int64_t TakeDeferredLatencyNs() override { return 0; }

  // Closes every idle connection without a FIN (the host crashed: its endpoints are gone). World
  // context; calls in flight were unwound with their fibers.
  void DropConnections() { idle_.clear(); }

 private:
  // Runs `call` on a connection from the pool (a new one if none is idle) and puts it back.
  template <typename Call>
  auto WithClient(const std::string& path, Call call) -> decltype(call(std::declval<StoreClient&>()));

  Host& host_;
  Address server_;
  bool deferred_ = false;
  std::vector<std::unique_ptr<StoreClient>> idle_;
};

}  // namespace sluice::sim
