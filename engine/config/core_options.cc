#include "engine/config/core_options.h"

#include <algorithm>
#include <limits>
#include <string>

#include "engine/base/assert.h"

namespace sluice {
namespace {

constexpr int64_t kParallelismMax = 32768;  // Flink's upper bound for max parallelism
constexpr int64_t kDefaultLowerBoundMaxParallelism = 128;
constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();

ConfigOption Int(std::string key, std::string default_value, int64_t min, int64_t max,
                 std::string description) {
  return ConfigOption{.key = std::move(key),
                      .type = ConfigType::kInt,
                      .default_value = std::move(default_value),
                      .description = std::move(description),
                      .min = min,
                      .max = max};
}

ConfigOption Duration(std::string key, std::string default_value, int64_t min_ms,
                      std::string description) {
  return ConfigOption{.key = std::move(key),
                      .type = ConfigType::kDuration,
                      .default_value = std::move(default_value),
                      .description = std::move(description),
                      .min = min_ms};
}

}  // namespace

const ConfigOption& ParallelismDefault() {
  static const ConfigOption option = Int("parallelism.default", "1", 1, kParallelismMax,
                                         "parallelism of operators that set none");
  return option;
}

const ConfigOption& PipelineMaxParallelism() {
  static const ConfigOption option =
      Int("pipeline.max-parallelism", "-1", -1, kParallelismMax,
          "number of key groups (-1: from the parallelism, at least 128)");
  return option;
}

const ConfigOption& SourceRateLimit() {
  static const ConfigOption option{.key = "source.rate-limit",
                                   .type = ConfigType::kLong,
                                   .default_value = "0",
                                   .description = "records per second over all source subtasks "
                                                  "(0: unlimited)",
                                   .min = 0};
  return option;
}

const ConfigOption& SourceRateLimitSteps() {
  static const ConfigOption option{
      .key = "source.rate-limit.steps",
      .type = ConfigType::kString,
      .default_value = "",
      .description = "rate changes along the input: LINES:RATE,... (from the LINES-th line a "
                     "source subtask reads, RATE records per second over all source subtasks)"};
  return option;
}

Result<std::vector<std::pair<int64_t, int64_t>>> SourceRateStepsOf(const Configuration& config) {
  std::vector<std::pair<int64_t, int64_t>> steps;
  const std::string text = config.GetString(SourceRateLimitSteps());
  const std::string where = "configuration key '" + SourceRateLimitSteps().key + "': ";
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string step = text.substr(start, end - start);
    const size_t colon = step.find(':');
    int64_t lines = -1, rate = -1;
    auto number = [](const std::string& digits, int64_t* out) {
      if (digits.empty() || digits.size() > 15) return false;
      for (char c : digits) {
        if (c < '0' || c > '9') return false;
      }
      *out = std::stoll(digits);
      return true;
    };
    if (colon == std::string::npos || !number(step.substr(0, colon), &lines) ||
        !number(step.substr(colon + 1), &rate)) {
      return InvalidArgumentError(where + "'" + step + "' is not LINES:RATE");
    }
    if (!steps.empty() && lines <= steps.back().first) {
      return InvalidArgumentError(where + "positions must increase ('" + step + "')");
    }
    steps.emplace_back(lines, rate);
    start = end + 1;
  }
  return steps;
}

const ConfigOption& CheckpointingInterval() {
  static const ConfigOption option = Duration("execution.checkpointing.interval", "500ms", 1,
                                              "time between checkpoint triggers");
  return option;
}

const ConfigOption& CheckpointingTimeout() {
  static const ConfigOption option = Duration("execution.checkpointing.timeout", "10s", 1,
                                              "a checkpoint not complete by then is aborted");
  return option;
}

const ConfigOption& CheckpointingNumRetained() {
  static const ConfigOption option =
      Int("execution.checkpointing.num-retained", "1", 1, kIntMax,
          "completed checkpoints kept (older ones are deleted)");
  return option;
}

