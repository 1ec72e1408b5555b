// RocksDbEnv: RocksDB's whole contact with the world (files, clock, background threads, unique
// ids, host name) routed through the host's seam (engine/runtime/host.h), so that the same
// RocksDB runs on a real host and, deterministically, on a simulated one.
//
// - Files: a rocksdb::FileSystem over the host's sluice::FileSystem. RocksDB holds its mutex
//   across file calls, so a call must never suspend the fiber: RocksDB calls run between Enter()
//   and Leave(), with the file system's latency deferred (FileSystem::DeferLatency); Leave()
//   returns the latency owed, which the caller sleeps once outside RocksDB. Errors keep their
//   sluice::Status (first_error(), typed: no RocksDB message is ever parsed); a full disk reaches
//   RocksDB as a plain I/O error, not NoSpace, so that RocksDB never starts its own recovery
//   thread (SstFileManager). Hard links, random-read-write files, truncation and file locks
//   across processes are not offered (one process owns each instance directory).
// - Clock: the host's Clock (NowMicros, NowNanos; GetCurrentTime in seconds of host time, which
//   is not Unix time: the options turn off what compares it with Unix time, TTL and periodic
//   compactions).
//   SleepForMicroseconds does not sleep: the time is owed with the disk latency (a failed
//   background flush or compaction waits 1 s before it gives up; so does a write stall, which
//   the options in rocksdb_keyed_state_backend.cc rule out).
// - Background work: Schedule() only queues a flush or compaction job; RunBackgroundWork() runs
//   the queue to empty, in FIFO order, on the calling fiber and never while it is inside
//   RocksDB. UnSchedule(tag, priority) drops a tag's queued jobs through their unschedule
//   functions (DB::Close relies on it). StartThread is a fatal assertion.
// - Identity: GenerateUniqueId draws from the host's Random (the IDENTITY file); GetHostName is
//   the host's name; GetThreadID is 0.
// - Session id: RocksDB draws each DB's db_session_id from a process-wide generator (the real
//   time, the process id and the OS's entropy) and writes it into every SST file's properties and the MANIFEST's unique
//   ids, so SST bytes (which incremental checkpoints upload, and whose transfer the trace
//   hashes) would differ from run to run. No option sets it; ScopedDbSessionId sets it through
//   the sync point "DBImpl::SetDbSessionId", which Debian's build (compiled without NDEBUG)
//   keeps. Whether it took is checked after each open (OverrodeSessionId): in the simulator a
//   library without the sync point fails an assertion rather than a determinism check later.
// Known nondeterminism left, none of which reaches a decision or the trace:
// - RocksDB's process-wide periodic-task thread (a Timer on the real clock) starts with the first
//   instance to flush the info log every 10 s; the info log discards everything, so it touches
//   nothing Sluice reads. Statistics dumps and persistence are off.
//
// One RocksDbEnv per RocksDB instance, used by one fiber; not thread-safe. Construct with the
// rocksdb headers (engine code includes this header only from .cc files).
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/system_clock.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "engine/base/status.h"
#include "engine/runtime/host.h"

namespace sluice {

// While alive, the DB that RocksDB opens (DB::Open, DB::OpenForReadOnly) on this thread gets
// `session_id` as its db_session_id (20 characters of [0-9A-Z], as RocksDB's own). Uses
// RocksDB's sync-point registry, a process-wide object of the library's: one at a time per
// process; never suspends.
class ScopedDbSessionId {
 public:
  explicit ScopedDbSessionId(std::string session_id);
  ~ScopedDbSessionId();
  ScopedDbSessionId(const ScopedDbSessionId&) = delete;
  ScopedDbSessionId& operator=(const ScopedDbSessionId&) = delete;
  const std::string& session_id() const { return session_id_; }

 private:
  std::string session_id_;
};

class RocksDbEnv final : public rocksdb::EnvWrapper {
 public:
  explicit RocksDbEnv(Host& host);
  ~RocksDbEnv() override;

  const char* Name() const override { return "SluiceSeamEnv"; }

  // Brackets every call into RocksDB: Enter defers the file system's latency, Leave stops
  // deferring and returns the latency owed (ns: the disk's, and RocksDB's own sleeps). Never
  // suspend.
  void Enter();
  int64_t Leave();
  // Runs the queued background jobs, and those they schedule, until none is left. Call between
  // Enter and Leave, never from inside RocksDB. Never suspends.
  void RunBackgroundWork();
  size_t queued_jobs() const { return jobs_.size(); }
  // Background jobs run so far.
  int64_t jobs_run() const { return jobs_run_; }
  // The first error the file system returned to RocksDB (Ok if none); RocksDB's own status says
  // only that something failed, this says what, typed.
  const Status& first_error() const { return *first_error_; }

  // --- rocksdb::Env ---
  void Schedule(void (*function)(void* arg), void* arg, Priority pri, void* tag,
                void (*unschedule)(void* arg)) override;
  int UnSchedule(void* tag, Priority pri) override;
  void StartThread(void (*function)(void* arg), void* arg) override;
  void WaitForJoin() override {}
  unsigned int GetThreadPoolQueueLen(Priority pri) const override;
  int GetBackgroundThreads(Priority) override { return 1; }
  void SetBackgroundThreads(int, Priority) override {}
  void IncBackgroundThreadsIfNeeded(int, Priority) override {}
  // No thread pool: subcompactions get no extra threads.
  int ReserveThreads(int, Priority) override { return 0; }
  int ReleaseThreads(int, Priority) override { return 0; }
  rocksdb::Status GetHostName(char* name, uint64_t len) override;
  std::string GenerateUniqueId() override;
  // A db_session_id for the next DB opened (ScopedDbSessionId), from the host's Random.
  std::string NextSessionId();
  uint64_t GetThreadID() const override { return 0; }
  uint64_t NowMicros() override;
  uint64_t NowNanos() override;
  uint64_t NowCPUNanos() override { return 0; }
  void SleepForMicroseconds(int micros) override;
  rocksdb::Status GetCurrentTime(int64_t* unix_time) override;

 private:
  RocksDbEnv(Host& host, std::shared_ptr<Status> first_error);
  RocksDbEnv(Host& host, std::shared_ptr<Status> first_error,
             std::shared_ptr<rocksdb::FileSystem> fs);
  struct Job {
    void (*function)(void*);
    void* arg;
    Priority pri;
    void* tag;
    void (*unschedule)(void*);
  };
  Host& host_;
  std::shared_ptr<Status> first_error_;
  std::deque<Job> jobs_;
  int64_t jobs_run_ = 0;
  int64_t sleep_debt_ns_ = 0;  // SleepForMicroseconds since Enter
};

}  // namespace sluice
