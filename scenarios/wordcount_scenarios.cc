// Word-count scenarios beyond the main one, each aimed at a failure class that has hurt real
// stream engines. They share the runner in wordcount_scenario.h; each is a nemesis (the faults)
// plus, where it needs one, a configuration range.
#include "scenarios/wordcount_scenarios.h"

#include <functional>
#include <memory>

#include "scenarios/wordcount_scenario.h"

namespace sluice::scenarios {
namespace {

bool IsTaskManager(const std::string& host) { return host.rfind("taskmanager-", 0) == 0; }

std::vector<FaultRecord> CrashAndRestart(Random& random, const std::string& host, int64_t at_ms) {
  return {FaultRecord{.at_ms = at_ms, .kind = FaultKind::kCrash, .host = host},
          FaultRecord{.at_ms = at_ms + random.UniformRange(200, 1500), .kind = FaultKind::kRestart,
                      .host = host}};
}

// The TaskManager hosting source subtask 0 (slot-sharing group 0) gets slow links to the other
// TaskManagers for the whole run: `extra_ms` more latency on each.
FaultRecord SlowLinksOfFirstTaskManager(const NemesisContext& context, double extra_ms) {
  std::string others;
  for (size_t i = 1; i < context.taskmanagers.size(); ++i) {
    others += (others.empty() ? "" : ",") + context.taskmanagers[i];
  }
  return FaultRecord{.at_ms = 1,
                     .kind = FaultKind::kLatencySpike,
                     .host = context.taskmanagers[0],
                     .duration_ms = context.expected_ms,
                     .peer = others,
                     .factor = extra_ms};
}

// A reaction: when an event of `category` is recorded, with `probability`, one of the three
// TaskManagers crashes 0..`max_delay_ms` ms later (and restarts); at most `max_reactions` times.
std::function<std::vector<FaultRecord>(Random&, const std::string&, std::string_view, EventFields,
                                       int)>
CrashTaskManagerOn(std::string category, double probability, int max_reactions,
                   int64_t max_delay_ms) {
  return [=](Random& random, const std::string&, std::string_view seen, EventFields,
             int reactions) -> std::vector<FaultRecord> {
    if (reactions >= max_reactions || seen != category || !random.Bernoulli(probability)) {
      return {};
    }
    const std::string victim = "taskmanager-" + std::to_string(1 + random.Uniform(3));
    return CrashAndRestart(random, victim, random.UniformRange(0, max_delay_ms));
  };
}

// `crashes` crashes of TaskManagers drawn from `hosts`, the first at `at_ms`; each host restarts
// after a delay drawn from [restart_min, restart_max] ms and the next crash follows its restart
// after one drawn from [gap_min, gap_max] ms.
std::vector<FaultRecord> CrashLoop(Random& random, const std::vector<std::string>& hosts,
                                   int crashes, int64_t at_ms, int64_t restart_min,
                                   int64_t restart_max, int64_t gap_min, int64_t gap_max) {
  std::vector<FaultRecord> faults;
  for (int i = 0; i < crashes; ++i) {
    const std::string& victim = PickHost(random, hosts);
    const int64_t restart = at_ms + random.UniformRange(restart_min, restart_max);
    faults.push_back(FaultRecord{.at_ms = at_ms, .kind = FaultKind::kCrash, .host = victim});
    faults.push_back(FaultRecord{.at_ms = restart, .kind = FaultKind::kRestart, .host = victim});
    at_ms = restart + random.UniformRange(gap_min, gap_max);
  }
  return faults;
}

}  // namespace

// crash-before-commit: two-phase commit's danger zone. Flink's sinks have lost or
// duplicated output when a task died after pre-committing a transaction but before the commit
// (FLINK-10455-style Kafka transaction bugs; pending files lost on restore in the old
// BucketingSink). The nemesis reacts to the engine: right after a sink pre-commits, or right
// after the JobManager completes a checkpoint (before the commit notifications land), it crashes
// a TaskManager; as the JobManager sends commit notifications, it crashes the JobManager; then
// restarts them.
ScenarioResult RunWordCountCrashBeforeCommit(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "crash-before-commit";
  spec.nemesis = [](Random&, const NemesisContext&) { return std::vector<FaultRecord>{}; };
  spec.min_chaos_ms = 3500;
  spec.react = [](Random& random, const std::string& host, std::string_view category,
                  EventFields, int reactions) -> std::vector<FaultRecord> {
    if (reactions >= 3) return {};
    if (category == "sink.precommitted" && IsTaskManager(host) && random.Bernoulli(0.05)) {
      return CrashAndRestart(random, host, 0);
    }
    if (category == "checkpoint.completed" && random.Bernoulli(0.15)) {
      const std::string victim = "taskmanager-" + std::to_string(1 + random.Uniform(3));
      return CrashAndRestart(random, victim, 0);
    }
    if (category == "checkpoint.notified" && random.Bernoulli(0.1)) {
      // The JobManager dies as sinks start to commit.
      return CrashAndRestart(random, "jobmanager", 0);
    }
    return {};
  };
  return RunWordCountScenario(spec, options);
}

// backpressure-crash: a crash during barrier alignment while one input is much slower
// than the other. Alignment bugs (records behind a barrier processed before the snapshot, blocked
// channels never released after a failover) show up only when barriers arrive far apart; slow
// links put them tens of milliseconds apart, and the nemesis crashes a TaskManager a few
// milliseconds after a checkpoint is triggered, mid-alignment.
ScenarioResult RunWordCountBackpressureCrash(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "backpressure-crash";
  spec.nemesis = [](Random& random, const NemesisContext& context) {
    return std::vector<FaultRecord>{
        SlowLinksOfFirstTaskManager(context, double(random.UniformRange(60, 150)))};
  };
  spec.react = CrashTaskManagerOn("checkpoint.triggered", 0.2, 2, 25);
  return RunWordCountScenario(spec, options);
}

// unaligned-backpressure: unaligned checkpoints (FLIP-76) under backpressure. With unaligned
// barriers the buffers a barrier overtakes (queued in a producer's output, or in a consumer's
// input behind the barrier, or taken from a channel before its barrier arrived) are part of the
// checkpoint: a snapshot that drops them loses records after a restore, one that replays them
// twice or in the wrong place duplicates or reorders them, and none of it shows unless buffers
// are actually queued as barriers pass. So the credits are tight (1-2 exclusive buffers per
// channel, 0-2 floating per gate, 1-3 queued per channel), the sources run at 2-4 times the usual
// rate, one TaskManager's links are slow for the whole run (queues stay full) and another is
// clogged for a while, and TaskManagers crash shortly after checkpoints trigger, so that restores
// read in-flight state.
ScenarioResult RunUnalignedBackpressure(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "unaligned-backpressure";
  spec.source_rate_factor = 3;
  spec.configure = [](Random& random, WordCountClusterOptions* o) {
    o->unaligned = true;
    o->checkpoint_max_concurrent = 1;
    o->network_buffers_per_channel = static_cast<int>(random.UniformRange(1, 2));
    o->network_floating_buffers_per_gate = static_cast<int>(random.UniformRange(0, 2));
    o->network_max_buffers_per_channel = static_cast<int>(random.UniformRange(1, 3));
  };
  spec.nemesis = [](Random& random, const NemesisContext& context) {
    std::vector<FaultRecord> faults{
        SlowLinksOfFirstTaskManager(context, double(random.UniformRange(40, 150)))};
    const int64_t clog_at = random.UniformRange(50, std::max<int64_t>(100, context.expected_ms / 2));
    const std::string clogged = PickHost(random, context.taskmanagers);
    faults.push_back({.at_ms = clog_at, .kind = FaultKind::kClog, .host = clogged,
                      .duration_ms = random.UniformRange(200, 1000),
                      .factor = double(random.UniformRange(5, 40))});
    return faults;
  };
  spec.react = CrashTaskManagerOn("checkpoint.triggered", 0.25, 2, 40);
  return RunWordCountScenario(spec, options);
}

// autoscale: the job autoscaler (job.autoscaler.*, engine/jobmanager/autoscaler.h) in reactive
// mode while the input rate steps up and down (source.rate-limit.steps). Processing costs
// simulated CPU time here (sim::World::SetWorkCost), so busy time, a throughput ceiling per
// subtask and backpressure are real: at parallelism 1 the low rate fits and the high one does
// not. The failure class: rescales the autoscaler decides while checkpoints, restores and
// failovers are under way (state redistributed mid-stream, a decision from reports of another
// attempt, a rescale storm), and a TaskManager crash amid them.
ScenarioResult RunAutoscale(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "autoscale";
  spec.min_chaos_ms = 3000;
  spec.configure = [](Random& random, WordCountClusterOptions* o) {
    o->reactive = true;
    o->resource_stabilization_timeout_ms = 200;
    o->parallelism = 1;
    o->work_ns_per_record = random.UniformRange(150, 250) * 1000;
    // Few buffers, so that a slow counting task backpressures its sources within a fraction of
    // a second and they fall behind their rate (the default buffers would hold seconds of this
    // small input).
    o->network_buffers_per_channel = 1;
    o->network_floating_buffers_per_gate = 1;
    o->network_max_buffers_per_channel = 1;
    o->job_settings["job.autoscaler.enabled"] = "true";
    o->job_settings["job.autoscaler.stabilization.interval"] = "1 s";
    o->job_settings["job.autoscaler.metrics.window"] = "1 s";
    o->job_settings["job.autoscaler.catch-up.duration"] = "2 s";
    // Lines per second over all sources: low (about half of what one counting subtask takes at
    // seven words a line), high (several times it) from a line drawn early in a source's input,
    // low again from one past its first third (positions survive rescales: task_restore.cc).
    const int64_t low = random.UniformRange(250, 400);
    const int64_t high = random.UniformRange(1500, 2500);
    const int64_t up_at = random.UniformRange(200, 600);
    const int64_t down_at = random.UniformRange(2400, 3000);
    o->job_settings["source.rate-limit.steps"] = "0:" + std::to_string(low) + "," +
                                                 std::to_string(up_at) + ":" +
                                                 std::to_string(high) + "," +
                                                 std::to_string(down_at) + ":" +
                                                 std::to_string(low);
  };
  spec.nemesis = [](Random& random, const NemesisContext& context) {
    std::vector<FaultRecord> faults;
    if (random.Bernoulli(0.5)) {
      const std::string victim = PickHost(random, context.taskmanagers);
      const int64_t at = random.UniformRange(500, 6000);
      faults.push_back({.at_ms = at, .kind = FaultKind::kCrash, .host = victim});
      faults.push_back({.at_ms = at + random.UniformRange(100, 1500), .kind = FaultKind::kRestart,
                        .host = victim});
    }
    return faults;
  };
  // A TaskManager crash right as the autoscaler's rescale begins.
  spec.react = CrashTaskManagerOn("job.rescaling", 0.3, 1, 50);
  return RunWordCountScenario(spec, options);
}

// restart-exhausted: repeated crashes exhaust the restart strategy. A job that gives
// up must give up cleanly: FAILED, and what it committed is still exactly once, i.e. the output
// of one consistent cut of the input (Flink jobs that fail terminally leave committed output
// behind that downstream readers trust). Some seeds finish before the crashes exhaust the
// strategy; then the usual exactly-once invariant applies.
ScenarioResult RunWordCountRestartExhausted(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "restart-exhausted";
  spec.may_end_failed = true;
  spec.configure = [](Random& random, WordCountClusterOptions* o) {
    o->restart = RestartStrategyConfig::FixedDelay(static_cast<int>(random.UniformRange(1, 3)), 100);
  };
  spec.nemesis = [](Random& random, const NemesisContext& context) {
    const int crashes =
        context.cluster->restart.attempts + static_cast<int>(random.UniformRange(1, 2));
    const int64_t at = random.UniformRange(200, 600);
    return CrashLoop(random, context.taskmanagers, crashes, at, 100, 300, 100, 500);
  };
  return RunWordCountScenario(spec, options);
}

// restart-strategies: crash loops against every restart strategy (Flink's restart-strategy.*
// keys, drawn from the seed: none, fixed-delay, failure-rate, exponential-delay). A strategy that
// gives up too early turns a transient fault into an outage; one that never gives up hides a
// crash loop and, with no backoff, hammers the cluster: Flink has shipped both (a failure-rate
// strategy that counted failures outside its interval, backoff that never reset). TaskManagers
// crash again and again at seeded gaps, some within the failure-rate interval and some beyond
// it; the restart-strategy invariant (scenarios/invariants.h) judges every decision and delay
// against a model of the strategy, the job may end FAILED only where the model says the strategy
// gives up, and its output stays exactly once (or, FAILED, a consistent cut).
ScenarioResult RunRestartStrategies(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "restart-strategies";
  spec.configure = [](Random& random, WordCountClusterOptions* o) {
    o->restart = DrawRestartStrategy(random, /*may_give_up_at_once=*/true, /*lenient=*/false);
  };
  spec.nemesis = [](Random& random, const NemesisContext& context) {
    const auto crashes = static_cast<int>(random.UniformRange(2, 7));
    const int64_t at = random.UniformRange(200, 800);
    // Some gaps fall within a failure-rate interval (300..2000 ms), some beyond it.
    return CrashLoop(random, context.taskmanagers, crashes, at, 50, 300, 100, 2500);
  };
  return RunWordCountScenario(spec, options);
}

// checkpoint-retention: deleting old checkpoints while the job fails over. Cleaning up subsumed
// checkpoints races with recovery, and files shared between checkpoints are the trap: Flink has
// discarded shared state still referenced by a retained checkpoint (FLINK-29913, incremental
// RocksDB state with concurrent checkpoints) and left orphaned files behind. Here a finished
// task's final state is the shared file: the input splits are uneven, so the small split's
// source finishes early and every later checkpoint refers to its final state, written for an
// older checkpoint. num-retained is drawn 1..3; once a source finished and a discard ran, the
// nemesis crashes a TaskManager, so the job restores a checkpoint whose shared file the discard
// had to keep.
ScenarioResult RunCheckpointRetention(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "checkpoint-retention";
  spec.configure = [](Random& random, WordCountClusterOptions* o) {
    o->checkpoints_retained = static_cast<int>(random.UniformRange(1, 3));
    o->checkpoint_interval_ms = random.UniformRange(80, 250);
    o->input_splits = static_cast<int>(random.UniformRange(2, 3));
    o->split_weights.assign(o->input_splits, 1);
    for (size_t i = 1; i < o->split_weights.size(); ++i) {
      o->split_weights[i] = static_cast<int>(random.UniformRange(3, 6));
    }
  };
  spec.nemesis = [](Random&, const NemesisContext&) { return std::vector<FaultRecord>{}; };
  spec.min_chaos_ms = 6000;
  // The latest completed checkpoint, and the one completed when the first task finished (the
  // small split's source: the other tasks wait for every source); 0 until then.
  struct Seen {
    int64_t completed = 0;
    int64_t at_finish = 0;
  };
  auto seen = std::make_shared<Seen>();
  spec.react = [seen](Random& random, const std::string&, std::string_view category,
                      EventFields fields, int reactions) -> std::vector<FaultRecord> {
    if (category == "checkpoint.completed") seen->completed = FieldValue(fields, "checkpoint", 0);
    if (category == "task.finished" && seen->at_finish == 0) seen->at_finish = seen->completed;
    // Crash once a discard deleted the checkpoint the finished source's final state was written
    // for, so that the restored checkpoint shares that file with a deleted one.
    if (seen->at_finish == 0 || reactions >= 2 || category != "checkpoint.discarded" ||
        FieldValue(fields, "checkpoint", 0) <= seen->at_finish) {
      return {};
    }
    const std::string victim = "taskmanager-" + std::to_string(1 + random.Uniform(3));
    return CrashAndRestart(random, victim, random.UniformRange(0, 20));
  };
  return RunWordCountScenario(spec, options);
}

// local-recovery: restoring from TaskManager-local state copies (Flink's local recovery). A
// local copy is a cache of the checkpoint, and the cache can be newer than the checkpoint being
// restored: a task that snapshotted checkpoint n+1 keeps its copy even when n+1 never
// completes, and reading it restores state the sources' restored positions do not match (Flink
// keys local copies by checkpoint id for this reason: FLINK-8910's TaskLocalStateStore). Local
// recovery is on; TaskManagers crash (and restart) in a loop, and the nemesis crashes one a few
// milliseconds after tasks acknowledge a checkpoint, before it completes, so that the surviving
// tasks, kept on their TaskManagers by sticky placement, hold a copy newer than the restore.
ScenarioResult RunLocalRecovery(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "local-recovery";
  spec.configure = [](Random& random, WordCountClusterOptions* o) {
    o->local_recovery = true;
    o->checkpoint_interval_ms = random.UniformRange(100, 300);
  };
  spec.nemesis = [](Random& random, const NemesisContext& context) {
    const auto crashes = static_cast<int>(random.UniformRange(1, 2));
    return CrashLoop(random, context.taskmanagers, crashes, random.UniformRange(300, 1500), 100,
                     400, 500, 1500);
  };
  spec.min_chaos_ms = 3000;
  spec.react = [](Random& random, const std::string&, std::string_view category, EventFields,
                  int reactions) -> std::vector<FaultRecord> {
    if (reactions >= 2 || category != "checkpoint.acknowledged" || !random.Bernoulli(0.05)) {
      return {};
    }
    const std::string victim = "taskmanager-" + std::to_string(1 + random.Uniform(3));
    return CrashAndRestart(random, victim, random.UniformRange(0, 5));
  };
  return RunWordCountScenario(spec, options);
}

}  // namespace sluice::scenarios