const ConfigOption& CheckpointingMinPause() {
  static const ConfigOption option =
      Duration("execution.checkpointing.min-pause", "0ms", 0,
               "least time from a checkpoint's completion to the next trigger");
  return option;
}

const ConfigOption& CheckpointingMaxConcurrent() {
  static const ConfigOption option = Int("execution.checkpointing.max-concurrent-checkpoints",
                                         "1", 1, 64, "checkpoints pending at once");
  return option;
}

const ConfigOption& CheckpointingTolerableFailed() {
  static const ConfigOption option =
      Int("execution.checkpointing.tolerable-failed-checkpoints", "0", 0, kIntMax,
          "consecutive checkpoint failures tolerated before the job fails over");
  return option;
}

const ConfigOption& CheckpointingMode() {
  static const ConfigOption option{
      .key = "execution.checkpointing.mode",
      .type = ConfigType::kEnum,
      .default_value = "EXACTLY_ONCE",
      .description = "EXACTLY_ONCE (barriers aligned) or AT_LEAST_ONCE (barriers tracked, never "
                     "aligned: no loss, records after a barrier may be replayed)",
      .choices = {"EXACTLY_ONCE", "AT_LEAST_ONCE"}};
  return option;
}

bool AtLeastOnceOf(const Configuration& config) {
  return config.GetString(CheckpointingMode()) == "AT_LEAST_ONCE";
}

const ConfigOption& CheckpointingUnaligned() {
  static const ConfigOption option{
      .key = "execution.checkpointing.unaligned.enabled",
      .type = ConfigType::kBool,
      .default_value = "false",
      .description = "barriers overtake in-flight buffers, which become part of the checkpoint "
                     "(EXACTLY_ONCE with one concurrent checkpoint only; savepoints stay aligned)"};
  return option;
}

bool UnalignedCheckpointsOf(const Configuration& config) {
  return config.GetBool(CheckpointingUnaligned());
}

Status CheckCheckpointingSettings(const Configuration& config) {
  if (config.GetBool(AutoscalerEnabled()) && !ReactiveModeOf(config)) {
    return InvalidArgumentError(
        "configuration key 'job.autoscaler.enabled': the autoscaler rescales through the "
        "reactive scheduler: set scheduler-mode reactive");
  }
  if (config.GetInt(AutoscalerVertexMinParallelism()) >
      config.GetInt(AutoscalerVertexMaxParallelism())) {
    return InvalidArgumentError(
        "configuration key 'job.autoscaler.vertex.min-parallelism': above "
        "job.autoscaler.vertex.max-parallelism");
  }
  if (!UnalignedCheckpointsOf(config)) return Status::Ok();
  if (AtLeastOnceOf(config)) {
    return InvalidArgumentError(
        "configuration key 'execution.checkpointing.unaligned.enabled': unaligned checkpoints "
        "need execution.checkpointing.mode EXACTLY_ONCE");
  }
  if (ReactiveModeOf(config)) {
    return InvalidArgumentError(
        "configuration key 'execution.checkpointing.unaligned.enabled': reactive mode rescales "
        "from checkpoints, and Sluice does not restore an unaligned checkpoint's in-flight data "
        "at another parallelism");
  }
  if (config.GetInt(CheckpointingMaxConcurrent()) != 1) {
    return InvalidArgumentError(
        "configuration key 'execution.checkpointing.unaligned.enabled': unaligned checkpoints "
        "need execution.checkpointing.max-concurrent-checkpoints 1");
  }
  return Status::Ok();
}

const ConfigOption& AutoscalerEnabled() {
  static const ConfigOption option{
      .key = "job.autoscaler.enabled",
      .type = ConfigType::kBool,
      .default_value = "false",
      .description = "the autoscaler rescales the job to its input rate (needs scheduler-mode "
                     "reactive)"};
  return option;
}

namespace {
ConfigOption Fraction(std::string key, std::string default_value, double max,
                      std::string description) {
  return ConfigOption{.key = std::move(key),
                      .type = ConfigType::kDouble,
                      .default_value = std::move(default_value),
                      .description = std::move(description),
                      .double_min = 0.0,
                      .double_max = max};
}
}  // namespace

