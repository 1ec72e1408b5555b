// A whole cluster running one job (word count unless told otherwise) on the REAL runtime inside one process: one RealRuntime (one OS
// thread, one epoll reactor) runs the store server, the JobManager and the TaskManagers as fibers
// of one host, talking over real loopback TCP and writing real files under a fresh directory.
// This is the engine's production code path end to end (framing, data plane, barriers, keyed
// state, checkpoints to the store, two-phase-commit sink with fsyncs), minus process boundaries.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "engine/api/job_registry.h"
#include "engine/base/status.h"
#include "scenarios/cluster_spec.h"

namespace sluice::bench {

// The ClusterSpec (scenarios/cluster_spec.h; `job` is a built-in job or one `register_jobs` adds,
// `settings` its -D settings besides parallelism) and what this in-process run needs besides.
struct RealWordCountOptions : scenarios::ClusterSpec {
  std::string root_dir;  // the runtime's root; must exist and be empty (mkdtemp)
  std::string input;     // the job's whole input, split into input_splits partitions
  // Adds the benchmark's own jobs to the registry (after the built-in ones); may be empty.
  std::function<Status(JobRegistry&)> register_jobs;
  int parallelism = 4;
  uint64_t seed = 42;  // the runtime's Random (fixed: runs are comparable)
  // The run is cancelled (kDeadlineExceeded) if the job has not finished by then.
  int64_t job_timeout_ns = 120LL * 1000 * 1000 * 1000;
};

struct RealWordCountRun {
  Status status;                        // the JobManager's, or why the run did not get that far
  int64_t wall_ns = 0;                  // RealRuntime::Run of the successful attempt, end to end
  int64_t cpu_ns = 0;  // CPU time (user + system) of the process over that Run, all threads
  int64_t startup_ns = 0;               // Run start to the last "job.deployed" (host clock)
  int64_t deployed_to_finished_ns = 0;  // last "job.deployed" to "job.finished" (host clock)
  // Last "job.deployed" to the last source's end of input ("source.end_of_input"): the records
  // read (and, with bounded buffers, nearly all processed), without the wait for the final
  // checkpoint's trigger (host clock).
  int64_t deployed_to_input_end_ns = 0;
  int64_t checkpoints_completed = 0;
  int64_t restarts = 0;
  int port_attempts = 0;  // 1 unless a picked port was taken before a server bound it
};

// Writes the input partitions to <root_dir>/store/input/part-<i>, picks free TCP ports, and runs
// the cluster until RunJobManager returns. Retries with fresh ports (and a wiped root_dir) when a
// server finds its port taken. Blocks the calling thread; call it outside any fiber.
RealWordCountRun RunRealWordCount(const RealWordCountOptions& options);

// The committed sink output under `root_dir` after a run: file name -> contents.
Result<std::map<std::string, std::string>> ReadCommittedOutput(const std::string& root_dir);

}  // namespace sluice::bench