namespace sluice::scenarios {

// region-failover: restarting one pipelined region while the others run on (Flink's
// RestartPipelinedRegionFailoverStrategy). What must move back with a restarted region is
// easy to miss, because the running regions make the job look healthy: the splits its sources
// were assigned after the restored checkpoint must go back to the enumerator (Flink's
// addSplitsBack; lost splits are silent data loss), its sinks must drop the transactions after
// that checkpoint while the other regions' sinks keep committing, and the checkpoints pending at
// the failure must be aborted. The job defaults to tokens (a region per source); the input has
// 3..6 splits read on demand, so each source reads several in turn. The input store's disk
// fails reads in short bursts (the source reading then fails, and its region restarts), also
// right after the enumerator hands out a split, and in some runs a TaskManager crashes too (the
// regions of its tasks restart, or the whole job).
ScenarioResult RunRegionFailover(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "region-failover";
  spec.configure = [](Random& random, WordCountClusterOptions* o) {
    o->failover_strategy = FailoverStrategy::kRegion;
    o->input_splits = static_cast<int>(random.UniformRange(3, 6));
    o->checkpoint_interval_ms = random.UniformRange(80, 300);
    o->restart = DrawRestartStrategy(random, /*may_give_up_at_once=*/false, /*lenient=*/true);
  };
  spec.nemesis = [](Random& random, const NemesisContext& context) {
    std::vector<FaultRecord> faults;
    const std::string& input_store = context.stores[0];
    const auto bursts = static_cast<int>(random.UniformRange(2, 5));
    int64_t at = random.UniformRange(100, 600);
    for (int i = 0; i < bursts; ++i) {
      faults.push_back(FaultRecord{.at_ms = at,
                                   .kind = FaultKind::kDiskIoError,
                                   .host = input_store,
                                   .duration_ms = random.UniformRange(10, 150),
                                   .factor = 0.1 * double(random.UniformRange(1, 5))});
      at += random.UniformRange(200, 1200);
    }
    if (random.Bernoulli(0.3)) {
      auto crash = CrashAndRestart(random, PickHost(random, context.taskmanagers),
                                   random.UniformRange(200, at));
      faults.insert(faults.end(), crash.begin(), crash.end());
    }
    return faults;
  };
  spec.min_chaos_ms = 3000;
  // A reader fails soon after it was handed a split, before a checkpoint covers that split: the
  // split must come back to the enumerator.
  spec.react = [](Random& random, const std::string&, std::string_view category, EventFields,
                  int reactions) -> std::vector<FaultRecord> {
    if (reactions >= 3 || category != "source.splits_assigned" || !random.Bernoulli(0.3)) {
      return {};
    }
    return {FaultRecord{.at_ms = random.UniformRange(5, 60),
                        .kind = FaultKind::kDiskIoError,
                        .host = "input-store",
                        .duration_ms = random.UniformRange(10, 60),
                        .factor = 0.5}};
  };
  return RunWordCountScenario(spec, options);
}

}  // namespace sluice::scenarios