const ConfigOption& AutoscalerTargetUtilization() {
  static const ConfigOption option = Fraction("job.autoscaler.target.utilization", "0.7", 1.0,
                                              "the busy share each vertex is scaled to");
  return option;
}

const ConfigOption& AutoscalerTargetUtilizationBoundary() {
  static const ConfigOption option =
      Fraction("job.autoscaler.target.utilization.boundary", "0.3", 1.0,
               "no rescale while utilization is within target ± this");
  return option;
}

const ConfigOption& AutoscalerStabilizationInterval() {
  static const ConfigOption option =
      Duration("job.autoscaler.stabilization.interval", "5 min", 0,
               "no rescale this soon after a deployment");
  return option;
}

const ConfigOption& AutoscalerMetricsWindow() {
  static const ConfigOption option = Duration("job.autoscaler.metrics.window", "15 min", 1,
                                              "the span of reports a decision reads");
  return option;
}

const ConfigOption& AutoscalerCatchUpDuration() {
  static const ConfigOption option =
      Duration("job.autoscaler.catch-up.duration", "5 min", 1,
               "time a lagging source is given to catch up with its lag");
  return option;
}

const ConfigOption& AutoscalerScaleDownMaxFactor() {
  static const ConfigOption option =
      Fraction("job.autoscaler.scale-down.max-factor", "0.6", 1.0,
               "at most this share of a vertex's parallelism goes in one rescale");
  return option;
}

const ConfigOption& AutoscalerScaleUpMaxFactor() {
  static const ConfigOption option =
      Fraction("job.autoscaler.scale-up.max-factor", "100000.0", 1e9,
               "a vertex grows by at most this factor of its parallelism in one rescale");
  return option;
}

const ConfigOption& AutoscalerVertexMinParallelism() {
  static const ConfigOption option =
      Int("job.autoscaler.vertex.min-parallelism", "1", 1, kParallelismMax,
          "the least parallelism the autoscaler sets");
  return option;
}

const ConfigOption& AutoscalerVertexMaxParallelism() {
  static const ConfigOption option =
      Int("job.autoscaler.vertex.max-parallelism", "200", 1, kParallelismMax,
          "the most parallelism the autoscaler sets");
  return option;
}

const ConfigOption& NetworkBuffersPerChannel() {
  static const ConfigOption option =
      Int("taskmanager.network.memory.buffers-per-channel", "2", 1, 1024,
          "exclusive buffers (credits) of each input channel");
  return option;
}

const ConfigOption& NetworkFloatingBuffersPerGate() {
  static const ConfigOption option =
      Int("taskmanager.network.memory.floating-buffers-per-gate", "8", 0, 65536,
          "buffers an input gate lends to the channels whose producers announce a backlog");
  return option;
}

const ConfigOption& NetworkMaxBuffersPerChannel() {
  static const ConfigOption option =
      Int("taskmanager.network.memory.max-buffers-per-channel", "10", 1, 65536,
          "buffers a producer queues for one channel without credit before it waits "
          "(backpressure)");
  return option;
}

const ConfigOption& StateRecoveryFromLocal() {
  static const ConfigOption option{.key = "execution.state-recovery.from-local",
                                   .type = ConfigType::kBool,
                                   .default_value = "false",
                                   .description = "restore from a TaskManager-local state copy "
                                                  "when the task runs where it ran before"};
  return option;
}

const ConfigOption& StateBackendType() {
  static const ConfigOption option{
      .key = "state.backend.type",
      .type = ConfigType::kEnum,
      .default_value = "hashmap",
      .description = "where keyed state lives: hashmap (the heap) or rocksdb (an embedded "
                     "RocksDB per keyed operator subtask, on the TaskManager's disk)",
      .choices = {"hashmap", "rocksdb"}};
  return option;
}

const ConfigOption& CheckpointingIncremental() {
  static const ConfigOption option{
      .key = "execution.checkpointing.incremental",
      .type = ConfigType::kBool,
      .default_value = "false",
      .description = "rocksdb backend: checkpoints upload only the SST files not uploaded before, "
                     "shared between checkpoints (savepoints stay full snapshots)"};
  return option;
}

