// Scenarios: a named simulated deployment (hosts, job, input, faults) plus the invariants checked
// at the end of the run. The catalogs are built on request (no global registry).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/api/job_registry.h"
#include "engine/base/status.h"
#include "engine/config/configuration.h"

namespace sluice::scenarios {

// The kinds of fault the simulator injects (the fault model: docs/architecture.md).
enum class FaultKind : uint8_t {
  kCrash,
  kRestart,
  kRebootWipe,
  kPause,
  kPartition,
  kPartitionOneWay,
  kHeal,
  kClog,
  kUnclog,
  kConnectionReset,
  kLatencySpike,
  kDiskTornWrite,
  kDiskCorruption,
  kDiskIoError,
  kDiskFull,
  kDiskSlow,
  kClockSkew,
  // Not a fault but an operator's action the nemesis takes: the job is redeployed at another
  // parallelism from its latest checkpoint (WordCountCluster::Rescale).
  kRescale,
};

// The one table of fault kinds: each kind's name (as schedules and reports spell it), what a
// record of it needs, and whether the chaos nemesis draws it.
struct FaultKindInfo {
  FaultKind kind;
  std::string_view name;
  bool needs_host;  // it hits one host (every kind but heal)
  bool needs_peer;  // `peer` names the other side (partitions, latency spikes)
  bool chaos;       // the chaos nemesis draws it (the others undo faults)
};
// Every kind, in FaultKind order.
std::span<const FaultKindInfo> FaultKinds();
const FaultKindInfo& FaultKindOf(FaultKind kind);
std::string_view FaultKindName(FaultKind kind);
// The kind spelled `name`; nullopt if none is.
std::optional<FaultKind> FaultKindNamed(std::string_view name);

// One injected fault, as the JSON summary's `faults` list and a `--faults FILE` schedule show it.
// Fields a kind does not use stay at their defaults.
struct FaultRecord {
  int64_t at_ms = 0;
  FaultKind kind = FaultKind::kCrash;
  std::string host;         // the host it hits ("" for kinds that hit no single host, e.g. heal)
  int64_t duration_ms = 0;  // pause, clog, latency_spike, disk_slow, disk_full: how long; 0 = n/a
  // partition, partition_one_way, latency_spike: the other side, host names joined by ',';
  // disk_corruption: the path prefix of the files to pick from ("" = any durable file).
  std::string peer;
  // clog, disk_slow: slowdown factor; latency_spike: extra latency in ms; disk_io_error: error
  // probability; clock_skew: offset in ms (the clock also drifts, 100 ppm per ms of offset);
  // rescale: the new parallelism.default.
  double factor = 0;
  bool operator==(const FaultRecord&) const = default;
};

// One entry of a run's timeline, for `--trace` (Chrome trace-event JSON, Perfetto): hosts are
// processes, `thread` a task or role inside one. phase: 'B' begin, 'E' end, 'i' instant.
struct TimelineEvent {
  int64_t at_us = 0;
  std::string host;
  std::string thread;
  std::string name;
  char phase = 'i';
  std::string detail;
};

class WordCountReference;  // scenarios/exactly_once.h

// A checkpoint a JobManager completed (its "checkpoint.completed" event): its id, when
// (simulated time), and its size in bytes: every state file it names (full) and the files
// written for it (incremental; a finished task's final state is named again by later ones).
struct CheckpointRecord {
  int64_t id = 0;
  int64_t at_ms = 0;
  int64_t full_bytes = 0;
  int64_t incremental_bytes = 0;
};

// A task's busy, idle and backpressured time (simulated ms) from when it ran to its end of input
// (its "task.times" event; Flink's busyTimeMsPerSecond family, summed).
struct TaskTimesRecord {
  int chain = 0;
  int subtask = 0;
  int64_t busy_ms = 0;
  int64_t idle_ms = 0;
  int64_t backpressured_ms = 0;
};

// One operator of the job a run deployed, for reports.
// A failure the JobManager's restart strategy judged (its "job.failover" event): when (simulated
// time), which leadership (epoch), the cause, whether the job restarts, after how long, how
// many tasks restart, how many of them the redeployment moved to another TaskManager (-1: not
// redeployed), and how many state bytes they restored locally and remotely.
struct FailoverRecord {
  int64_t at_ms = 0;
  int64_t epoch = 0;
  std::string cause;
  bool restart = false;
  int64_t delay_ms = 0;
  int64_t tasks = 0;
  int64_t moved = -1;
  // State bytes the redeployed tasks read from TaskManager-local copies and from checkpoint
  // storage (local recovery, execution.state-recovery.from-local).
  int64_t local_bytes = 0;
  int64_t remote_bytes = 0;
  bool operator==(const FailoverRecord&) const = default;
};

struct OperatorInfo {
  std::string name;
  int parallelism = 1;
  bool operator==(const OperatorInfo&) const = default;
};

struct ScenarioOptions {
  uint64_t seed = 1;
  std::string input_text;   // the job's whole input (the CLI reads the file or the corpus)
  bool log_events = false;  // print every host event (time, category, message) to stderr
  std::string plant_bug;    // planted bug to switch on for this run ("" = none)
  // Replay exactly this fault schedule instead of drawing one from the seed.
  std::optional<std::vector<FaultRecord>> faults;
  // Receives every line of the world's trace, in order (for divergence reports); may be empty.
  std::function<void(std::string_view line)> trace_sink;
  bool record_timeline = false;  // fill ScenarioResult::timeline
  // The word counts of input_text, counted once by a caller that runs many seeds of one input
  // (sweeps, shrink, the benchmark) so that no seed recounts them; not owned, must outlive the
  // run. Null: the run counts them itself. A reference not counted from input_text
  // (WordCountReference::CountedFrom) fails the run before it starts.
  const WordCountReference* expected_counts = nullptr;
  // The program's jobs (null: the built-in ones) and the job to run with its -D settings; the
  // settings override the scenario's own choices for the same keys.
  const JobRegistry* jobs = nullptr;
  std::string job = "wordcount";
  Configuration settings;
};

struct ScenarioResult {
  std::string scenario;
  uint64_t seed = 0;
  // Verdicts: pass (pass, !failed_cleanly), failed cleanly (pass, failed_cleanly), fail (!pass).
  bool pass = false;
  // The schedule exceeded the fault budget on purpose (`beyond_budget` says how) and the job
  // ended FAILED with no record committed twice or made up: what the design promises there.
  bool failed_cleanly = false;
  std::string beyond_budget;  // "" when the schedule stays within the fault budget
  std::string failure;  // the first invariant that failed, with the first offending record
  uint64_t trace_hash = 0;
  int64_t simulated_ms = 0;
  std::vector<FaultRecord> faults;  // the schedule that ran (drawn or replayed)
  std::map<std::string, std::string> config;  // the configuration the seed chose (swarm testing)
  // The job's effective settings as deployed (its defaults, the seed's choices and -D) and its
  // operators with their parallelism.
  std::map<std::string, std::string> job_settings;
  std::vector<OperatorInfo> operators;
  std::map<std::string, uint64_t> fault_points_fired;  // fault point → times it fired
  // Event category → times any host recorded it: which code paths the run reached (FoundationDB's
  // CODE_PROBE), e.g. for a regression test to check that its schedule still reaches its bug's
  // path ("checkpoint.copy_damaged", "store.resynced", "task.restored_state_lost").
  std::map<std::string, uint64_t, std::less<>> events;
  int64_t checkpoints_completed = 0;
  int64_t restarts = 0;
  std::vector<FailoverRecord> failovers;  // every failure the restart strategy judged, in order
  std::vector<CheckpointRecord> checkpoints;  // every checkpoint completed, in order
  std::vector<TaskTimesRecord> task_times;    // every task that reached its end of input
  int64_t records_in = 0;   // input records (lines)
  int64_t records_out = 0;  // committed output records
  // Committed sink output: file name → contents (one record per line).
  std::map<std::string, std::string> committed_output;
  std::vector<TimelineEvent> timeline;  // only with ScenarioOptions::record_timeline
};

struct ScenarioInfo {
  std::string name;
  std::string description;  // one line
  std::function<ScenarioResult(const ScenarioOptions&)> run;
  // The job the command line runs it with when no --job is given.
  std::string default_job = "wordcount";
  // Other names the command line accepts for it (the names before scenarios became
  // job-independent: "wordcount-" + name). Reports always use `name`.
  std::vector<std::string> aliases;
};

std::vector<ScenarioInfo> ScenarioCatalog();

// A deliberate mistake compiled into the engine (engine/runtime/fault_injection.h), with the
// scenario that must catch it.
struct PlantedBugInfo {
  std::string name;
  std::string scenario;
  std::string description;  // one line
};

std::vector<PlantedBugInfo> PlantedBugCatalog();

}  // namespace sluice::scenarios
