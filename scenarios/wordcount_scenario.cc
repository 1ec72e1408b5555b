#include "scenarios/wordcount_scenario.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "scenarios/exactly_once.h"
#include "scenarios/fault_applier.h"
#include "scenarios/invariants.h"
#include "scenarios/reference_evaluator.h"
#include "scenarios/timeline.h"

namespace sluice::scenarios {
namespace {

constexpr uint64_t kConfigStream = 0x636f6e666967ULL;   // "config"
constexpr uint64_t kNemesisStream = 0x6e656d65736973ULL;  // "nemesis"
constexpr uint64_t kReactStream = 0x7265616374ULL;        // "react"

int64_t SourceRate(int64_t lines) {
  return std::max<int64_t>(1, lines * 1000 / kTargetJobDurationMs);
}

int64_t ExpectedMs(int64_t lines, const WordCountClusterOptions& o) {
  const int64_t per_source = std::max<int64_t>(1, o.source_records_per_second / o.input_splits);
  const int64_t lines_per_source = (lines + o.input_splits - 1) / o.input_splits;
  return lines_per_source * 1000 / per_source + o.checkpoint_interval_ms;
}

std::map<std::string, std::string> Describe(const WordCountClusterOptions& o) {
  std::map<std::string, std::string> config = {{"taskmanagers", std::to_string(o.taskmanagers)},
          {"jobmanagers", std::to_string(o.jobmanagers)},
          {"lease_duration_ms", std::to_string(o.lease_duration_ms)},
          {"slots_per_taskmanager", std::to_string(o.slots_per_taskmanager)},
          {"input_splits", std::to_string(o.input_splits)},
          {"parallelism", std::to_string(o.parallelism)},
          {"checkpoint_interval_ms", std::to_string(o.checkpoint_interval_ms)},
          {"source_records_per_second", std::to_string(o.source_records_per_second)},
          {"heartbeat_timeout_ms", std::to_string(o.heartbeat_timeout_ms)},
          {"link_latency_us", std::to_string(o.link_latency_min_us) + ".." +
                                  std::to_string(o.link_latency_max_us)},
          {"short_read_probability", std::to_string(o.short_read_probability)}};
  // The restart strategy under its Flink keys ("restart-strategy.type", ...).
  config["load_balance"] = LoadBalanceModeName(o.load_balance);
  config["failover_strategy"] = FailoverStrategyName(o.failover_strategy);
  config["checkpoints_retained"] = std::to_string(o.checkpoints_retained);
  config["checkpoint_min_pause_ms"] = std::to_string(o.checkpoint_min_pause_ms);
  config["checkpoint_max_concurrent"] = std::to_string(o.checkpoint_max_concurrent);
  config["checkpoint_tolerable_failed"] = std::to_string(o.checkpoint_tolerable_failed);
  config["local_recovery"] = o.local_recovery ? "true" : "false";
  if (o.unaligned) config["unaligned"] = "true";
  for (const auto& [key, value] : o.job_settings) config[key] = value;
  if (o.work_ns_per_record > 0) config["work_ns_per_record"] = std::to_string(o.work_ns_per_record);
  if (o.network_buffers_per_channel >= 0) {
    config["network_buffers"] = std::to_string(o.network_buffers_per_channel) + "/" +
                                std::to_string(o.network_floating_buffers_per_gate) + "/" +
                                std::to_string(o.network_max_buffers_per_channel);
  }
  if (o.reactive) {
    config["scheduler_mode"] = "reactive";
    config["resource_stabilization_timeout_ms"] =
        std::to_string(o.resource_stabilization_timeout_ms);
  }
  const Configuration restart = RestartStrategySettings(o.restart);
  for (const auto& [key, value] : restart.entries()) config[key] = value;
  return config;
}

// What the output check found, for either oracle.
struct OutputVerdict {
  bool exact = false;         // exactly the expected output
  bool at_most_once = false;  // nothing duplicated or made up
  std::string first_violation;
  int64_t records = 0;
  std::string guarantee = "exactly once";  // what `exact` checked
};

// Word count keeps its own oracle (independent tokenizer, and for a FAILED job the consistent cut
// of the sources); every other job is judged against the reference evaluator.
OutputVerdict CheckOutput(const ScenarioOptions& options, WordCountCluster& cluster,
                          const ScenarioResult& result) {
  OutputVerdict verdict;
  if (options.job == "wordcount") {
    std::optional<WordCountReference> counted_here;
    if (options.expected_counts == nullptr) counted_here.emplace(options.input_text);
    const WordCountReference& expected =
        options.expected_counts != nullptr ? *options.expected_counts : *counted_here;
    if (AtLeastOnceOf(options.settings)) {
      // No loss when FINISHED, no gap ever; a FAILED job's output is not a consistent cut.
      auto report = CheckAtLeastOnce(expected, result.committed_output, cluster.finished());
      return OutputVerdict{report.ok, report.ok, report.first_violation, report.records,
                           "at least once"};
    }
    auto report = CheckExactlyOnce(expected, result.committed_output);
    verdict = OutputVerdict{report.ok, report.at_most_once, report.first_violation,
                            report.records};
    return verdict;
  }
  auto reference = EvaluateReference(*cluster.job_graph(), cluster.partitions());
  if (!reference.ok()) {
    verdict.first_violation = "no reference output: " + reference.status().ToString();
    return verdict;
  }
  auto report = CompareWithReference(*reference, result.committed_output);
  return OutputVerdict{report.exact, report.at_most_once, report.first_violation, report.records};
}

std::string Judge(const WordCountScenarioSpec& spec, const ScenarioOptions& options,
                  WordCountCluster& cluster, const FencingChecker& fencing,
                  const FallBackChecker& fall_back, const RestartStrategyChecker& restarts,
                  ScenarioResult* result) {
  const OutputVerdict report = CheckOutput(options, cluster, *result);
  result->records_out = report.records;
  if (!fencing.violation().empty()) return "fencing: " + fencing.violation();
  if (!fall_back.violation().empty()) return "fall-back rule: " + fall_back.violation();
  if (!restarts.violation().empty()) return "restart strategy: " + restarts.violation();
  if (cluster.finished()) {
    if (!report.exact) return report.guarantee + ": " + report.first_violation;
    if (result->checkpoints_completed < 1) return "no checkpoint completed";
    return "";
  }
  if (cluster.livelocked()) {
    return "liveness: simulated time stopped advancing at " + std::to_string(result->simulated_ms) +
           " ms while fibers kept running (a fiber spins without suspending)";
  }
  if (!cluster.failed()) {
    return "liveness: the job did not finish within " + std::to_string(spec.liveness_bound_ms) +
           " ms of simulated time after the faults were healed";
  }
  if (!result->beyond_budget.empty()) {
    // Beyond the fault budget a clean FAILED is what the design promises; silent duplicates never.
    if (!report.at_most_once) return "job failed beyond the fault budget: " + report.first_violation;
    result->failed_cleanly = true;
    return "";
  }
  // A job may end FAILED where the scenario means to exhaust its restart strategy, or wherever
  // the strategy gave up as the model says it must (a failure-rate strategy under chaos).
  if (!spec.may_end_failed && !restarts.gave_up()) return "job failed: " + cluster.failure();
  if (AtLeastOnceOf(options.settings)) {
    if (!report.at_most_once) return "at least once (job FAILED): " + report.first_violation;
    return "";
  }
  if (options.job != "wordcount") {
    // A FAILED run of any job commits part of the reference output, nothing twice.
    if (!report.at_most_once) return "at most once (job FAILED): " + report.first_violation;
    return "";
  }
  auto cut = CheckConsistentCut(cluster.partitions(), result->committed_output);
  if (!cut.ok) return "consistent cut (job FAILED): " + cut.first_violation;
  return "";
}

}  // namespace

RestartStrategyConfig DrawRestartStrategy(Random& random, bool may_give_up_at_once,
                                          bool lenient) {
  RestartStrategyConfig config;
  const int64_t kind = random.UniformRange(may_give_up_at_once ? 0 : 1, 3);
  if (kind == 0) {
    config.kind = RestartStrategyKind::kNone;
  } else if (kind == 1) {
    const auto attempts = static_cast<int>(random.UniformRange(1, 4));
    config = RestartStrategyConfig::FixedDelay(lenient ? 1000 : attempts,
                                               random.UniformRange(50, 400));
  } else if (kind == 2) {
    config.kind = RestartStrategyKind::kFailureRate;
    config.max_failures_per_interval = static_cast<int>(random.UniformRange(1, 3));
    config.failure_rate_interval_ms = random.UniformRange(300, 2000);
    config.delay_ms = random.UniformRange(50, 300);
  } else {
    config.kind = RestartStrategyKind::kExponentialDelay;
    config.initial_backoff_ms = random.UniformRange(20, 200);
    config.max_backoff_ms = config.initial_backoff_ms * random.UniformRange(2, 20);
    config.backoff_multiplier = 1.5 + 0.5 * static_cast<double>(random.UniformRange(0, 3));
    config.reset_backoff_threshold_ms = random.UniformRange(300, 3000);
    config.jitter_factor = 0.1 * static_cast<double>(random.UniformRange(0, 5));
    const auto attempts = static_cast<int>(random.UniformRange(2, 6));
    if (!lenient) config.attempts_before_reset_backoff = attempts;
  }
  return config;
}

int64_t CountLines(const std::string& text) {
  // memchr from one line end to the next (vectorized; std::count goes byte by byte, 1-2% of a
  // seed): every seed counts its whole input.
  int64_t lines = 0;
  const char* const end = text.data() + text.size();
  for (const char* p = text.data();
       (p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr; ++p) {
    ++lines;
  }
  if (!text.empty() && text.back() != '\n') ++lines;
  return lines;
}

ScenarioResult RunWordCountScenario(const WordCountScenarioSpec& spec,
                                    const ScenarioOptions& options) {
  ScenarioResult result;
  result.scenario = spec.name;
  result.seed = options.seed;
  if (options.expected_counts != nullptr &&
      !options.expected_counts->CountedFrom(options.input_text)) {
    result.failure =
        "bad expected counts: ScenarioOptions::expected_counts was not counted from the input";
    return result;
  }
  const int64_t lines = CountLines(options.input_text);
  result.records_in = lines;

  WordCountClusterOptions cluster_options;
  cluster_options.seed = options.seed;
  cluster_options.log_events = options.log_events;
  Random config_random(options.seed ^ kConfigStream);
  if (spec.configure) spec.configure(config_random, &cluster_options);
  cluster_options.source_records_per_second =
      static_cast<int64_t>(static_cast<double>(SourceRate(lines)) * spec.source_rate_factor);
  cluster_options.jobs = options.jobs;
  cluster_options.job = options.job;
  cluster_options.settings = options.settings;
  ApplyJobSettings(options.settings, &cluster_options);
  result.config = Describe(cluster_options);

  WordCountCluster cluster(cluster_options, options.input_text);
  if (!cluster.job_graph().ok()) {
    result.failure = "job " + options.job + ": " + cluster.job_graph().status().ToString();
    return result;
  }
  if (options.job != "wordcount" && AtLeastOnceOf(options.settings)) {
    // The reference evaluator gives the exact output; what a stateful job may emit when records
    // are replayed into state that already counted them has no oracle here yet.
    result.failure = "job " + options.job + ": AT_LEAST_ONCE runs are judged for wordcount only";
    return result;
  }
  if (options.job != "wordcount") {
    Status judgeable = CheckReferenceSemantics(*cluster.job_graph());
    if (!judgeable.ok()) {
      result.failure = "job " + options.job + ": " + judgeable.message();
      return result;
    }
  }
  result.job_settings = cluster.job_settings();
  for (const OperatorNode& node : cluster.job_graph()->nodes) {
    result.operators.push_back({node.name, node.parallelism});
  }
  sim::World& world = cluster.world();
  if (options.trace_sink) world.SetTraceSink(options.trace_sink);
  world.faults().PlantBug(options.plant_bug);
  world.faults().SetProbabilities(spec.fault_point_enable, spec.fault_point_fire);
  TimelineRecorder timeline(cluster, options.record_timeline ? &result.timeline : nullptr);

  NemesisContext context;
  context.jobmanager = world.host_name(cluster.jobmanager());
  for (auto id : cluster.jobmanagers()) context.jobmanagers.push_back(world.host_name(id));
  for (auto id : cluster.taskmanagers()) context.taskmanagers.push_back(world.host_name(id));
  for (auto id : cluster.stores()) context.stores.push_back(world.host_name(id));
  context.etcd = world.host_name(cluster.etcd());
  context.expected_ms = ExpectedMs(lines, cluster_options);
  context.cluster = &cluster_options;
  context.rescale_targets = [&cluster]() -> const std::vector<int>& {
    return cluster.RescaleTargets();
  };
  Random nemesis_random(options.seed ^ kNemesisStream);
  result.faults = options.faults ? *options.faults : spec.nemesis(nemesis_random, context);
  std::stable_sort(result.faults.begin(), result.faults.end(),
                   [](const FaultRecord& a, const FaultRecord& b) { return a.at_ms < b.at_ms; });

  // A replayed schedule ends with the heal phase it recorded (see below): it fixes the heal's time
  // and is not applied as a fault of its own.
  std::optional<int64_t> recorded_heal_ms;
  if (!result.faults.empty() && result.faults.back().kind == FaultKind::kHeal &&
      result.faults.back().host.empty()) {
    const int64_t at_ms = result.faults.back().at_ms;
    result.faults.pop_back();
    if (at_ms > FaultApplier::ChaosEndMs(result.faults)) {
      recorded_heal_ms = at_ms;
    } else {
      result.faults.push_back(FaultRecord{.at_ms = at_ms, .kind = FaultKind::kHeal});  // a mid-chaos heal
    }
  }

  FaultApplier applier(cluster);
  const std::string invalid = applier.Validate(result.faults);
  if (!invalid.empty()) {
    result.failure = "bad fault schedule: " + invalid;
    return result;
  }
  applier.Schedule(result.faults);
  FencingChecker fencing;
  FallBackChecker fall_back;
  RestartStrategyChecker restarts(cluster_options.restart);
  world.AddFieldObserver([&](sim::World::HostId host, std::string_view category,
                             std::string_view message, EventFields fields) {
    if (category == "job.failover" || category == "job.deployed" || category == "task.restored") {
      restarts.Observe(category, message, fields, world.now_ns() / kNanosPerMilli);
    }
    if (category == "checkpoint.completed") {
      result.checkpoints.push_back(
          CheckpointRecord{.id = FieldValue(fields, "checkpoint", 0),
                           .at_ms = world.now_ns() / kNanosPerMilli,
                           .full_bytes = FieldValue(fields, "full_bytes", 0),
                           .incremental_bytes = FieldValue(fields, "incremental_bytes", 0)});
    }
    if (category == "task.times") {
      result.task_times.push_back(TaskTimesRecord{
          .chain = static_cast<int>(FieldValue(fields, "chain", 0)),
          .subtask = static_cast<int>(FieldValue(fields, "subtask", 0)),
          .busy_ms = FieldValue(fields, "busy_ms", 0),
          .idle_ms = FieldValue(fields, "idle_ms", 0),
          .backpressured_ms = FieldValue(fields, "backpressured_ms", 0)});
    }
    // A TaskManager's own records (the JobManager records "taskmanager.registered" too).
    const auto& tms = cluster.taskmanagers();
    if ((category == "taskmanager.registered" || category == "task.deployed") &&
        std::find(tms.begin(), tms.end(), host) != tms.end()) {
      fencing.Observe(world.host_name(host), category, message, fields);
    }
    if (category == "sink.committed" || category == "job.deployed") {
      fall_back.Observe(category, message, fields);
    }
  });
  cluster.AddEventObserver([&](sim::World::HostId, Severity, std::string_view category,
                               std::string_view) {
    auto counted = result.events.find(category);
    if (counted == result.events.end()) {
      result.events.emplace(std::string(category), 1);
    } else {
      ++counted->second;
    }
  });
  int reactions = 0;
  const int64_t heal_ms = recorded_heal_ms.value_or(
      std::max(FaultApplier::ChaosEndMs(result.faults), spec.min_chaos_ms) + 1);
  if (spec.react && !options.faults) {
    // Reactive faults come from their own stream, so that they do not shift the nemesis's draws.
    auto react_random = std::make_shared<Random>(options.seed ^ kReactStream);
    world.AddFieldObserver([&, react_random](sim::World::HostId host, std::string_view category,
                                             std::string_view, EventFields fields) {
      const int64_t next_ms = world.now_ns() / kNanosPerMilli + 1;
      if (next_ms >= heal_ms) return;
      auto faults =
          spec.react(*react_random, world.host_name(host), category, fields, reactions);
      if (faults.empty()) return;
      ++reactions;
      for (FaultRecord& fault : faults) {
        fault.at_ms = std::min(next_ms + fault.at_ms, heal_ms - 1);
        result.faults.push_back(fault);
      }
      applier.Schedule(faults);
    });
  }
  applier.ScheduleHeal(heal_ms);
  cluster.Run(heal_ms + spec.liveness_bound_ms);
  // The heal phase is part of the schedule that ran: its last entry, kind "heal" with no host
  // (it clears every network and disk fault and restarts every crashed host; the liveness bound
  // counts from it). Replaying the schedule reads its time back (above).
  const std::vector<FaultRecord> chaos = result.faults;
  result.faults.push_back(FaultRecord{.at_ms = heal_ms, .kind = FaultKind::kHeal});
  timeline.AddFaults(result.faults);

  result.simulated_ms = world.now_ns() / kNanosPerMilli;
  result.trace_hash = world.trace_hash();
  result.checkpoints_completed = cluster.checkpoints_completed();
  result.restarts = cluster.restarts();
  result.failovers = restarts.failovers();
  result.committed_output = cluster.CommittedOutput();
  for (const auto& [point, count] : world.faults().fired()) result.fault_points_fired[point] = count;
  // Reactive faults were appended as they came: judge the budget on the whole schedule that ran.
  result.beyond_budget = applier.BudgetExceeded(chaos);
  result.failure = Judge(spec, options, cluster, fencing, fall_back, restarts, &result);
  result.pass = result.failure.empty();
  return result;
}

}  // namespace sluice::scenarios