namespace {
ConfigOption MemorySize(std::string key, std::string default_value, int64_t min,
                        std::string description) {
  return ConfigOption{.key = std::move(key),
                      .type = ConfigType::kMemorySize,
                      .default_value = std::move(default_value),
                      .description = std::move(description),
                      .min = min};
}
}  // namespace

const ConfigOption& RocksDbWriteBufferSize() {
  static const ConfigOption option =
      MemorySize("state.backend.rocksdb.writebuffer.size", "64mb", 1024,
                 "bytes of keys and values put into a RocksDB instance between two flushes");
  return option;
}

const ConfigOption& RocksDbBlockCacheSize() {
  static const ConfigOption option = MemorySize("state.backend.rocksdb.block.cache-size", "8mb", 0,
                                                "each RocksDB instance's LRU block cache");
  return option;
}

const ConfigOption& RocksDbTargetFileSizeBase() {
  static const ConfigOption option =
      MemorySize("state.backend.rocksdb.compaction.level.target-file-size-base", "64mb", 4096,
                 "RocksDB's SST file size at level 1");
  return option;
}

const ConfigOption& RocksDbMaxSizeLevelBase() {
  static const ConfigOption option =
      MemorySize("state.backend.rocksdb.compaction.level.max-size-level-base", "256mb", 4096,
                 "RocksDB's level 1 size; each level below is 10 times larger");
  return option;
}

const ConfigOption& RestartStrategyType() {
  // Flink's spellings, with its aliases (RestartStrategyOptions.RestartStrategyType).
  static const ConfigOption option{
      .key = "restart-strategy.type",
      .type = ConfigType::kEnum,
      .default_value = "exponential-delay",
      .description = "how the job restarts after a failure",
      .choices = {"none", "off", "disable", "fixed-delay", "fixeddelay", "failure-rate",
                  "failurerate", "exponential-delay", "exponentialdelay"}};
  return option;
}

const ConfigOption& RestartFixedDelayAttempts() {
  static const ConfigOption option =
      Int("restart-strategy.fixed-delay.attempts", "1", 0, kIntMax,
          "fixed-delay: restarts allowed before the job fails");
  return option;
}

const ConfigOption& RestartFixedDelayDelay() {
  static const ConfigOption option = Duration("restart-strategy.fixed-delay.delay", "1s", 0,
                                              "fixed-delay: delay before each restart");
  return option;
}

const ConfigOption& RestartFailureRateMaxFailuresPerInterval() {
  static const ConfigOption option =
      Int("restart-strategy.failure-rate.max-failures-per-interval", "1", 1, kIntMax,
          "failure-rate: failures within the interval that still restart");
  return option;
}

const ConfigOption& RestartFailureRateInterval() {
  static const ConfigOption option =
      Duration("restart-strategy.failure-rate.failure-rate-interval", "1min", 1,
               "failure-rate: the window failures are counted in");
  return option;
}

const ConfigOption& RestartFailureRateDelay() {
  static const ConfigOption option = Duration("restart-strategy.failure-rate.delay", "1s", 0,
                                              "failure-rate: delay before each restart");
  return option;
}

const ConfigOption& RestartExponentialDelayInitialBackoff() {
  static const ConfigOption option =
      Duration("restart-strategy.exponential-delay.initial-backoff", "1s", 1,
               "exponential-delay: delay before the first restart");
  return option;
}

const ConfigOption& RestartExponentialDelayMaxBackoff() {
  static const ConfigOption option =
      Duration("restart-strategy.exponential-delay.max-backoff", "1min", 1,
               "exponential-delay: the longest delay");
  return option;
}

const ConfigOption& RestartExponentialDelayBackoffMultiplier() {
  static const ConfigOption option{
      .key = "restart-strategy.exponential-delay.backoff-multiplier",
      .type = ConfigType::kDouble,
      .default_value = "1.5",
      .description = "exponential-delay: each restart's delay over the one before (> 1)",
      .double_min = 1.0};
  return option;
}