namespace sluice::scenarios {

// rescale: restoring a checkpoint at another parallelism (Flink's rescaling from a retained
// checkpoint or a savepoint, its StateAssignmentOperation). What goes wrong is silent: keyed
// state must follow its key groups to their new subtasks (a key group nobody reads restarts its
// counts, one read twice counts double), operator state must be dealt out exactly once (a sink's
// pending committables committed twice or never, a source's split read twice or never), broadcast
// state copied to every new subtask. The nemesis redeploys the job one to three times at a
// parallelism drawn from those the cluster's slots hold (every JobManager restarts with the new
// parallelism.default and restores the latest retained checkpoint into the rescaled job), with
// crashes around it: sometimes a TaskManager crash shortly before or after a rescale and,
// reacting to the rescaled restore itself, a TaskManager crash while the rescaled tasks restore
// (the restore is redone) or a JobManager crash right after it.
ScenarioResult RunRescale(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "rescale";
  spec.configure = [](Random& random, WordCountClusterOptions* o) {
    o->parallelism = static_cast<int>(random.UniformRange(1, 4));
    o->checkpoint_interval_ms = random.UniformRange(80, 250);
    o->checkpoints_retained = static_cast<int>(random.UniformRange(1, 3));
    o->restart = DrawRestartStrategy(random, /*may_give_up_at_once=*/false, /*lenient=*/true);
  };
  spec.nemesis = [](Random& random, const NemesisContext& context) {
    std::vector<FaultRecord> faults;
    const std::vector<int>& targets = context.rescale_targets();
    if (targets.size() < 2) return faults;  // nowhere else to go
    int current = context.cluster->parallelism;
    const auto rescales = static_cast<int>(random.UniformRange(1, 3));
    int64_t at = random.UniformRange(200, 1200);
    for (int i = 0; i < rescales; ++i) {
      int parallelism = current;
      while (parallelism == current) parallelism = targets[random.Uniform(targets.size())];
      faults.push_back(FaultRecord{
          .at_ms = at, .kind = FaultKind::kRescale, .factor = static_cast<double>(parallelism)});
      if (random.Bernoulli(0.3)) {
        auto crash = CrashAndRestart(random, PickHost(random, context.taskmanagers),
                                     std::max<int64_t>(0, at + random.UniformRange(-300, 600)));
        faults.insert(faults.end(), crash.begin(), crash.end());
      }
      current = parallelism;
      at += random.UniformRange(500, 1500);
    }
    return faults;
  };
  spec.min_chaos_ms = 3000;
  spec.react = [](Random& random, const std::string& host, std::string_view category,
                  EventFields, int reactions) -> std::vector<FaultRecord> {
    if (reactions >= 2 || category != "checkpoint.rescaled") return {};
    if (random.Bernoulli(0.3)) {
      const std::string victim = "taskmanager-" + std::to_string(1 + random.Uniform(3));
      return CrashAndRestart(random, victim, random.UniformRange(0, 40));
    }
    if (random.Bernoulli(0.15)) return CrashAndRestart(random, host, random.UniformRange(0, 40));
    return {};
  };
  return RunWordCountScenario(spec, options);
}

}  // namespace sluice::scenarios

