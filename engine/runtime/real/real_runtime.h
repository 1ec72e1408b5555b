// RealRuntime: a production host. Bundles the real implementations of the seam into a Host and runs
// a host program on it:
//   Clock      CLOCK_MONOTONIC (RealClock)
//   Fibers     Boost.Context fibers of a sluice::Scheduler on an epoll Reactor
//   Network    non-blocking IPv4 TCP (TcpNetwork)
//   FileSystem POSIX files under root_dir (PosixFileSystem; blocks the thread briefly per call)
//   Random     sluice::Random seeded from `seed`, or from getrandom(2) when seed is 0
//   EventLog   spdlog lines on stderr (SpdlogEventLog; debug only when verbose)
//
// One RealRuntime is one host on one OS thread: construct it, call Run from that thread, and use
// its objects only from that thread's fibers. Constructing it makes the process ignore SIGPIPE
// (process-wide; sockets also write with MSG_NOSIGNAL).
//
//   sluice::real::RealRuntime runtime("taskmanager-1", "/var/lib/sluice/tm1", /*seed=*/0);
//   return runtime.Run([&](sluice::Host& host) { return RunTaskManager(host, config); }).ok();
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/base/status.h"
#include "engine/runtime/host.h"
#include "engine/runtime/random.h"
#include "engine/runtime/real/posix_file_system.h"
#include "engine/runtime/real/postgres_database.h"
#include "engine/runtime/real/reactor.h"
#include "engine/runtime/real/real_clock.h"
#include "engine/runtime/real/spdlog_event_log.h"
#include "engine/runtime/real/tcp_network.h"
#include "engine/runtime/scheduler.h"

namespace sluice::real {

class RealRuntime {
 public:
  // `root_dir`: where relative FileSystem paths lead ("" = the working directory). `seed` 0 draws
  // a seed from getrandom(2); seed() reports the one in use, so a run can be logged and replayed.
  // `wrap_network` (optional): wraps the runtime's TCP network (engine/runtime/network.h).
  RealRuntime(std::string host_name, std::string root_dir, uint64_t seed, bool verbose = false,
              const NetworkWrapper& wrap_network = {});
  // Unwinds any fiber still live (only possible if Run was never called after a Spawn).
  ~RealRuntime();
  RealRuntime(const RealRuntime&) = delete;
  RealRuntime& operator=(const RealRuntime&) = delete;

  Host& host() { return host_; }
  uint64_t seed() const { return seed_; }

  // Creates root_dir (mkdir -p) if needed, then runs `program` as the main fiber and drives the
  // reactor until it returns. Then cancels every other fiber of the host (unwinding their stacks)
  // and returns the program's Status. Errors of its own: the root_dir error from CreateDir;
  // kInternal on deadlock (the program waits while nothing could wake it); kCancelled if the main
  // fiber was cancelled. Blocks the calling thread; call it outside any fiber. May be called again
  // after it returns.
  Status Run(std::function<Status(Host&)> program);

  // For tests and tools that need the loop's internals (fd and timer counts).
  Reactor& reactor() { return reactor_; }

 private:
  uint64_t seed_;
  RealClock clock_;
  Scheduler scheduler_;
  Reactor reactor_;
  TcpNetwork network_;
  PosixFileSystem fs_;
  Random random_;
  SpdlogEventLog log_;
  NoFaultInjection faults_;  // production: no fault points fire, no planted bug is on
  PostgresDatabases databases_;
  std::unique_ptr<Network> wrapped_network_;  // null: the host uses network_ itself
  Host host_;
};

// 64 bits from getrandom(2), never 0 (0 means "draw one" to RealRuntime). Aborts if the kernel
// has no entropy source at all.
uint64_t SeedFromOs();

}  // namespace sluice::real