const ConfigOption& RestartExponentialDelayResetBackoffThreshold() {
  static const ConfigOption option =
      Duration("restart-strategy.exponential-delay.reset-backoff-threshold", "1h", 1,
               "exponential-delay: running this long without a failure resets the delay");
  return option;
}

const ConfigOption& RestartExponentialDelayJitterFactor() {
  static const ConfigOption option{
      .key = "restart-strategy.exponential-delay.jitter-factor",
      .type = ConfigType::kDouble,
      .default_value = "0.1",
      .description = "exponential-delay: random part of each delay, as a fraction of it",
      .double_min = 0.0,
      .double_max = 1.0};
  return option;
}

const ConfigOption& RestartExponentialDelayAttemptsBeforeResetBackoff() {
  static const ConfigOption option =
      Int("restart-strategy.exponential-delay.attempts-before-reset-backoff",
          std::to_string(kIntMax), 1, kIntMax,
          "exponential-delay: restarts allowed before the job fails, counted since the last "
          "reset of the delay");
  return option;
}

const ConfigOption& HeartbeatInterval() {
  static const ConfigOption option =
      Duration("heartbeat.interval", "100ms", 1, "JobManager → TaskManager heartbeat period");
  return option;
}

const ConfigOption& HeartbeatTimeout() {
  static const ConfigOption option =
      Duration("heartbeat.timeout", "50s", 1,
               "a peer silent this long is lost (the simulator's clusters use 1 s)");
  return option;
}

const ConfigOption& TaskManagerNumberOfTaskSlots() {
  static const ConfigOption option =
      Int("taskmanager.numberOfTaskSlots", "2", 1, 1024, "slots each TaskManager offers");
  return option;
}

const ConfigOption& TaskManagerLoadBalanceMode() {
  static const ConfigOption option{
      .key = "taskmanager.load-balance.mode",
      .type = ConfigType::kEnum,
      .default_value = "none",
      .description = "slot placement: none (fill), slots (spread), tasks (balance tasks)",
      .choices = {"none", "slots", "tasks", "NONE", "SLOTS", "TASKS"}};
  return option;
}

LoadBalanceMode LoadBalanceModeOf(const Configuration& config) {
  const std::string mode = config.GetString(TaskManagerLoadBalanceMode());
  if (mode == "slots" || mode == "SLOTS") return LoadBalanceMode::kSlots;
  if (mode == "tasks" || mode == "TASKS") return LoadBalanceMode::kTasks;
  SLUICE_ASSERT(mode == "none" || mode == "NONE", "the mode was validated against its choices");
  return LoadBalanceMode::kNone;
}

const char* LoadBalanceModeName(LoadBalanceMode mode) {
  switch (mode) {
    case LoadBalanceMode::kNone:
      return "none";
    case LoadBalanceMode::kSlots:
      return "slots";
    case LoadBalanceMode::kTasks:
      return "tasks";
  }
  return "none";
}

const ConfigOption& JobManagerExecutionFailoverStrategy() {
  static const ConfigOption option{
      .key = "jobmanager.execution.failover-strategy",
      .type = ConfigType::kEnum,
      .default_value = "region",
      .description = "what a task failure restarts: full (the job) or region (its pipelined "
                     "region)",
      .choices = {"full", "region"}};
  return option;
}

FailoverStrategy FailoverStrategyOf(const Configuration& config) {
  const std::string strategy = config.GetString(JobManagerExecutionFailoverStrategy());
  if (strategy == "full") return FailoverStrategy::kFull;
  SLUICE_ASSERT(strategy == "region", "the strategy was validated against its choices");
  return FailoverStrategy::kRegion;
}

const char* FailoverStrategyName(FailoverStrategy strategy) {
  return strategy == FailoverStrategy::kFull ? "full" : "region";
}