namespace sluice::scenarios {

// reactive: Flink's Reactive Mode (scheduler-mode: reactive), where the job always runs at the
// parallelism its slots allow. TaskManagers leave (crash) and join (restart) again and again, so
// the job is rescaled in and out, each time restarting from its latest checkpoint with its state
// redistributed; a rescale races with the failover of the tasks a leaving TaskManager ran, with
// checkpoints in flight and with further joins and leaves inside the stabilization timeout. What
// breaks here is the handover between parallelisms: state redistributed wrongly, transactions of
// the old parallelism committed twice or lost, a scheduler that rescales for ever or never.
ScenarioResult RunReactive(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "reactive";
  spec.configure = [](Random& random, WordCountClusterOptions* o) {
    o->reactive = true;
    o->resource_stabilization_timeout_ms = random.UniformRange(100, 600);
    o->checkpoint_interval_ms = random.UniformRange(80, 250);
    o->restart = DrawRestartStrategy(random, /*may_give_up_at_once=*/false, /*lenient=*/true);
  };
  spec.nemesis = [](Random& random, const NemesisContext& context) {
    const auto changes = static_cast<int>(random.UniformRange(1, 3));
    return CrashLoop(random, context.taskmanagers, changes, random.UniformRange(300, 1500), 400,
                     2500, 200, 1500);
  };
  spec.min_chaos_ms = 3000;
  // A TaskManager leaves right as the job rescales.
  spec.react = [](Random& random, const std::string&, std::string_view category, EventFields,
                  int reactions) -> std::vector<FaultRecord> {
    if (reactions >= 2 || category != "job.rescaling" || !random.Bernoulli(0.3)) return {};
    const std::string victim = "taskmanager-" + std::to_string(1 + random.Uniform(3));
    return CrashAndRestart(random, victim, random.UniformRange(0, 100));
  };
  return RunWordCountScenario(spec, options);
}

}  // namespace sluice::scenarios
