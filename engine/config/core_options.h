// The engine's own settings, under Flink's configuration keys (Flink's CoreOptions,
// PipelineOptions, CheckpointingOptions, RestartStrategyOptions, HeartbeatManagerOptions,
// TaskManagerOptions). A job adds its own options (JobDefinition::options); a program accepts
// the union and rejects every other key (Configuration::Validate).
//
// Where a default differs from Flink's, the option's description says so and why.
#pragma once

#include <utility>
#include <vector>

#include "engine/config/configuration.h"

namespace sluice {

// Parallelism of operators that do not set their own (Flink: 1). A job may raise its default
// (JobDefinition::default_settings; word count's is 4).
const ConfigOption& ParallelismDefault();
// Number of key groups; -1 = derived from the parallelism as Flink does: the largest operator
// parallelism × 1.5 rounded up to a power of two, at least 128, at most 32768.
const ConfigOption& PipelineMaxParallelism();
// Records per second over all source subtasks, in the runtime's time (simulated time in the
// simulator); 0 = unlimited. (Flink's sources take a RateLimiterStrategy; this is its setting.)
const ConfigOption& SourceRateLimit();
// Rate changes along the input (a Sluice key; Flink's sources take a RateLimiterStrategy):
// "LINES:RATE,..." with increasing LINES: from the LINES-th line a source subtask has read, RATE
// records per second over all source subtasks (0: unthrottled). Positions, not times, so that a
// restored source resumes at the rate of where it is. kInvalidArgument naming the key and step.
const ConfigOption& SourceRateLimitSteps();
Result<std::vector<std::pair<int64_t, int64_t>>> SourceRateStepsOf(const Configuration& config);
// How often the checkpoint coordinator triggers a checkpoint (Flink: none = off; Sluice always
// checkpoints, its sinks commit on checkpoints: default 500 ms).
const ConfigOption& CheckpointingInterval();
// A checkpoint not complete after this long is aborted (Flink: 10 min; Sluice: 10 s, its state
// is small and a stuck checkpoint holds back commits).
const ConfigOption& CheckpointingTimeout();
// Completed checkpoints kept; older ones are deleted, except files a kept one still uses
// (Flink 2.0's key; 1.x called it state.checkpoints.num-retained; default 1 as there).
const ConfigOption& CheckpointingNumRetained();
// Least time from a checkpoint's completion to the next trigger (Flink: 0).
const ConfigOption& CheckpointingMinPause();
// Checkpoints pending at once (Flink: 1).
const ConfigOption& CheckpointingMaxConcurrent();
// Consecutive checkpoint failures (expiries) tolerated before the job fails over (Flink: 0).
const ConfigOption& CheckpointingTolerableFailed();
// Checkpointing mode (Flink's, default EXACTLY_ONCE): EXACTLY_ONCE aligns barriers (a channel
// that delivered barrier n waits for the others); AT_LEAST_ONCE only tracks them (Flink's
// CheckpointBarrierTracker): nothing waits, so a snapshot may include records that follow its
// barrier on some channel, and a restore replays them (duplicates, never loss).
const ConfigOption& CheckpointingMode();
bool AtLeastOnceOf(const Configuration& config);
// Unaligned checkpoints (Flink's execution.checkpointing.unaligned.enabled, default false;
// FLIP-76): a barrier overtakes the buffers queued before it, in the producer's output and the
// consumer's input, and those in-flight buffers become part of the checkpoint. As in Flink, only
// with EXACTLY_ONCE and one concurrent checkpoint (CheckCheckpointingSettings), savepoints are
// always aligned, and (a departure) a checkpoint holding in-flight data is not restored at
// another parallelism.
const ConfigOption& CheckpointingUnaligned();
bool UnalignedCheckpointsOf(const Configuration& config);
// kInvalidArgument naming the key if the checkpointing (or autoscaler) settings contradict each
// other.
Status CheckCheckpointingSettings(const Configuration& config);
// The job autoscaler (engine/jobmanager/autoscaler.h), under the Flink Kubernetes operator's
// keys and defaults: job.autoscaler.enabled (false; needs scheduler-mode reactive),
// .target.utilization (0.7), .target.utilization.boundary (0.3), .stabilization.interval
// (5 min), .metrics.window (15 min), .catch-up.duration (5 min), .scale-down.max-factor (0.6),
// .scale-up.max-factor (100000), .vertex.min-parallelism (1), .vertex.max-parallelism (200).
const ConfigOption& AutoscalerEnabled();
const ConfigOption& AutoscalerTargetUtilization();
const ConfigOption& AutoscalerTargetUtilizationBoundary();
const ConfigOption& AutoscalerStabilizationInterval();
const ConfigOption& AutoscalerMetricsWindow();
const ConfigOption& AutoscalerCatchUpDuration();
const ConfigOption& AutoscalerScaleDownMaxFactor();
const ConfigOption& AutoscalerScaleUpMaxFactor();
const ConfigOption& AutoscalerVertexMinParallelism();
const ConfigOption& AutoscalerVertexMaxParallelism();
// Credit-based flow control between tasks (Flink's taskmanager.network.memory.* keys and
// defaults; engine/exchange/data_plane.h): exclusive buffers per input channel (2), floating
// buffers per input gate (8), buffers a producer queues per channel without credit (10).
const ConfigOption& NetworkBuffersPerChannel();
const ConfigOption& NetworkFloatingBuffersPerGate();
const ConfigOption& NetworkMaxBuffersPerChannel();
// Local recovery (Flink's execution.state-recovery.from-local, default false): each task also
// keeps a copy of its snapshot on its TaskManager's disk, and a task restored on the same
// TaskManager reads that copy instead of checkpoint storage.
const ConfigOption& StateRecoveryFromLocal();
// State backend (Flink's state.backend.type, default hashmap): hashmap keeps keyed state on the
// heap, rocksdb in an embedded RocksDB instance per keyed operator subtask on the TaskManager's
// disk (engine/state/rocksdb_keyed_state_backend.h). RocksDB settings, Flink's keys and defaults:
// writebuffer.size (bytes put between two flushes, 64mb), block.cache-size (8mb),
// compaction.level.target-file-size-base (64mb), compaction.level.max-size-level-base (256mb).
const ConfigOption& StateBackendType();
// execution.checkpointing.incremental (Flink's, default false): with the rocksdb backend,
// checkpoints upload only the SST files not uploaded before (savepoints stay full snapshots).
const ConfigOption& CheckpointingIncremental();
const ConfigOption& RocksDbWriteBufferSize();
const ConfigOption& RocksDbBlockCacheSize();
const ConfigOption& RocksDbTargetFileSizeBase();
const ConfigOption& RocksDbMaxSizeLevelBase();
// Restart strategy (Flink's RestartStrategyOptions, defaults as Flink's): none, fixed-delay,
// failure-rate or exponential-delay (the default: Sluice always checkpoints, and Flink picks
// exponential-delay when checkpointing is on). Read them through RestartStrategyConfigFrom
// (engine/config/restart_strategy_config.h), which also checks the values against each other.
const ConfigOption& RestartStrategyType();
const ConfigOption& RestartFixedDelayAttempts();  // restarts before the job fails (1)
const ConfigOption& RestartFixedDelayDelay();     // (1 s)
const ConfigOption& RestartFailureRateMaxFailuresPerInterval();  // (1)
const ConfigOption& RestartFailureRateInterval();                // (1 min)
const ConfigOption& RestartFailureRateDelay();                   // (1 s)
const ConfigOption& RestartExponentialDelayInitialBackoff();     // (1 s)
const ConfigOption& RestartExponentialDelayMaxBackoff();         // (1 min)
const ConfigOption& RestartExponentialDelayBackoffMultiplier();  // (1.5)
const ConfigOption& RestartExponentialDelayResetBackoffThreshold();  // (1 h)
const ConfigOption& RestartExponentialDelayJitterFactor();           // (0.1)
const ConfigOption& RestartExponentialDelayAttemptsBeforeResetBackoff();  // (2^31 - 1: infinite)
// heartbeat.interval also paces the JobMaster's retries (of a checkpoint store that does not
// answer yet), hence shorter than Flink's. heartbeat.timeout is Flink's: a TaskManager's one
// thread may be busy for seconds (a large state's snapshot or restore), and with 1 s such a
// TaskManager was declared lost at every checkpoint (bench/README.md, restore time). The
// simulator's clusters default to 100 ms / 1 s (scenarios/wordcount_cluster.h), which it can
// afford: simulated CPU work never stalls a peer's heartbeats.
const ConfigOption& HeartbeatInterval();          // (Flink: 10 s; Sluice: 100 ms)
const ConfigOption& HeartbeatTimeout();           // (50 s, Flink's)
const ConfigOption& TaskManagerNumberOfTaskSlots();  // (Flink: 1; Sluice: 2)
// How the JobManager places slots on TaskManagers (Flink 1.20's TaskManagerOptions
// .TASK_MANAGER_LOAD_BALANCE_MODE): none (fill TaskManagers one after another), slots (spread
// slots, weighted by each TaskManager's size), tasks (FLIP-370: balance the number of tasks per
// TaskManager). Default none, as Flink's; Flink's upper-case spellings work too.
const ConfigOption& TaskManagerLoadBalanceMode();
enum class LoadBalanceMode { kNone, kSlots, kTasks };
// taskmanager.load-balance.mode of `config` (validated).
LoadBalanceMode LoadBalanceModeOf(const Configuration& config);
// "none", "slots" or "tasks".
const char* LoadBalanceModeName(LoadBalanceMode mode);
// Which tasks a task failure restarts (Flink's jobmanager.execution.failover-strategy): full
// (every task of the job) or region (the pipelined regions of the failed tasks: Flink's
// RestartPipelinedRegionFailoverStrategy, engine/graph/job_graph.h's PipelinedRegions).
// Default region, as Flink's. Failures that are not a task's (a checkpoint that expired beyond
// the tolerance, a JobManager fall-back) restart the whole job either way.
const ConfigOption& JobManagerExecutionFailoverStrategy();
enum class FailoverStrategy { kFull, kRegion };
FailoverStrategy FailoverStrategyOf(const Configuration& config);
// "full" or "region".
const char* FailoverStrategyName(FailoverStrategy strategy);

// How the JobManager schedules the job (Flink's scheduler-mode): default, or reactive (Flink's
// Reactive Mode: the job always runs at the parallelism the registered slots allow, and is
// restarted from its latest checkpoint at another parallelism when TaskManagers join or leave;
// engine/jobmanager/job_scheduler.h).
const ConfigOption& SchedulerMode();
bool ReactiveModeOf(const Configuration& config);
// How long the slots must stay unchanged before the reactive scheduler acts on them (Flink's
// jobmanager.adaptive-scheduler.resource-stabilization-timeout; Flink: 10 s; Sluice: 1 s, for
// runs of seconds).
const ConfigOption& ResourceStabilizationTimeout();

// The savepoint a job starts from when it has no completed checkpoint of its own (Flink's
// execution.savepoint.path): its directory on the checkpoint store, as the savepoint's REST
// status reports it ("savepoints/savepoint-<id>"). Default: none.
const ConfigOption& SavepointPath();

// Every option above, in key order.
const std::vector<ConfigOption>& CoreOptions();

// The max parallelism `config` asks for, given the job's largest operator parallelism: the
// configured value, or Flink's default (KeyGroupRangeAssignment.computeDefaultMaxParallelism)
// when it is -1.
int MaxParallelismFor(const Configuration& config, int largest_parallelism);

}  // namespace sluice