const ConfigOption& SchedulerMode() {
  static const ConfigOption option{
      .key = "scheduler-mode",
      .type = ConfigType::kEnum,
      .default_value = "default",
      .description = "default, or reactive: the job runs at the parallelism the registered "
                     "slots allow and rescales as TaskManagers join and leave",
      .choices = {"default", "reactive"}};
  return option;
}

bool ReactiveModeOf(const Configuration& config) {
  return config.GetString(SchedulerMode()) == "reactive";
}

const ConfigOption& ResourceStabilizationTimeout() {
  static const ConfigOption option =
      Duration("jobmanager.adaptive-scheduler.resource-stabilization-timeout", "1s", 0,
               "reactive mode: the slots must stay unchanged this long before the job rescales");
  return option;
}

const ConfigOption& SavepointPath() {
  static const ConfigOption option{
      .key = "execution.savepoint.path",
      .type = ConfigType::kString,
      .default_value = "",
      .description = "the savepoint directory a job without a checkpoint of its own starts from"};
  return option;
}

const std::vector<ConfigOption>& CoreOptions() {
  static const std::vector<ConfigOption> options = [] {
    std::vector<ConfigOption> all = {
        ParallelismDefault(),
        PipelineMaxParallelism(),
        SourceRateLimit(),
        SourceRateLimitSteps(),
        CheckpointingInterval(),
        CheckpointingTimeout(),
        CheckpointingNumRetained(),
        CheckpointingMinPause(),
        CheckpointingMaxConcurrent(),
        CheckpointingTolerableFailed(),
        CheckpointingMode(),
        CheckpointingUnaligned(),
        AutoscalerEnabled(),
        AutoscalerTargetUtilization(),
        AutoscalerTargetUtilizationBoundary(),
        AutoscalerStabilizationInterval(),
        AutoscalerMetricsWindow(),
        AutoscalerCatchUpDuration(),
        AutoscalerScaleDownMaxFactor(),
        AutoscalerScaleUpMaxFactor(),
        AutoscalerVertexMinParallelism(),
        AutoscalerVertexMaxParallelism(),
        NetworkBuffersPerChannel(),
        NetworkFloatingBuffersPerGate(),
        NetworkMaxBuffersPerChannel(),
        StateRecoveryFromLocal(),
        StateBackendType(),
        CheckpointingIncremental(),
        RocksDbWriteBufferSize(),
        RocksDbBlockCacheSize(),
        RocksDbTargetFileSizeBase(),
        RocksDbMaxSizeLevelBase(),
        RestartStrategyType(),
        RestartFixedDelayAttempts(),
        RestartFixedDelayDelay(),
        RestartFailureRateMaxFailuresPerInterval(),
        RestartFailureRateInterval(),
        RestartFailureRateDelay(),
        RestartExponentialDelayInitialBackoff(),
        RestartExponentialDelayMaxBackoff(),
        RestartExponentialDelayBackoffMultiplier(),
        RestartExponentialDelayResetBackoffThreshold(),
        RestartExponentialDelayJitterFactor(),
        RestartExponentialDelayAttemptsBeforeResetBackoff(),
        HeartbeatInterval(),
        HeartbeatTimeout(),
        TaskManagerNumberOfTaskSlots(),
        TaskManagerLoadBalanceMode(),
        JobManagerExecutionFailoverStrategy(),
        SchedulerMode(),
        ResourceStabilizationTimeout(),
        SavepointPath()};
    std::sort(all.begin(), all.end(),
              [](const ConfigOption& a, const ConfigOption& b) { return a.key < b.key; });
    return all;
  }();
  return options;
}

int MaxParallelismFor(const Configuration& config, int largest_parallelism) {
  const int64_t configured = config.GetInt(PipelineMaxParallelism());
  if (configured != -1) return static_cast<int>(configured);
  SLUICE_ASSERT(largest_parallelism >= 1, "a job has an operator");
  int64_t rounded = 1;
  const int64_t wanted = largest_parallelism + largest_parallelism / 2;
  while (rounded < wanted) rounded *= 2;
  return static_cast<int>(std::clamp(rounded, kDefaultLowerBoundMaxParallelism, kParallelismMax));
}

}  // namespace sluice
