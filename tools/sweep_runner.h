// The engine of `sluice sim sweep`: which seeds a shard runs, and running them in forked worker
// processes. Worker w of J runs the shard's seeds number w, w+J, w+2J, ... in order, in its own
// process (so a seed that crashes the process fails alone), and writes one RunJson line per seed
// to a pipe; the parent reads all pipes with poll(2). The parent is single-threaded; workers are
// plain fork(2) copies of it (no exec) and leave with _exit(2).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "tools/cli_common.h"
#include "tools/sim_report.h"

namespace sluice::tools {

// `--shard I/N`: 1-based, 1 <= I <= N. Shard I/N runs the seeds whose index in the range (seed − A
// for --seeds A..B) is ≡ I−1 (mod N); shards 1/N..N/N together run every seed exactly once.
struct Shard {
  uint64_t index = 1;
  uint64_t count = 1;
};
inline constexpr uint64_t kShardsMax = 1'000'000;
// kInvalidArgument naming --shard and the problem.
Result<Shard> ParseShard(std::string_view text);

// An arithmetic progression of seeds: first, first + stride, ... (count of them).
struct SeedSequence {
  uint64_t first = 0;
  uint64_t stride = 1;
  uint64_t count = 0;
  uint64_t At(uint64_t index) const { return first + index * stride; }
};
// The seeds of `range` that `shard` runs, in increasing order (possibly none).
SeedSequence ShardSeeds(const SeedRange& range, const Shard& shard);

inline constexpr int kSweepJobsMax = 256;

struct SweepPlan {
  SeedSequence seeds;
  int jobs = 1;              // worker processes, 1..kSweepJobsMax
  bool fail_fast = false;    // stop once the lowest failing seed is known
  bool keep_passes = false;  // keep passing outcomes too (for --junit), not only failures
};

struct SweepResult {
  uint64_t seeds_run = 0;  // with fail_fast: the seeds up to and including the first failure
  uint64_t failed = 0;
  // Passed seeds whose schedule exceeded the fault budget and whose job ended FAILED cleanly.
  uint64_t failed_cleanly = 0;
  bool stopped_early = false;        // fail_fast stopped before the end of the sequence
  std::vector<RunOutcome> outcomes;  // failures (and passes with keep_passes), in seed order
};

struct SweepCallbacks {
  // Runs one seed; called in a worker process.
  std::function<RunOutcome(uint64_t seed)> run_seed;
  // Called in the parent for each result as it arrives (arrival order; with fail_fast this may
  // include results past the first failure, which SweepResult leaves out). May be empty.
  std::function<void(const RunOutcome&)> on_result;
  // Called in the parent at least every 200 ms while workers run. May be empty.
  std::function<void()> on_tick;
};

// Runs the plan. A worker that dies before reporting a seed (a crash, a kill) fails that seed with
// "crashed: ..." and a new worker carries on from the next one. With fail_fast, the result is the
// same for every `jobs`: every seed below the lowest failing one runs, and workers whose next seed
// is above it are killed. `spec` names the scenario in the workers' result lines.
// kInternal if a worker sends something that is not its next seed's result.
Result<SweepResult> RunSweep(const SweepPlan& plan, const RunSpec& spec,
                             const SweepCallbacks& callbacks);

}  // namespace sluice::tools
