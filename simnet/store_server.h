// The store: the simulator's file server, the NFS server behind a shared mount
// (simnet/shared_mount.h) that the cluster's hosts keep checkpoints, a job's input and its output
// on. It runs as its own host program so that faults reach it like any other host: crashed, cut
// off, its disk filled or failing. Real hosts have no such process: there a shared directory is
// a local one or an NFS mount the OS provides (engine/runtime/storage_directory.h).
// Every mutating call is durable before it is acknowledged (data fsynced, directory fsynced), and
// no call is answered from a state a crash would revert: when a mutation fails after changing a
// directory (a rename done, its directory sync failed), the store syncs that directory before it
// answers any further request, and fails requests while it cannot. Leader election and fencing
// are etcd's (engine/ha/leader_election.h), not the store's.
//
// Wire protocol (one request in flight per connection, frames from engine/rpc/frame.h):
//   request  = [u8 op][string path][op-specific fields]
//   response = [u8 status code][string message][op-specific payload]
// Paths are relative to the server's root and may not contain ".." or start with '/'.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/rpc/frame.h"
#include "engine/runtime/host.h"

namespace sluice {

struct StoreServerConfig {
  uint16_t port = 7000;
  std::string root = "store";  // directory on the host's file system
  std::string bind_host = "localhost";  // the address it listens on (real hosts)
};

// Host program: serves `config.root` until cancelled. Returns an error only if it cannot listen.
Status RunStoreServer(Host& host, const StoreServerConfig& config);

// A client connection to one store. Not shared between fibers: each user owns its own client.
// Every call may suspend; on a broken connection it returns kUnavailable and reconnects on the
// next call (which, if it finds the connection broken before its request is written, resends it
// on a new one). Connecting gives up after `connect_timeout_ns` with kDeadlineExceeded; a request on
// a live connection waits for the store (the store answers or its crash resets the connection).
class StoreClient {
 public:
  StoreClient(Host& host, Address address, int64_t connect_timeout_ns = 5 * 1000000000LL)
      : host_(host), address_(std::move(address)), connect_timeout_ns_(connect_timeout_ns) {}

  // Up to max_bytes from `offset`; empty at or past the end.
  Result<std::string> ReadRange(const std::string& path, uint64_t offset, uint64_t max_bytes);
  // The whole file, in one request for files up to 16 MiB.
  Result<std::string> ReadFile(const std::string& path);
  Result<uint64_t> FileSize(const std::string& path);
  // Replaces `path` atomically and durably (tmp file, fsync, rename, fsync directory).
  Status WriteAtomic(const std::string& path, std::string_view data);
  // Durable rename (fsyncs both parent directories). kNotFound if `from` is missing.
  Status Rename(const std::string& from, const std::string& to);
  Status Remove(const std::string& path);
  Result<bool> Exists(const std::string& path);
  // Sorted entry names; kNotFound for a missing directory.
  Result<std::vector<std::string>> List(const std::string& dir);
  // Creates `dir` and its missing parents, durably; OK if it exists.
  Status CreateDir(const std::string& dir);

 private:
  // Sends `request`, a frame begun by Request() with the request appended, and waits for the
  // response. A request that cannot be written on a connection that broke while idle is sent
  // once more on a new one. May suspend.
  Result<std::string> Call(std::string request);
  Status Connect();

  Host& host_;
  Address address_;
  int64_t connect_timeout_ns_;
  std::unique_ptr<Stream> stream_;
  std::unique_ptr<FrameReader> reader_;
};

}  // namespace sluice
